"""IP Messenger for Windows and FeiQ, replayed over the wire to a real ``ipmsg-tui listen``.

The packets (tests/fixtures/real_packets.py, built from the protocol notes §12 and §14) come
from scripted peers on their own lab hosts, and their files from scripted TCP servers there
(a Windows folder stream among them). Where tests/core feeds them to the engine, this
checks the whole path a user depends on: socket, node, history and the JSON that
``listen`` prints, the answers that go back on the wire, and the files that land on disk.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ipmsg_tui.keystore import load_or_create_keys
from ipmsg_tui.protocol.engine import ENCRYPTED_NOTICE

from ..fixtures import real_packets as real
from ..support.netlab import Lan, lan_of
from ..support.rawfiles import RawFileServer
from ..support.rawpeer import RawPeer
from .ours import OurSide

ANSENTRY, RECVMSG, GETFILEDATA, GETDIRFILES = 0x03, 0x21, 0x60, 0x62
ENCRYPTOPT, UTF8OPT = 0x400000, 0x800000
# One offer of the same two files in each way real clients end attachment entries.
ENDINGS = {
    "colon-bel (Windows)": b"1:a.txt:5:6620f1c0:1:\x072:b.txt:6:6620f1c0:1:\x07",
    "colon-bel-colon (iptux)": b"1:a.txt:5:6620f1c0:1:\x07:2:b.txt:6:6620f1c0:1:\x07:",
    "bel": b"1:a.txt:5:6620f1c0:1\x072:b.txt:6:6620f1c0:1\x07",
    "bel-colon": b"1:a.txt:5:6620f1c0:1\x07:2:b.txt:6:6620f1c0:1\x07:",
}


@pytest.fixture(scope="module")
def replay_lab() -> Iterator[Lan]:
    with lan_of("us", "windows", "feiq") as lan:
        yield lan


@pytest.fixture
def side(replay_lab: Lan, tmp_path: Path) -> Iterator[OurSide]:
    ours = OurSide(replay_lab, tmp_path)
    yield ours
    ours.close()


def header(datagram: bytes) -> tuple[int, bytes]:
    """(command, extension) of a datagram we sent, read without our own codec."""
    fields = datagram.split(b":", 5)
    return int(fields[4]), fields[5]


def mode_is(mode: int) -> Callable[[bytes], bool]:
    return lambda datagram: header(datagram)[0] & 0xFF == mode


def packet_number(datagram: bytes) -> int:
    return int(datagram.split(b":", 2)[1])


def event_from(ip: str, kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == kind and e["ip"] == ip


def test_windows_host_entry_messages_and_offer(replay_lab: Lan, side: OurSide) -> None:
    us, windows_ip = replay_lab["us"].ip, replay_lab["windows"].ip
    # As a client without encryption: the recorded encrypted message was made for another
    # key, and with ours it would be rejected (tests/cli/test_encryption.py covers that).
    listener = side.listen("us", "--encryption", "off", nick="终端用户", group="测试组")
    with RawPeer(replay_lab["windows"]) as windows:
        windows.send(real.WINDOWS_BR_ENTRY, us)
        joined = listener.wait_for(event_from(windows_ip, "peer_joined"))
        assert (joined["nick"], joined["group"], joined["user"], joined["host"]) == (
            "太郎",
            "开发部",
            "taro",
            "PC01",
        )
        # Windows advertised CAPUTF8OPT and ENCRYPTOPT: we answer in UTF-8, unencrypted.
        answer = windows.wait_for(mode_is(ANSENTRY))[0][0]
        command, extension = header(answer)
        assert command & UTF8OPT and not command & ENCRYPTOPT
        assert extension.split(b"\0")[:2] == ["终端用户".encode(), "测试组".encode()]

        replay = [
            real.WINDOWS_SENDMSG_UTF8,
            real.WINDOWS_SENDMSG_UTF8,  # a retransmission: acknowledged again, shown once
            real.WINDOWS_SENDMSG_PADDED,
            real.WINDOWS_SENDMSG_SEALED,
            real.WINDOWS_SENDMSG_ENCRYPTED,
            real.WINDOWS_FILE_OFFER,
        ]
        for datagram in replay:
            windows.send(datagram, us)
        messages = listener.wait_for_all(event_from(windows_ip, "message"), 5)
        windows.send(real.WINDOWS_IPDICT, us)
        notice = listener.wait_for(event_from(windows_ip, "unsupported"))
        acks = windows.wait_for(mode_is(RECVMSG), count=len(replay))
    receipts = [header(datagram)[1].rstrip(b"\0") for datagram, _ in acks]

    assert [(m["text"], m["sealed"], m["encrypted"]) for m in messages] == [
        ("你好 🙂", False, False),
        ("padded", False, False),
        ("secret", True, False),
        (ENCRYPTED_NOTICE, False, True),
        ("see files", False, False),
    ]
    assert {m["nick"] for m in messages} == {"太郎"}
    assert [(a["id"], a["name"], a["size"], a["dir"]) for a in messages[-1]["attachments"]] == [
        (1, "report.pdf", 0x1A2B, False),
        (2, "a:b.txt", 0, False),
    ]
    assert "encrypted" in notice["reason"]
    assert receipts == [b"%d" % packet_number(d) for d in replay]
    history = side.history("us")
    assert [row["text"] for row in history] == [m["text"] for m in messages]


def test_japanese_windows_names_come_from_the_utf8_trailer(replay_lab: Lan, side: OurSide) -> None:
    listener = side.listen("us", encoding="cp932")
    with RawPeer(replay_lab["windows"]) as windows:
        windows.send(real.WINDOWS_BR_ENTRY_CP932, replay_lab["us"].ip)
        joined = listener.wait_for(event_from(replay_lab["windows"].ip, "peer_joined"))
    # The header says TARO-PC; the trailer's UN: wins, as on Windows.
    assert (joined["user"], joined["host"], joined["nick"], joined["group"]) == (
        "yamada",
        "JUPITER",
        "山田[会議中]",
        "営業部",
    )


def test_feiq_host_entry_and_messages(replay_lab: Lan, side: OurSide) -> None:
    us, feiq_ip = replay_lab["us"].ip, replay_lab["feiq"].ip
    load_or_create_keys(side.data_dir("us"))  # ready before FeiQ comes: it hears ENCRYPTOPT
    listener = side.listen("us", nick="终端用户", group="测试组")
    with RawPeer(replay_lab["feiq"]) as feiq:
        feiq.send(real.FEIQ_BR_ENTRY, us)
        joined = listener.wait_for(event_from(feiq_ip, "peer_joined"))
        answer = feiq.wait_for(mode_is(ANSENTRY))[0][0]
        feiq.send(real.FEIQ_TYPING, us)  # "is typing": no message, no answer
        feiq.send(real.FEIQ_SENDMSG, us)
        (message,) = listener.wait_for_all(event_from(feiq_ip, "message"), 1)
        feiq.wait_for(mode_is(RECVMSG))
        listener.collect(0.5)
        replies = [header(d)[0] & 0xFF for d, _ in feiq.received]

    assert (joined["nick"], joined["group"], joined["user"], joined["host"]) == (
        "张三",
        "市场部",
        "zhang",
        "ZHANG-PC",
    )
    assert joined["version"].startswith("1_lbt4_")
    # FeiQ reads GBK and has no CAPUTF8OPT: our names go to it in GBK (no UTF8OPT); names
    # are never encrypted, but we say we can encrypt messages (it does, the FeiQ way).
    command, extension = header(answer)
    assert not command & UTF8OPT and command & ENCRYPTOPT
    assert extension.split(b"\0")[:2] == ["终端用户".encode("gbk"), "测试组".encode("gbk")]
    assert message["text"] == "晚上一起吃饭吗？"  # its {font...} suffix removed
    assert [e for e in listener.events if e["event"] == "message"] == [message]
    assert replies.count(RECVMSG) == 1  # the message, not the typing notice


def test_attachment_lists_in_every_ending_style(replay_lab: Lan, side: OurSide) -> None:
    listener = side.listen("us")
    with RawPeer(replay_lab["windows"]) as windows:
        windows.send(real.WINDOWS_BR_ENTRY, replay_lab["us"].ip)
        for number, files in enumerate(ENDINGS.values(), start=1714000100):
            body = b"%s\0%s\0" % (b"files", files)
            windows.send(b"1:%d:taro:PC01:%d:%s" % (number, 0x200120, body), replay_lab["us"].ip)
        offers = listener.wait_for_all(event_from(replay_lab["windows"].ip, "message"), 4)

    for style, offer in zip(ENDINGS, offers, strict=True):
        assert [(a["id"], a["name"], a["size"]) for a in offer["attachments"]] == [
            (1, "a.txt", 5),
            (2, "b.txt", 6),
        ], style


def answering(files: dict[int, bytes]) -> Callable[[bytes], bytes]:
    """A sender's answer to a request: the bytes of the file (or folder stream) it names."""

    def answer(request: bytes) -> bytes:
        # version:packet:user:host:command:offer(hex):file id(hex)[:offset]
        return files[int(request.split(b":")[6], 16)]

    return answer


def request_fields(request: bytes) -> tuple[int, bytes, bytes]:
    """(command, user@host, extension) of a file request we sent."""
    fields = request.rstrip(b"\0").split(b":", 5)
    return int(fields[4]), fields[2] + b"@" + fields[3], fields[5]


def test_windows_and_feiq_files_and_a_windows_folder_download(
    replay_lab: Lan, side: OurSide, tmp_path: Path
) -> None:
    us = replay_lab["us"].ip
    report = random.Random(7).randbytes(0x1A2B)  # report.pdf of WINDOWS_FILE_OFFER
    minutes = "三点在三楼开会，带上季度报告。".encode("gbk")  # 会议纪要.txt of FEIQ_FILE_OFFER
    assert len(minutes) == 0x1E
    windows_files = {1: report, 537190934: real.WINDOWS_FOLDER_STREAM}
    inbox = tmp_path / "inbox"
    listener = side.listen("us", "--accept-files", "--save-dir", str(inbox), "--checksum")
    with (
        RawPeer(replay_lab["windows"]) as windows,
        RawPeer(replay_lab["feiq"]) as feiq,
        RawFileServer(replay_lab["windows"], answering(windows_files)) as windows_server,
        RawFileServer(replay_lab["feiq"], answering({1: minutes})) as feiq_server,
    ):
        windows.send(real.WINDOWS_BR_ENTRY, us)
        feiq.send(real.FEIQ_BR_ENTRY, us)
        listener.wait_for_all(lambda e: e["event"] == "peer_joined", 2)
        windows.send(real.WINDOWS_FILE_OFFER, us)
        windows.send(real.WINDOWS_FOLDER_OFFER, us)
        feiq.send(real.FEIQ_FILE_OFFER, us)
        received = listener.wait_for_all(lambda e: e["event"] == "file_received", 4)
        offers = [e for e in listener.events if e["event"] == "message"]
    assert not [e for e in listener.events if e["event"] == "file_failed"]

    by_name = {e["name"]: e for e in received}
    assert set(by_name) == {"report.pdf", "a:b.txt", "proj", "会议纪要.txt"}
    senders = {name: (e["ip"], e["nick"]) for name, e in by_name.items()}
    windows_peer = (replay_lab["windows"].ip, "太郎")
    assert senders == {
        "report.pdf": windows_peer,
        "a:b.txt": windows_peer,
        "proj": windows_peer,
        "会议纪要.txt": (replay_lab["feiq"].ip, "张三"),
    }
    assert sorted((m["text"], [a["name"] for a in m["attachments"]]) for m in offers) == [
        ("see files", ["report.pdf", "a:b.txt"]),
        ("会议纪要", ["会议纪要.txt"]),
        ("项目文件夹", ["proj"]),
    ]
    assert (inbox / "report.pdf").read_bytes() == report
    assert by_name["report.pdf"]["sha256"] == hashlib.sha256(report).hexdigest()
    assert (inbox / "a:b.txt").read_bytes() == b""  # 0 bytes: made without a connection
    assert (inbox / "会议纪要.txt").read_bytes() == minutes
    assert by_name["proj"]["files"] == 1
    assert [p.name for p in (inbox / "proj").iterdir()] == ["a.txt"]
    assert (inbox / "proj" / "a.txt").read_bytes() == b"hello"
    assert (inbox / "proj" / "a.txt").stat().st_mtime == 0x6620F1C0
    assert (inbox / "proj").stat().st_mtime == 0x6620F1C0

    # The requests, as each sender checks them: its packet number and our file id in hex,
    # our user and host names; UTF8OPT to Windows (it reads UTF-8), not to FeiQ.
    ours = b"user-us@tui-us"
    assert sorted(request_fields(r) for r in windows_server.received()) == [
        (GETFILEDATA | UTF8OPT, ours, b"%x:1:0:" % 1714000010),
        (GETDIRFILES | UTF8OPT, ours, b"%x:%x:" % (1714000030, 537190934)),
    ]
    assert [request_fields(r) for r in feiq_server.received()] == [
        (GETFILEDATA, ours, b"%x:1:0:" % 1714001003)
    ]
