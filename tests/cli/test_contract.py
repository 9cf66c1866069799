"""What README promises scripts: exit statuses and one-line errors, as real processes."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ..support.procs import Listener, child_env, command, run


def common(port: int, *peers: int, data: Path) -> list[str]:
    args = ["--bind", "127.0.0.1", "--port", str(port), "--data-dir", str(data)]
    for peer in peers:
        args += ["--host", f"127.0.0.1:{peer}"]
    return args


def wait_until_bound(port: int, timeout: float = 10.0) -> None:
    """Until a process listens on UDP ``port`` (a peer must be up to be known as one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on UDP {port}")


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("ipmsg-tui: ")
    return lines[0]


def test_timeout_0_does_not_wait_for_the_receipt(ports: list[int], tmp_path: Path) -> None:
    with Listener(common(ports[0], data=tmp_path / "a")) as alice:
        sent = run(["send", f"127.0.0.1:{ports[0]}", "fire and forget", "--timeout", "0",
                    *common(ports[1], data=tmp_path / "b")])  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert alice.wait_for(lambda e: e["event"] == "message")["text"] == "fire and forget"


def test_timeout_0_with_files_is_a_usage_error(ports: list[int], tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    sent = run(["send", f"127.0.0.1:{ports[0]}", "", "--timeout", "0", "--file",
                str(tmp_path / "f.txt"), *common(ports[1], data=tmp_path / "b")])  # fmt: skip
    assert sent.returncode == 2
    assert "--timeout 0" in one_line(sent.stderr)


def test_a_config_file_that_does_not_exist_is_one_line_and_2(tmp_path: Path) -> None:
    missing = tmp_path / "no-such.toml"
    result = run(["who", "--config", str(missing), "--bind", "127.0.0.1"])
    assert result.returncode == 2
    assert one_line(result.stderr) == f"ipmsg-tui: the config file {missing} does not exist"
    assert not missing.exists()


@pytest.mark.parametrize(
    ("target", "complaint"),
    [
        ("999.1.1.1", "'999.1.1.1' is not an IPv4 address"),
        ("10.88.0.1:0", "'10.88.0.1:0' has a bad port number"),
        ("10.88.0.1:http", "'10.88.0.1:http' has a bad port number"),
        ("10.88.1", "'10.88.1' is not an IPv4 address"),
    ],
)
def test_a_bad_address_is_a_usage_error_not_a_name(
    ports: list[int], tmp_path: Path, target: str, complaint: str
) -> None:
    started = time.monotonic()
    sent = run(["send", target, "hello", *common(ports[1], data=tmp_path)])
    assert sent.returncode == 2
    assert complaint in one_line(sent.stderr)
    assert time.monotonic() - started < 2.0  # not looked up by discovery first


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_send_says_goodbye_and_exits_130(
    ports: list[int], tmp_path: Path, sig: int
) -> None:
    with Listener(common(ports[0], data=tmp_path / "watcher")) as watcher:
        # Nobody listens on ports[2]: the send waits for a receipt that never comes (and,
        # retrying slowly, does not give up before the signal).
        config = tmp_path / "slow.toml"
        config.write_text("retry_interval = 10.0\nretry_count = 5\n")
        args = ["send", f"127.0.0.1:{ports[2]}", "anyone?", "--timeout", "60", "--config",
                str(config), *common(ports[1], ports[0], data=tmp_path / "b")]  # fmt: skip
        sender = subprocess.Popen(
            command(*args), stderr=subprocess.PIPE, text=True, env=child_env()
        )
        try:
            watcher.wait_for(lambda e: e["event"] == "peer_joined" and e["port"] == ports[1])
            sender.send_signal(sig)
            _, stderr = sender.communicate(timeout=10)
        finally:
            if sender.poll() is None:
                sender.kill()
                sender.wait()
        assert sender.returncode == 130
        assert "interrupted" in one_line(stderr)
        left = watcher.wait_for(lambda e: e["event"] == "peer_left" and e["port"] == ports[1])
        assert left["reason"] == "exit"


def test_send_file_stops_waiting_when_the_recipient_quits(ports: list[int], tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("numbers")
    with Listener([*common(ports[0], data=tmp_path / "a"), "--nick", "alice"]) as alice:
        wait_until_bound(ports[0])  # so that the sender gets to know alice as a peer
        args = ["send", f"127.0.0.1:{ports[0]}", "here", "--file", str(tmp_path / "report.txt"),
                "--timeout", "60", *common(ports[1], data=tmp_path / "b")]  # fmt: skip
        sender = subprocess.Popen(
            command(*args), stderr=subprocess.PIPE, text=True, env=child_env()
        )
        try:
            alice.wait_for(lambda e: e["event"] == "message")
            time.sleep(0.3)  # the receipt reaches the sender: it now waits for the fetch
            assert alice.stop() == 0  # BR_EXIT
            _, stderr = sender.communicate(timeout=10)
        finally:
            if sender.poll() is None:
                sender.kill()
                sender.wait()
    assert sender.returncode == 1
    line = one_line(stderr)  # named by nick, or by address if its entry came too late
    assert "left before fetching the files (it quit: BR_EXIT)" in line
    assert "alice" in line or f"127.0.0.1:{ports[0]}" in line


@pytest.mark.parametrize("open_sealed", [False, True])
def test_listen_in_text_mode_shows_a_sealed_text_only_when_it_opens_it(
    ports: list[int], tmp_path: Path, open_sealed: bool
) -> None:
    flags = ["--open-sealed"] if open_sealed else []
    listener = subprocess.Popen(
        command("listen", *flags, *common(ports[0], data=tmp_path / "a")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        with Listener([*common(ports[1], ports[0], data=tmp_path / "b"), "--nick", "bob"],
                      commands=True) as bob:  # fmt: skip
            bob.wait_for(lambda e: e["event"] == "peer_joined" and e["port"] == ports[0])
            bob.command(send="the secret", to=f"127.0.0.1:{ports[0]}", sealed=True)
            bob.wait_for(lambda e: e["event"] == "message_delivered")
            opened = [e for e in bob.collect(1.5) if e["event"] == "message_opened"]
    finally:
        listener.send_signal(signal.SIGTERM)
        out, _ = listener.communicate(timeout=10)
    (line,) = [line for line in out.splitlines() if "sealed message from bob" in line]
    if open_sealed:
        assert line.endswith(": the secret") and opened  # shown, and bob was told
    else:
        assert "the secret" not in out and "--open-sealed" in line and not opened


def test_send_says_which_items_of_a_folder_are_not_sent(ports: list[int], tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / "photos"
    folder.mkdir(parents=True)
    (folder / "a.jpg").write_bytes(b"jpeg")
    (folder / "elsewhere").symlink_to(tmp_path)  # a link out of the folder: never sent
    inbox = tmp_path / "inbox"
    with Listener([*common(ports[0], data=tmp_path / "a"), "--accept-files", "--save-dir",
                   str(inbox)]):  # fmt: skip
        wait_until_bound(ports[0])
        sent = run(["send", f"127.0.0.1:{ports[0]}", "", "--file", str(folder), "--timeout",
                    "20", *common(ports[1], data=tmp_path / "b")])  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    line = one_line(sent.stderr)
    assert f"not sent (only files and folders go): {folder / 'elsewhere'} (a symbolic link)" in line
    assert sorted(p.name for p in (inbox / "photos").iterdir()) == ["a.jpg"]
