"""Real clients' datagrams fed to an engine: the right peer, text and files come out."""

from __future__ import annotations

import pytest

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.constants import Command, EntryOpt, SendOpt
from ipmsg_tui.protocol.engine import ENCRYPTED_NOTICE, Engine
from ipmsg_tui.protocol.packet import Packet, parse_packet

from ..fixtures import real_packets as real
from ..support.wire import make_engine

NOW = 1_800_000_000.0
US = ("10.77.0.2", 2425)
IPTUX = ("10.77.0.1", 2425)
WINDOWS = ("10.77.0.9", 2425)
FEIQ = ("10.77.0.7", 2425)


@pytest.fixture
def engine() -> Engine:
    return make_engine(US[0], "probe", NOW)


def feed(engine: Engine, data: bytes, addr: tuple[str, int]) -> tuple[list[ev.Event], list[Packet]]:
    engine.receive_datagram(data, addr, NOW)
    return engine.events(), [parse_packet(d) for d, _ in engine.datagrams_to_send()]


def test_iptux_entry_is_a_present_peer_answered_in_the_legacy_code_page(engine: Engine) -> None:
    events, replies = feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    (joined,) = events
    assert isinstance(joined, ev.PeerJoined)
    peer = joined.peer
    assert (peer.nick, peer.group, peer.user, peer.host) == ("iptux-peer", "lab", "root", "iptux-a")
    assert peer.is_iptux and not peer.away  # iptux always sets ABSENCEOPT: ignored
    assert peer.iptux_encoding == "utf-8" and not peer.speaks_utf8
    (answer,) = replies
    assert answer.mode == Command.ANSENTRY and not answer.has(EntryOpt.UTF8OPT)


def test_iptux_sends_two_copies_of_its_entry_and_gets_one_answer(engine: Engine) -> None:
    feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    events, replies = feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    assert replies == [] and events == []


@pytest.mark.parametrize(
    ("raw", "nick"),
    [(real.IPTUX_ANSENTRY_UTF8_CHINESE, "图克斯"), (real.IPTUX_ANSENTRY_GBK_CHINESE, "图克斯")],
)
def test_iptux_chinese_names_in_utf8_or_gbk(engine: Engine, raw: bytes, nick: str) -> None:
    (joined,), _ = feed(engine, raw, IPTUX)
    assert isinstance(joined, ev.PeerJoined)
    assert (joined.peer.nick, joined.peer.group) == (nick, "实验室")


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (real.IPTUX_SENDMSG_GB18030, "中文 from iptux (after GBK)"),
        (real.IPTUX_SENDMSG_UTF8, "中文 from iptux (after re-entry)"),
    ],
)
def test_iptux_messages_in_either_encoding(engine: Engine, raw: bytes, text: str) -> None:
    feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    events, replies = feed(engine, raw, IPTUX)
    (message,) = [e for e in events if isinstance(e, ev.MessageReceived)]
    assert message.text == text
    (ack,) = replies
    assert ack.mode == Command.RECVMSG and ack.parts() == [
        str(parse_packet(raw).packet_no).encode()
    ]


def test_iptux_four_retransmissions_are_one_message_and_four_receipts(engine: Engine) -> None:
    feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    messages, acks = [], []
    for _ in range(4):
        events, replies = feed(engine, real.IPTUX_SENDMSG_NOACK_TEST, IPTUX)
        messages += [e for e in events if isinstance(e, ev.MessageReceived)]
        acks += [r for r in replies if r.mode == Command.RECVMSG]
    assert [m.text for m in messages] == ["no-ack test"] and len(acks) == 4


def test_iptux_restart_reuses_packet_numbers_and_messages_still_show(engine: Engine) -> None:
    feed(engine, real.IPTUX_BR_ENTRY.replace(b":1:", b":13:", 1), IPTUX)
    feed(engine, real.IPTUX_SENDMSG_NOACK_TEST, IPTUX)  # packet 14
    feed(engine, real.IPTUX_BR_ENTRY, IPTUX)  # restarted: packet numbers from 1 again
    second = real.IPTUX_SENDMSG_NOACK_TEST.replace(b"no-ack test", b"after restart")
    events, _ = feed(engine, second, IPTUX)  # packet 14 again, a new message
    assert [e.text for e in events if isinstance(e, ev.MessageReceived)] == ["after restart"]


def test_iptux_receipt_carries_sendcheckopt_and_is_not_acknowledged(engine: Engine) -> None:
    feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    engine.datagrams_to_send()
    engine.send_message([IPTUX], "hi", NOW)
    ((datagram, _),) = engine.datagrams_to_send()
    number = parse_packet(datagram).packet_no
    events, replies = feed(
        engine, real.IPTUX_RECVMSG.replace(b"413313420", str(number).encode()), IPTUX
    )
    assert events == [ev.MessageDelivered(IPTUX, number)] and replies == []


def test_iptux_unicast_exit_with_empty_extension_removes_it(engine: Engine) -> None:
    feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    events, replies = feed(engine, real.IPTUX_BR_EXIT, IPTUX)
    assert [type(e) for e in events] == [ev.PeerLeft] and replies == []
    assert list(engine.peers) == []


def test_iptux_file_and_folder_offers(engine: Engine) -> None:
    feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    events, replies = feed(engine, real.IPTUX_FILE_OFFER, IPTUX)
    (offer,) = [e for e in events if isinstance(e, ev.MessageReceived)]
    assert offer.text == "" and not offer.acknowledged and replies == []  # no SENDCHECKOPT
    assert [(a.file_id, a.name, a.size) for a in offer.attachments] == [(10000, "report.txt", 0x12)]
    events, _ = feed(engine, real.IPTUX_FOLDER_OFFER, IPTUX)
    (folder,) = next(e for e in events if isinstance(e, ev.MessageReceived)).attachments
    assert folder.is_dir and folder.name == "docs"


def test_message_to_iptux_is_gb18030_without_utf8opt_and_fits_8k(engine: Engine) -> None:
    feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    engine.datagrams_to_send()
    parts = engine.send_message([IPTUX], "中文" * 3000, NOW)
    datagrams = [d for d, _ in engine.datagrams_to_send()]
    assert len(parts) == 2 and all(len(d) <= 8192 for d in datagrams)
    packet = parse_packet(datagrams[0])
    assert not packet.has(SendOpt.UTF8OPT)
    assert packet.parts()[0].decode("gb18030") == parts[0].text


def test_a_colon_in_a_name_offered_to_iptux_becomes_an_underscore(engine: Engine) -> None:
    # iptux 0.8.3 reads an entry's size and type before it folds "::" back into ":", so an
    # escaped colon would make it drop that attachment and every one after it.
    feed(engine, real.IPTUX_BR_ENTRY, IPTUX)
    feed(engine, real.WINDOWS_BR_ENTRY, WINDOWS)
    engine.datagrams_to_send()
    files = [Attachment(7, "a:b.txt", 5, 0x6620F1C0), Attachment(8, "c.txt", 6, 0x6620F1C0)]
    engine.send_message([IPTUX, WINDOWS], "files", NOW, attachments=files)
    lists = {addr: parse_packet(d).parts()[1] for d, addr in engine.datagrams_to_send()}
    assert lists[IPTUX] == b"7:a_b.txt:5:6620f1c0:1:\x078:c.txt:6:6620f1c0:1:\x07"
    assert lists[WINDOWS] == b"7:a::b.txt:5:6620f1c0:1:\x078:c.txt:6:6620f1c0:1:\x07"


def test_windows_entry_with_trailer_and_a_utf8_answer(engine: Engine) -> None:
    events, replies = feed(engine, real.WINDOWS_BR_ENTRY, WINDOWS)
    (joined,) = events
    assert isinstance(joined, ev.PeerJoined)
    peer = joined.peer
    assert (peer.nick, peer.group, peer.user, peer.host) == ("太郎", "开发部", "taro", "PC01")
    assert peer.speaks_utf8 and not peer.is_iptux
    (answer,) = replies
    assert answer.mode == Command.ANSENTRY and answer.has(EntryOpt.UTF8OPT)
    assert not answer.has(EntryOpt.ENCRYPTOPT)
    assert answer.parts()[0] == b"probe"


def test_windows_utf8_answer_entry(engine: Engine) -> None:
    (joined,), replies = feed(engine, real.WINDOWS_ANSENTRY_UTF8, WINDOWS)
    assert isinstance(joined, ev.PeerJoined)
    assert (joined.peer.nick, joined.peer.group) == ("太郎", "开发部") and replies == []


def test_japanese_windows_entry_with_cp932() -> None:
    engine = make_engine(US[0], "probe", NOW, legacy_codec="cp932")
    (joined,), _ = feed(engine, real.WINDOWS_BR_ENTRY_CP932, WINDOWS)
    assert isinstance(joined, ev.PeerJoined)
    assert (joined.peer.user, joined.peer.nick, joined.peer.group) == (
        "yamada",
        "山田[会議中]",
        "営業部",
    )


def test_windows_messages_utf8_padded_sealed(engine: Engine) -> None:
    feed(engine, real.WINDOWS_BR_ENTRY, WINDOWS)
    engine.datagrams_to_send()
    events, replies = feed(engine, real.WINDOWS_SENDMSG_UTF8, WINDOWS)
    (message,) = [e for e in events if isinstance(e, ev.MessageReceived)]
    assert message.text == "你好 🙂"
    assert replies[0].mode == Command.RECVMSG and not replies[0].has(EntryOpt.UTF8OPT)
    events, _ = feed(engine, real.WINDOWS_SENDMSG_PADDED, WINDOWS)
    assert [e.text for e in events if isinstance(e, ev.MessageReceived)] == ["padded"]
    events, _ = feed(engine, real.WINDOWS_SENDMSG_SEALED, WINDOWS)
    (sealed,) = [e for e in events if isinstance(e, ev.MessageReceived)]
    assert sealed.sealed and sealed.read_check and sealed.locked


def test_message_to_windows_is_utf8(engine: Engine) -> None:
    feed(engine, real.WINDOWS_BR_ENTRY, WINDOWS)
    engine.datagrams_to_send()
    engine.send_message([WINDOWS], "早上好 ☀️", NOW)
    ((datagram, _),) = engine.datagrams_to_send()
    packet = parse_packet(datagram)
    assert packet.has(SendOpt.UTF8OPT) and packet.parts()[0] == "早上好 ☀️".encode()


def test_per_peer_override_changes_both_directions(engine: Engine) -> None:
    feed(engine, real.WINDOWS_BR_ENTRY, WINDOWS)
    engine.set_peer_encoding("taro@PC01", "cp932")
    engine.datagrams_to_send()
    engine.send_message([WINDOWS], "日本語", NOW)
    ((datagram, _),) = engine.datagrams_to_send()
    packet = parse_packet(datagram)
    assert not packet.has(SendOpt.UTF8OPT) and packet.parts()[0] == "日本語".encode("cp932")
    raw = b"1:1714000099:taro:PC01:288:" + "日本語です".encode("cp932") + b"\x00"
    events, _ = feed(engine, raw, WINDOWS)
    assert [e.text for e in events if isinstance(e, ev.MessageReceived)] == ["日本語です"]


def test_encrypted_message_is_reported_not_shown_as_garbage(engine: Engine) -> None:
    feed(engine, real.WINDOWS_BR_ENTRY, WINDOWS)
    engine.datagrams_to_send()
    events, replies = feed(engine, real.WINDOWS_SENDMSG_ENCRYPTED, WINDOWS)
    (message,) = [e for e in events if isinstance(e, ev.MessageReceived)]
    assert message.encrypted and message.text == ENCRYPTED_NOTICE
    assert [r.mode for r in replies] == [Command.RECVMSG]


def test_ipdict_packet_is_reported_as_unsupported(engine: Engine) -> None:
    events, replies = feed(engine, real.WINDOWS_IPDICT, WINDOWS)
    assert len(events) == 1 and isinstance(events[0], ev.UnsupportedPacket)
    assert "encrypted" in events[0].reason and replies == []


def test_feiq_entry_message_and_typing_notice(engine: Engine) -> None:
    (joined,), _ = feed(engine, real.FEIQ_BR_ENTRY, FEIQ)
    assert isinstance(joined, ev.PeerJoined)
    assert (joined.peer.nick, joined.peer.group) == ("张三", "市场部") and joined.peer.is_feiq
    events, replies = feed(engine, real.FEIQ_SENDMSG, FEIQ)
    assert [e.text for e in events if isinstance(e, ev.MessageReceived)] == ["晚上一起吃饭吗？"]
    events, replies = feed(engine, real.FEIQ_TYPING, FEIQ)
    assert not [e for e in events if isinstance(e, ev.MessageReceived)] and replies == []


def test_shiyeline_entry(engine: Engine) -> None:
    (joined,), _ = feed(engine, real.SHIYELINE_BR_ENTRY, ("10.77.0.8", 2425))
    assert isinstance(joined, ev.PeerJoined)
    assert joined.peer.nick == "李四" and joined.peer.version == "1@shiyeline"


def test_stranger_becomes_a_peer_and_is_asked_who_it_is(engine: Engine) -> None:
    events, replies = feed(engine, real.WINDOWS_SENDMSG_UTF8, WINDOWS)
    joined = [e for e in events if isinstance(e, ev.PeerJoined)]
    assert joined and not joined[0].peer.announced and joined[0].peer.user == "taro"
    assert sorted(r.mode for r in replies) == [Command.BR_ENTRY, Command.RECVMSG]


def test_one_shot_sender_is_not_probed(engine: Engine) -> None:
    raw = b"1:5:bot:ci:" + str(0x20 | 0x100 | 0x80000).encode() + b":build ok\x00"
    _, replies = feed(engine, raw, ("10.77.0.50", 2425))
    assert [r.mode for r in replies] == [Command.RECVMSG]


def test_a_repeated_entry_is_read_in_the_code_page_chosen_since(engine: Engine) -> None:
    # A Japanese client without the UTF-8 trailer: read as GBK (the default) it is garbled.
    entry = b"1:1714000200:yamada:JUPITER:1:" + "山田".encode("cp932") + b"\x00\x00"
    (joined,) = feed(engine, entry, WINDOWS)[0]
    assert isinstance(joined, ev.PeerJoined) and joined.peer.nick != "山田"
    engine.set_peer_encoding("yamada@JUPITER", "cp932")
    engine.events()
    feed(engine, entry, WINDOWS)  # the same bytes again: its next announcement
    assert engine.peers.get(WINDOWS).nick == "山田"  # type: ignore[union-attr]


def test_the_same_entry_from_two_addresses_makes_two_peers(engine: Engine) -> None:
    feed(engine, real.FEIQ_BR_ENTRY, FEIQ)
    feed(engine, real.FEIQ_BR_ENTRY, ("10.77.0.8", 2425))
    assert [(p.addr[0], p.nick, p.group) for p in engine.peers] == [
        ("10.77.0.7", "张三", "市场部"),
        ("10.77.0.8", "张三", "市场部"),
    ]
