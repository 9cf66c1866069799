"""Closing the terminal (SIGHUP) or SIGTERM: the app says goodbye and is gone within seconds.

The app runs in a pseudo-terminal that is its controlling terminal, inside a namespace LAN,
as in a terminal emulator or tmux. Closing the terminal's side makes the kernel send SIGHUP
(and SIGCONT). Some rounds close it while another peer renames itself many times and then
says goodbye as its link goes down: the app is busy drawing when the terminal disappears.
Each round checks that the process ends within a bound, that UDP and TCP 2425 are free
again, and that a watching peer saw our BR_EXIT (unless our own link went down).
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from ..support.netlab import Host, lan_of
from ..support.procs import Listener, child_env

PORT = 2425
EXIT_BOUND = 5.0  # seconds from hangup to a free port; the app promises about two
# (what happens, how): the terminal closes (hangup) or the process is told to stop (SIGTERM)
ROUNDS = [
    ("quiet", "hangup"),
    ("busy peer leaves", "hangup"),
    ("busy peer leaves", "hangup"),
    ("busy peer leaves", "hangup"),
    ("busy peer leaves", "hangup"),
    ("busy peer leaves", "sigterm"),
    ("our link goes down", "hangup"),  # last: the watcher never hears this one leave
]


def port_bound(host: Host, port: int) -> bool:
    """Whether anything in the host's namespace holds UDP or TCP ``port``."""
    for table in ("/proc/net/udp", "/proc/net/tcp"):
        lines = host.run("cat", table).stdout.splitlines()[1:]
        if any(line.split()[1].endswith(f":{port:04X}") for line in lines):
            return True
    return False


def identity(folder: Path, name: str) -> list[str]:
    """Options giving a process its own user@host (all of them run as root on one machine,
    and peers sharing a user@host would share a conversation)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(f'user = "{name.lower()}"\nhost = "{name.lower()}-pc"\n', encoding="utf-8")
    return ["--nick", name, "--config", str(config), "--data-dir", str(folder)]


def start_app(host: Host, data: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The app on a new pseudo-terminal that becomes its controlling terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))

    def in_host_with_terminal() -> None:
        host.enter()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # after setsid: a hangup now signals us

    env = {**child_env(), "TERM": "xterm-256color"}
    args = [*identity(data, "Ann"), "--log-file", str(data / "app.log"), "-v"]
    child = subprocess.Popen(
        [sys.executable, "-m", "ipmsg_tui", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        preexec_fn=in_host_with_terminal,
    )
    os.close(slave)
    os.set_blocking(master, False)
    return child, master


def read_until(master: int, needle: bytes, where: str, timeout: float = 20) -> None:
    seen = bytearray()
    deadline = time.monotonic() + timeout
    while needle not in seen:
        assert time.monotonic() < deadline, f"{where}: {needle!r} never appeared on the screen"
        try:
            seen.extend(os.read(master, 65536))
        except BlockingIOError:
            time.sleep(0.05)


def exit_status(child: subprocess.Popen[bytes], where: str) -> int:
    try:
        return child.wait(EXIT_BOUND)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{where}: still running {EXIT_BOUND} s later") from None


def ann_joined(event: dict[str, object]) -> bool:
    return event["event"] == "peer_joined" and event["nick"] == "Ann"


def ann_left(event: dict[str, object]) -> bool:
    return event["event"] == "peer_left" and event["nick"] == "Ann"


def test_hangup_and_sigterm_say_goodbye_and_free_the_port(tmp_path: Path) -> None:
    with lan_of("app", "watcher", "leaver") as lan:
        app_host, leaver_host = lan["app"], lan["leaver"]
        with Listener(identity(tmp_path / "watcher", "Wat"), netns=lan["watcher"].netns) as watcher:
            for index, (situation, ending) in enumerate(ROUNDS):
                where = f"round {index} ({situation}, {ending})"
                data = tmp_path / f"app{index}"
                leaver = Listener(
                    identity(tmp_path / f"leaver{index}", "Lena"),
                    netns=leaver_host.netns,
                    commands=True,
                )
                child, master = start_app(app_host, data)
                terminal_open = True
                try:
                    assert watcher.wait_for(ann_joined, timeout=20), where
                    read_until(master, b"Lena", where)  # the app is up and lists the leaver
                    if situation == "busy peer leaves":
                        for n in range(30):  # each rename redraws the sidebar
                            leaver.command(nick=f"Lena {n}")
                        leaver.proc.send_signal(signal.SIGTERM)  # BR_EXIT ...
                        leaver_host.run("ip", "link", "set", "eth0", "down")  # ... link gone
                    elif situation == "our link goes down":
                        app_host.run("ip", "link", "set", "eth0", "down")
                    hung_up_at = time.monotonic()
                    if ending == "hangup":
                        os.close(master)  # the terminal window closes
                        terminal_open = False
                    else:
                        child.send_signal(signal.SIGTERM)
                    code = exit_status(child, where)
                    took = time.monotonic() - hung_up_at
                    assert code == 0, f"{where}: exit status {code}"
                    assert not port_bound(app_host, PORT), f"{where}: port {PORT} still held"
                    if situation != "our link goes down":
                        watcher.wait_for(ann_left, timeout=3)  # it said goodbye (BR_EXIT)
                    assert took < EXIT_BOUND
                finally:
                    if child.poll() is None:
                        child.kill()
                        child.wait()
                    if terminal_open:
                        os.close(master)
                    leaver.__exit__()
                    for host in (leaver_host, app_host):
                        host.run("ip", "link", "set", "eth0", "up")
                        host.run("ip", "route", "replace", "255.255.255.255/32", "dev", "eth0")
                watcher.events.clear()
