"""``send --file`` and ``listen --accept-files`` as real processes on 127.0.0.1."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from ipmsg_tui.headless.output import file_record
from ipmsg_tui.net.files import TransferEnded
from ipmsg_tui.net.transfers import Direction, Transfer, TransferState
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.constants import Command, SendOpt

from ..support.procs import Listener, run
from ..support.trees import random_file, sha256, tree_digest


def common(port: int, *peers: int, data: Path) -> list[str]:
    args = ["--bind", "127.0.0.1", "--port", str(port), "--data-dir", str(data)]
    for peer in peers:
        args += ["--host", f"127.0.0.1:{peer}"]
    return args


def test_send_files_and_a_folder_to_an_accepting_listener(ports: list[int], tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    big = random_file(outbox / "大文件 v1:final.bin", 3 * 1024 * 1024 + 5, seed=1)
    empty = random_file(outbox / "empty", 0)
    folder = outbox / "tree"
    random_file(folder / "a" / "b" / "c.txt", 700, seed=2)
    (folder / "empty-dir").mkdir(parents=True)
    os.utime(big, (1_234_567_890, 1_234_567_890))
    inbox = tmp_path / "inbox"
    with Listener(
        [
            *common(ports[0], ports[1], data=tmp_path / "a"),
            "--accept-files",
            "--save-dir",
            str(inbox),
            "--checksum",
        ]
    ) as alice:
        sent = run(
            [
                "send",
                f"127.0.0.1:{ports[0]}",
                "three things",
                "--file",
                str(big),
                "--file",
                str(empty),
                "--file",
                str(folder),
                "--timeout",
                "20",
                *common(ports[1], data=tmp_path / "b"),
            ]
        )
        assert sent.returncode == 0, sent.stderr
        received = {}
        for name in (big.name, "empty", "tree"):
            event = alice.wait_for(
                lambda e, n=name: e["event"] == "file_received" and e["name"] == n
            )
            received[name] = event
        assert received[big.name]["sha256"] == sha256(big)
        assert received[big.name]["size"] == big.stat().st_size
        assert received[big.name]["port"] == ports[1]
        assert Path(received[big.name]["path"]) == inbox / big.name
        assert (inbox / big.name).stat().st_mtime == 1_234_567_890
        assert received["empty"]["size"] == 0 and (inbox / "empty").read_bytes() == b""
        assert received["tree"]["dir"] and received["tree"]["files"] == 1
        assert tree_digest(inbox / "tree") == tree_digest(folder)
        message = alice.wait_for(lambda e: e["event"] == "message")
        assert [a["name"] for a in message["attachments"]] == [big.name, "empty", "tree"]


def test_send_times_out_when_nobody_fetches(ports: list[int], tmp_path: Path) -> None:
    source = random_file(tmp_path / "x.bin", 10)
    with Listener(common(ports[0], ports[1], data=tmp_path / "a")) as alice:  # no --accept-files
        sent = run(
            [
                "send",
                f"127.0.0.1:{ports[0]}",
                "take it",
                "--file",
                str(source),
                "--timeout",
                "2",
                *common(ports[1], data=tmp_path / "b"),
            ]
        )
        assert sent.returncode == 1
        lines = sent.stderr.strip().splitlines()
        assert len(lines) == 1 and "did not fetch the files within 2 s" in lines[0], sent.stderr
        alice.wait_for(lambda e: e["event"] == "message")


def test_send_of_a_missing_path_is_a_usage_error(ports: list[int], tmp_path: Path) -> None:
    with Listener(common(ports[0], ports[1], data=tmp_path / "a")):
        sent = run(
            [
                "send",
                f"127.0.0.1:{ports[0]}",
                "x",
                "--file",
                str(tmp_path / "nope.txt"),
                *common(ports[1], data=tmp_path / "b"),
            ]
        )
    assert sent.returncode == 2 and "nope.txt: no such file or folder" in sent.stderr


def test_send_with_a_busy_tcp_port_says_so(ports: list[int], tmp_path: Path) -> None:
    source = random_file(tmp_path / "x.bin", 10)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", ports[1]))
        blocker.listen()
        sent = run(
            [
                "send",
                f"127.0.0.1:{ports[0]}",
                "x",
                "--file",
                str(source),
                *common(ports[1], data=tmp_path / "b"),
            ]
        )
    assert sent.returncode == 2
    assert f"TCP port {ports[1]} on 127.0.0.1 is already in use" in sent.stderr


def test_listener_reports_a_sender_whose_tcp_port_is_closed(
    ports: list[int], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp_only:  # and no TCP listener
        udp_only.bind(("127.0.0.1", ports[1]))
        udp_only.settimeout(10)
        with Listener(
            [
                *common(ports[0], ports[1], data=tmp_path / "a"),
                "--accept-files",
                "--save-dir",
                str(inbox),
            ]
        ) as alice:
            udp_only.recvfrom(65536)  # its BR_ENTRY: it is up
            command = Command.SENDMSG | SendOpt.FILEATTACHOPT
            offer = b"1:5:mallory:evilbox:%d:see\0001:report.pdf:10:0:1:\a\0" % command
            udp_only.sendto(offer, ("127.0.0.1", ports[0]))
            failed = alice.wait_for(lambda e: e["event"] == "file_failed", timeout=20)
    assert failed["name"] == "report.pdf" and failed["port"] == ports[1]
    assert f"UDP works but TCP {ports[1]} is not reachable on 127.0.0.1" in failed["error"]
    assert not (inbox / "report.pdf").exists()


async def test_file_received_names_a_sha256_only_when_one_was_computed() -> None:
    transfer = Transfer(
        Direction.IN, ("127.0.0.1", 2425), "bob", Attachment(1, "x.bin", 3, 0), 42, total=3
    )
    transfer.begin()
    transfer.advance(3)
    transfer.end(TransferState.DONE)
    assert "sha256" not in (file_record(TransferEnded(transfer)) or {})
    transfer.sha256 = "ab" * 32  # listen --checksum
    assert (file_record(TransferEnded(transfer)) or {})["sha256"] == "ab" * 32
