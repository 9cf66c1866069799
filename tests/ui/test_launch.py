"""The real ``ipmsg-tui`` command: it fails before the screen with one line, or runs in a
terminal (a pseudo-terminal here), logs to a file only, and says goodbye on ctrl+q."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import socket
import struct
import subprocess
import sys
import termios
from pathlib import Path

from ipmsg_tui.protocol import events as ev

from .conftest import Lan

COMMAND = [sys.executable, "-m", "ipmsg_tui"]


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        COMMAND + args,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def test_a_busy_port_is_one_line_before_the_screen(ports: list[int]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", ports[0]))
        result = run(["--bind", "127.0.0.1", "--port", str(ports[0])])
    assert result.returncode == 2
    assert result.stdout == ""  # no screen was drawn
    (line,) = result.stderr.splitlines()
    assert line.startswith("ipmsg-tui: ") and f"UDP port {ports[0]}" in line and "in use" in line


def test_a_busy_tcp_port_is_one_line_before_the_screen(ports: list[int]) -> None:
    """Files are served on TCP with the UDP port's number: that one must be free too."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", ports[0]))
        holder.listen()
        result = run(["--bind", "127.0.0.1", "--port", str(ports[0])])
    assert result.returncode == 2
    assert result.stdout == ""  # no screen was drawn
    (line,) = result.stderr.splitlines()
    assert line.startswith("ipmsg-tui: ") and f"TCP port {ports[0]}" in line and "in use" in line


def test_a_bad_config_is_one_line_before_the_screen(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('nick = "Ann"\nport = "twenty"\n', encoding="utf-8")
    result = run(["--config", str(config), "--bind", "127.0.0.1"])
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "port" in line and "wrong type" in line


def test_an_address_that_is_not_ours_is_one_line_before_the_screen() -> None:
    result = run(["--bind", "192.0.2.77"])  # TEST-NET-1: never a local address
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "192.0.2.77 is not an address of this machine" in line


def test_a_log_file_that_cannot_be_written_is_one_line_before_the_screen(
    tmp_path: Path, ports: list[int]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    args = ["--bind", "127.0.0.1", "--port", str(ports[0]), "--log-file", f"{blocker}/app.log"]
    result = run(args)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("ipmsg-tui: cannot write the log file")


async def read_until(fd: int, needle: bytes, seen: bytearray, timeout: float = 15) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while needle not in seen:
        if loop.time() > deadline:
            raise AssertionError(f"{needle!r} never appeared on the screen")
        try:
            seen.extend(os.read(fd, 65536))
        except BlockingIOError:
            await asyncio.sleep(0.05)
        except OSError:  # the child closed the terminal
            raise AssertionError(f"{needle!r} never appeared; the app ended") from None


async def test_the_app_runs_in_a_terminal_logs_to_a_file_and_says_goodbye(
    lan: Lan, tmp_path: Path
) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    ann = lan.settings("Ann", knows=("Bob",))
    log_file = tmp_path / "ann.log"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    os.set_blocking(master, False)
    env = {**os.environ, "TERM": "xterm-256color", "IPMSG_TUI_CONFIG": str(tmp_path / "c.toml")}
    child = subprocess.Popen(
        [
            *COMMAND,
            *("--nick", "Ann", "--bind", "127.0.0.1", "--port", str(ann.port)),
            *("--host", f"127.0.0.1:{bob.settings.port}", "--data-dir", str(tmp_path / "ann")),
            *("--log-file", str(log_file), "-v"),
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    screen = bytearray()
    try:
        await read_until(master, b"bob-pc", screen)  # Bob is listed
        await asyncio.sleep(0.3)
        os.write(master, b"\x11")  # ctrl+q
        for _ in range(200):
            if child.poll() is not None:
                break
            # A terminal keeps reading: Bob may be on the first frame, most of it unread.
            with contextlib.suppress(OSError):
                screen.extend(os.read(master, 65536))
            await asyncio.sleep(0.05)
        assert child.returncode == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    for _ in range(100):
        if bob.of(ev.PeerLeft):
            break
        await asyncio.sleep(0.02)
    assert [e.reason for e in bob.of(ev.PeerLeft)] == ["exit"]  # BR_EXIT on quit
    logged = log_file.read_text(encoding="utf-8")
    assert "listening on UDP 127.0.0.1" in logged
    assert b"listening on UDP" not in screen  # logs never reach the screen
