"""Messages between engines wired in memory: receipts, retries, dedup, sealed, multicast."""

from __future__ import annotations

from collections.abc import Callable

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.constants import Command, SendOpt
from ipmsg_tui.protocol.engine import Engine
from ipmsg_tui.protocol.packet import parse_packet

from ..support.wire import BROADCAST, Switch


def _pair(**config: object) -> tuple[Switch, object, object]:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice", **config)
    bob = lan.add("10.77.0.2", "bob", **config)
    alice.start(lan.now)
    bob.start(lan.now)
    lan.deliver()
    return lan, alice, bob


def _trio() -> tuple[Switch, list[Engine]]:
    lan = Switch()
    engines = [lan.add(f"10.77.0.{i}", n) for i, n in enumerate(["alice", "bob", "carol"], 1)]
    for engine in engines:
        engine.start(lan.now)
    lan.deliver()
    return lan, engines


def _mode(data: bytes) -> int:
    return parse_packet(data).mode


def _lose_first(count: int, mode: int) -> Callable[[bytes, object, object], bool]:
    """A drop rule for the switch: the first ``count`` datagrams of ``mode`` get lost."""
    lost = 0

    def drop(data: bytes, src: object, dst: object) -> bool:
        nonlocal lost
        if _mode(data) == mode and lost < count:
            lost += 1
            return True
        return False

    return drop


def test_message_is_acknowledged_with_its_decimal_packet_number() -> None:
    lan, alice, bob = _pair()
    (sent,) = alice.send_message([("10.77.0.2", 2425)], "hello 你好 👋", lan.now)
    lan.deliver()
    (received,) = lan.of(bob, ev.MessageReceived)
    assert received.text == "hello 你好 👋" and received.acknowledged
    assert received.peer.nick == "alice" and received.packet_no == sent.packet_no
    acks = [d for s, _, d in lan.sent if s == ("10.77.0.2", 2425) and _mode(d) == Command.RECVMSG]
    assert parse_packet(acks[0]).parts() == [str(sent.packet_no).encode()]
    assert lan.of(alice, ev.MessageDelivered) == [
        ev.MessageDelivered(("10.77.0.2", 2425), sent.packet_no)
    ]


def test_packet_numbers_start_at_the_clock_and_only_increase() -> None:
    lan, alice, _ = _pair()
    first = alice.send_message([("10.77.0.2", 2425)], "a", lan.now)[0].packet_no
    second = alice.send_message([("10.77.0.2", 2425)], "b", lan.now)[0].packet_no
    assert int(lan.now) <= first < second


def test_lost_messages_are_retransmitted_until_acknowledged() -> None:
    lan, alice, bob = _pair()
    lan.drop = _lose_first(2, Command.SENDMSG)
    alice.send_message([("10.77.0.2", 2425)], "persist", lan.now)
    lan.advance(4)
    assert [m.text for m in lan.of(bob, ev.MessageReceived)] == ["persist"]
    assert len(lan.of(alice, ev.MessageDelivered)) == 1
    assert lan.of(alice, ev.MessageFailed) == []


def test_lost_receipts_make_duplicates_that_are_acknowledged_and_shown_once() -> None:
    lan, alice, bob = _pair()
    lan.drop = lambda data, src, dst: _mode(data) == Command.RECVMSG
    (sent,) = alice.send_message([("10.77.0.2", 2425)], "once", lan.now)
    lan.advance(8)
    copies = [d for s, _, d in lan.sent if s == ("10.77.0.1", 2425) and _mode(d) == Command.SENDMSG]
    acks = [d for s, _, d in lan.sent if s == ("10.77.0.2", 2425) and _mode(d) == Command.RECVMSG]
    assert len(copies) == 5 and len(acks) == 5  # five sends in all, every one acknowledged
    assert [m.text for m in lan.of(bob, ev.MessageReceived)] == ["once"]
    assert lan.of(alice, ev.MessageFailed) == [
        ev.MessageFailed(("10.77.0.2", 2425), sent.packet_no)
    ]


def test_duplicated_datagrams_are_shown_once() -> None:
    lan, alice, bob = _pair()
    lan.duplicate = lambda data, src, dst: True
    for i in range(20):
        alice.send_message([("10.77.0.2", 2425)], f"m{i}", lan.now)
    lan.advance(2)
    assert [m.text for m in lan.of(bob, ev.MessageReceived)] == [f"m{i}" for i in range(20)]
    assert len(lan.of(alice, ev.MessageDelivered)) == 20


def test_silent_peer_is_reported_after_five_sends() -> None:
    lan, alice, _ = _pair(retry_interval=1.0, retry_count=5)
    del lan.engines[("10.77.0.2", 2425)]
    alice.send_message([("10.77.0.2", 2425)], "anyone?", lan.now)
    lan.advance(4.5)
    assert lan.of(alice, ev.MessageFailed) == []
    lan.advance(1.0)
    assert len(lan.of(alice, ev.MessageFailed)) == 1


def test_sealed_message_read_notice_round_trip() -> None:
    lan, alice, bob = _pair()
    (sent,) = alice.send_message([("10.77.0.2", 2425)], "for your eyes", lan.now, sealed=True)
    lan.deliver()
    (received,) = lan.of(bob, ev.MessageReceived)
    assert received.sealed and received.read_check
    lan.drop = _lose_first(1, Command.ANSREADMSG)
    bob.open_sealed(received.addr, received.packet_no, received.read_check, lan.now)
    lan.advance(3)
    readmsgs = [d for s, _, d in lan.sent if _mode(d) == Command.READMSG]
    assert len(readmsgs) == 2 and parse_packet(readmsgs[0]).has(SendOpt.READCHECKOPT)
    assert lan.of(alice, ev.MessageOpened) == [
        ev.MessageOpened(("10.77.0.2", 2425), sent.packet_no)
    ]
    assert lan.of(bob, ev.ReadNoticeDelivered) == [
        ev.ReadNoticeDelivered(("10.77.0.1", 2425), sent.packet_no)
    ]


def test_multicast_shares_one_packet_number() -> None:
    lan, (alice, bob, carol) = _trio()
    (sent,) = alice.send_message([("10.77.0.2", 2425), ("10.77.0.3", 2425)], "team", lan.now)
    lan.deliver()
    for engine in (bob, carol):
        (message,) = lan.of(engine, ev.MessageReceived)
        assert message.multicast and message.packet_no == sent.packet_no
    assert {d.addr for d in lan.of(alice, ev.MessageDelivered)} == {
        ("10.77.0.2", 2425),
        ("10.77.0.3", 2425),
    }


def test_broadcast_message_reaches_everyone_and_is_never_acknowledged() -> None:
    lan, (alice, bob, carol) = _trio()
    alice.broadcast_message("lunch!", lan.now)
    lan.advance(3)
    for engine in (bob, carol):
        (message,) = lan.of(engine, ev.MessageReceived)
        assert message.broadcast and not message.acknowledged and message.text == "lunch!"
    assert not [d for _, _, d in lan.sent if _mode(d) == Command.RECVMSG]
    assert lan.of(alice, ev.MessageReceived) == []  # our own broadcast came back: ignored
    broadcast_sends = [dst for src, dst, d in lan.sent if _mode(d) == Command.SENDMSG]
    assert broadcast_sends == [(BROADCAST, 2425)]


def test_info_requests_are_answered_and_retried() -> None:
    lan, alice, bob = _pair()
    bob.set_presence(lan.now, away=True, away_text="at lunch")
    lan.deliver()
    alice.request_info(("10.77.0.2", 2425), lan.now, "version")
    alice.request_info(("10.77.0.2", 2425), lan.now, "absence")
    lan.deliver()
    info = {(i.kind, i.text) for i in lan.of(alice, ev.InfoReceived)}
    assert info == {("version", "ipmsg-tui"), ("absence", "at lunch")}
    (peer,) = alice.peers
    assert peer.away and peer.away_text == "at lunch"


def test_info_request_to_a_peer_that_never_answers_fails() -> None:
    lan, alice, _ = _pair()
    del lan.engines[("10.77.0.2", 2425)]
    alice.request_info(("10.77.0.2", 2425), lan.now)
    lan.advance(7)
    assert lan.of(alice, ev.InfoFailed) == [ev.InfoFailed(("10.77.0.2", 2425), "version")]


def test_away_peer_answers_automatically_but_never_to_an_auto_answer() -> None:
    lan, alice, bob = _pair()
    alice.set_presence(lan.now, away=True, away_text="on holiday")
    bob.set_presence(lan.now, away=True, away_text="also away")
    lan.deliver()
    alice.send_message([("10.77.0.2", 2425)], "ping", lan.now)
    lan.advance(2)
    (reply,) = lan.of(alice, ev.MessageReceived)
    assert reply.auto_reply and reply.text == "also away"
    assert [m.text for m in lan.of(bob, ev.MessageReceived)] == ["ping"]


def test_long_text_is_split_to_fit_the_peer() -> None:
    lan, alice, bob = _pair()
    text = "长" * 20000  # 60 KB of UTF-8
    parts = alice.send_message([("10.77.0.2", 2425)], text, lan.now)
    lan.deliver()
    assert len(parts) == 2  # 32 KiB datagrams to another ipmsg-tui
    sent = [d for s, _, d in lan.sent if s == ("10.77.0.1", 2425) and _mode(d) == Command.SENDMSG]
    assert all(len(d) <= 32 * 1024 for d in sent)
    assert "".join(m.text for m in lan.of(bob, ev.MessageReceived)) == text


def test_retract_takes_the_receipt_back_so_the_sender_retries() -> None:
    lan, alice, bob = _pair()
    alice.send_message([("10.77.0.2", 2425)], "keep me", lan.now)
    for data, _dst in alice.datagrams_to_send():
        bob.receive_datagram(data, ("10.77.0.1", 2425), lan.now)
    (received,) = [e for e in bob.events() if isinstance(e, ev.MessageReceived)]
    bob.retract(received)
    assert not [d for d, _ in bob.datagrams_to_send() if _mode(d) == Command.RECVMSG]
    lan.advance(1.5)  # alice retransmits; bob takes it as new and acknowledges it now
    assert [m.text for m in lan.of(bob, ev.MessageReceived)] == ["keep me"]
    assert len(lan.of(alice, ev.MessageDelivered)) == 1


def test_a_quick_restart_reusing_packet_numbers_loses_nothing() -> None:
    lan, alice, bob = _pair()
    alice.send_message([("10.77.0.2", 2425)], "before restart", lan.now)
    lan.deliver()
    alice.stop(lan.now)
    lan.deliver()
    # Restarted within the same second: its packet numbers start at the same Unix time.
    alice = lan.add("10.77.0.1", "alice")
    alice.send_message([("10.77.0.2", 2425)], "after restart", lan.now)  # no BR_ENTRY first
    lan.deliver()
    assert [m.text for m in lan.of(bob, ev.MessageReceived)] == ["before restart", "after restart"]


def test_a_restarted_peer_reusing_its_entry_number_is_answered() -> None:
    lan, _, bob = _pair()
    bob.stop(lan.now)
    lan.deliver()
    bob = lan.add("10.77.0.2", "bob")  # same second: its BR_ENTRY has the old number again
    bob.start(lan.now)
    lan.deliver()
    assert [p.nick for p in bob.peers] == ["alice"]


def test_a_late_entry_packet_is_not_taken_for_a_restart() -> None:
    lan, alice, bob = _pair()
    lan.drop = lambda data, src, dst: _mode(data) == Command.RECVMSG  # receipts get lost
    alice.set_presence(lan.now, nick="alice2")  # a BR_ABSENCE that will arrive late
    late = [(d, a) for d, a in alice.datagrams_to_send()]
    alice.send_message([("10.77.0.2", 2425)], "only once", lan.now)
    lan.deliver()
    for data, _ in late:  # reordered: the older entry packet comes after the message
        bob.receive_datagram(data, ("10.77.0.1", 2425), lan.now)
    lan.advance(6)  # alice retransmits; bob must still recognise the copies
    assert [m.text for m in lan.of(bob, ev.MessageReceived)] == ["only once"]
