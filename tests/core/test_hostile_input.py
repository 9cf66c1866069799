"""Hostile and absurd input: the engine never raises, stays bounded, and cannot be fooled."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.constants import Command, SendOpt
from ipmsg_tui.protocol.engine import Engine
from ipmsg_tui.protocol.entry import parse_entry
from ipmsg_tui.protocol.packet import format_packet, join_parts

from ..support.wire import make_engine

NOW = 1_800_000_000.0
ME = ("10.77.0.2", 2425)

_fields = st.binary(max_size=40).map(lambda b: b.replace(b":", b""))
_commands = st.one_of(
    st.sampled_from([int(c) for c in Command]).flatmap(
        lambda mode: st.integers(0, 0xFFFFFF).map(lambda opts: mode | (opts << 8))
    ),
    st.integers(0, 0xFFFFFFFF),
)
_datagrams = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda no, user, host, cmd, parts: format_packet(
            b"1", no, user, host, cmd, join_parts(*parts)
        ),
        st.integers(0, 2**40),
        _fields,
        _fields,
        _commands,
        st.lists(st.binary(max_size=80), max_size=5),
    ),
)
_addrs = st.tuples(
    st.sampled_from(["10.77.0.1", "10.77.0.3", "10.77.0.2"]), st.sampled_from([2425, 2426])
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_datagrams, _addrs), max_size=30))
def test_any_datagrams_in_any_order_never_raise(
    datagrams: list[tuple[bytes, tuple[str, int]]],
) -> None:
    engine = make_engine(ME[0], "me", NOW)
    engine.start(NOW)
    now = NOW
    for data, addr in datagrams:
        now += 0.3
        engine.receive_datagram(data, addr, now)
        engine.handle_timer(now)
        engine.datagrams_to_send()
    assert all(isinstance(e, ev.Event) for e in engine.events())
    assert all(peer.addr != ME for peer in engine.peers)  # we never list ourselves


@given(st.lists(st.binary(max_size=60), max_size=6), st.sampled_from(["utf-8", "gb18030", "cp932"]))
def test_entry_parser_never_raises(parts: list[bytes], codec: str) -> None:
    info = parse_entry(parts, codec)
    assert "\x1b" not in info.nick and "\n" not in info.group and len(info.nick) <= 80


def _entry(no: int, user: bytes, nick: bytes) -> bytes:
    return format_packet(b"1", no, user, b"box", Command.BR_ENTRY, join_parts(nick, b"g"))


def test_an_entry_flood_from_many_addresses_is_bounded() -> None:
    engine = make_engine(ME[0], "me", NOW, max_peers=500, dedup_size=1000, sender_memory=1000)
    for i in range(5000):
        addr = (f"10.77.{i // 250}.{i % 250}", 2425 + i % 7)
        engine.receive_datagram(_entry(i, b"u%d" % i, b"n%d" % i), addr, NOW + i * 0.001)
        engine.datagrams_to_send()
        engine.events()
    assert len(engine.peers) == 500
    assert len(engine._last_packet_no) <= 1000 and len(engine._entry_copies) <= 1000


def test_a_message_flood_from_a_known_peer_is_acknowledged_and_memory_stays_bounded() -> None:
    engine = make_engine(ME[0], "me", NOW, dedup_size=1000)
    engine.receive_datagram(_entry(0, b"spam", b"spammer"), ("10.77.0.66", 2425), NOW)
    acks = 0
    for i in range(1, 3001):
        raw = format_packet(
            b"1", i, b"spam", b"box", Command.SENDMSG | SendOpt.SENDCHECKOPT, b"x%d\x00" % i
        )
        engine.receive_datagram(raw, ("10.77.0.66", 2425), NOW + i * 0.001)
        acks += sum(1 for d, _ in engine.datagrams_to_send() if b":33:" in d)
        engine.events()
    assert acks == 3000 and len(engine._dedup) <= 1000


def test_messages_from_spoofed_strangers_are_capped_but_known_peers_get_through() -> None:
    engine = make_engine(ME[0], "me", NOW, stranger_message_rate=100.0)
    engine.receive_datagram(_entry(1, b"alice", b"Alice"), ("10.77.0.1", 2425), NOW)
    shown: list[str] = []
    for i in range(2000):  # one second of flood: 2,000 messages from 2,000 addresses
        now = NOW + i / 2000
        spam = format_packet(
            b"1", i, b"s", b"x", Command.SENDMSG | SendOpt.SENDCHECKOPT, b"spam\x00"
        )
        engine.receive_datagram(spam, (f"10.77.{i // 200}.{i % 200}", 3000 + i), now)
        if i % 100 == 0:
            real = format_packet(
                b"1", 10 + i, b"alice", b"box", Command.SENDMSG, b"real %d\x00" % i
            )
            engine.receive_datagram(real, ("10.77.0.1", 2425), now)
        shown += [e.text for e in engine.events() if isinstance(e, ev.MessageReceived)]
        engine.datagrams_to_send()
    assert [t for t in shown if t.startswith("real")] == [f"real {i}" for i in range(0, 2000, 100)]
    assert shown.count("spam") <= 100 * 1 + 200  # one second at the rate, plus the burst


def test_a_stranger_that_retries_gets_through_a_spoofed_flood() -> None:
    engine = make_engine(ME[0], "me", NOW, stranger_message_rate=10.0)
    stranger = ("10.77.0.99", 2425)
    hello = format_packet(
        b"1", 7, b"new", b"pc", Command.SENDMSG | SendOpt.SENDCHECKOPT, b"hello\x00"
    )
    for i in range(100):  # the flood uses up the budget
        spam = format_packet(b"1", i, b"s", b"x", Command.SENDMSG, b"spam\x00")
        engine.receive_datagram(spam, (f"10.77.1.{i}", 3000), NOW)
    engine.events()
    engine.receive_datagram(hello, stranger, NOW + 0.01)  # first copy: dropped
    assert not [e for e in engine.events() if isinstance(e, ev.MessageReceived)]
    engine.receive_datagram(hello, stranger, NOW + 0.02)  # its retransmission: taken
    assert [e.text for e in engine.events() if isinstance(e, ev.MessageReceived)] == ["hello"]


def test_a_spoofed_entry_flood_does_not_push_out_confirmed_peers() -> None:
    engine = make_engine(ME[0], "me", NOW, max_peers=100)
    for i in range(2):  # alice is heard twice: confirmed
        engine.receive_datagram(_entry(1 + i, b"alice", b"Alice"), ("10.77.0.1", 2425), NOW)
    for i in range(5000):
        engine.receive_datagram(
            _entry(i, b"x%d" % i, b"x"), (f"10.77.{i // 200}.{i % 200 + 10}", 2425), NOW + i
        )
    assert engine.peers.get(("10.77.0.1", 2425)) is not None
    assert len(engine.peers) == 100


def test_escape_sequences_in_names_and_text_are_neutralised() -> None:
    engine = make_engine(ME[0], "me", NOW)
    evil = b"\x1b]0;owned\x07\x1b[2JMallory\xe2\x80\xae"  # title set, clear screen, RTL override
    engine.receive_datagram(_entry(5, b"m\x1b[1mallory", evil), ("10.77.0.66", 2425), NOW)
    message = format_packet(
        b"1", 6, b"m", b"box", Command.SENDMSG, b"hi\x1b[31m there\xc2\x9b2J\x00"
    )
    engine.receive_datagram(message, ("10.77.0.66", 2425), NOW)
    (joined,) = [e for e in engine.events() if isinstance(e, ev.PeerJoined)]
    assert joined.peer.nick == "Mallory" and joined.peer.user == "mallory"
    engine.receive_datagram(message.replace(b":6:", b":7:"), ("10.77.0.66", 2425), NOW)
    (text,) = [e.text for e in engine.events() if isinstance(e, ev.MessageReceived)]
    assert text == "hi there2J"


def test_exit_for_someone_else_removes_only_the_sender() -> None:
    engine: Engine = make_engine(ME[0], "me", NOW)
    engine.receive_datagram(_entry(1, b"alice", b"Alice"), ("10.77.0.1", 2425), NOW)
    engine.receive_datagram(_entry(1, b"bob", b"Bob"), ("10.77.0.3", 2425), NOW)
    # Bob's machine sends a BR_EXIT claiming to be alice: only Bob's own address leaves.
    spoof = format_packet(b"1", 2, b"alice", b"box", Command.BR_EXIT, join_parts(b"Alice", b"g"))
    engine.receive_datagram(spoof, ("10.77.0.3", 2425), NOW)
    assert [p.nick for p in engine.peers] == ["Alice"]


def test_packets_from_our_own_address_are_ignored() -> None:
    engine = make_engine(ME[0], "me", NOW)
    engine.receive_datagram(_entry(1, b"me", b"impostor"), ME, NOW)
    spoof = format_packet(b"1", 2, b"x", b"y", Command.SENDMSG | SendOpt.SENDCHECKOPT, b"boo\x00")
    engine.receive_datagram(spoof, ME, NOW)
    assert list(engine.peers) == [] and engine.events() == [] and engine.datagrams_to_send() == []


def test_someone_claiming_our_name_from_elsewhere_is_just_another_peer() -> None:
    engine = make_engine(ME[0], "me", NOW)
    engine.receive_datagram(_entry(1, b"me", b"me"), ("10.77.0.66", 2425), NOW)
    (peer,) = engine.peers
    assert peer.addr == ("10.77.0.66", 2425)


def test_absurd_attachment_sizes_are_skipped() -> None:
    engine = make_engine(ME[0], "me", NOW)
    offer = b"files\x001:huge:" + b"f" * 40 + b":0:1:\x072:ok.txt:10:0:1:\x07"
    raw = format_packet(b"1", 9, b"x", b"y", Command.SENDMSG | SendOpt.FILEATTACHOPT, offer)
    engine.receive_datagram(raw, ("10.77.0.66", 2425), NOW)
    (message,) = [e for e in engine.events() if isinstance(e, ev.MessageReceived)]
    assert [a.name for a in message.attachments] == ["ok.txt"]


def test_a_peer_heard_before_is_answered_at_once_even_when_answers_are_owed() -> None:
    engine = make_engine(ME[0], "me", NOW, unconfirmed_answer_rate=1.0, max_owed_answers=10)
    for i in range(50):  # spoofed entries use up the answer budget and fill the queue
        engine.receive_datagram(_entry(i, b"x%d" % i, b"x"), (f"10.77.1.{i}", 2425), NOW)
    engine.datagrams_to_send()
    real = ("10.77.0.5", 2425)  # a real client: NOOPERATION, then BR_ENTRY, as we start
    noop = format_packet(b"1", 100, b"real", b"pc", Command.NOOPERATION, b"\x00")
    engine.receive_datagram(noop, real, NOW + 0.01)
    engine.receive_datagram(_entry(101, b"real", b"Real"), real, NOW + 0.02)
    assert [addr for _, addr in engine.datagrams_to_send()] == [real]
