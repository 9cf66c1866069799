"""Presence between engines wired in memory: join, answer, change, leave, refresh."""

from __future__ import annotations

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.constants import Command, EntryOpt
from ipmsg_tui.protocol.engine import Engine
from ipmsg_tui.protocol.packet import format_packet, join_parts, parse_packet

from ..support.wire import Switch, make_engine


def test_entry_is_answered_and_both_sides_list_each_other() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice", group="dev")
    bob = lan.add("10.77.0.2", "bob")
    alice.start(lan.now)
    bob.start(lan.now)
    lan.deliver()
    assert [p.nick for p in alice.peers] == ["bob"]
    assert [(p.nick, p.group, p.key) for p in bob.peers] == [("alice", "dev", "alice@host-1")]
    joined = lan.of(bob, ev.PeerJoined)
    assert len(joined) == 1 and joined[0].peer.addr == ("10.77.0.1", 2425)


def test_own_broadcast_is_not_a_peer() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice")
    alice.start(lan.now)
    lan.deliver()
    assert list(alice.peers) == []


def test_entry_flags_advertise_utf8_and_files_but_never_encryption() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice")
    alice.start(lan.now)
    noop, entry = (parse_packet(data) for data, _ in alice.datagrams_to_send())
    assert noop.mode == Command.NOOPERATION  # first, as Windows does
    assert entry.mode == Command.BR_ENTRY
    assert entry.has(EntryOpt.CAPUTF8OPT) and entry.has(EntryOpt.FILEATTACHOPT)
    assert not entry.has(EntryOpt.ENCRYPTOPT) and not entry.has(EntryOpt.CAPIPDICTOPT)


def test_exit_removes_only_the_sender() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice")
    bob = lan.add("10.77.0.2", "bob")
    carol = lan.add("10.77.0.3", "carol")
    for engine in (alice, bob, carol):
        engine.start(lan.now)
    lan.deliver()
    bob.stop(lan.now)
    lan.deliver()
    assert sorted(p.nick for p in alice.peers) == ["carol"]
    left = lan.of(alice, ev.PeerLeft)
    assert [(e.peer.nick, e.reason) for e in left] == [("bob", "exit")]


def test_absence_updates_away_and_nick() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice")
    bob = lan.add("10.77.0.2", "bob")
    alice.start(lan.now)
    bob.start(lan.now)
    lan.deliver()
    bob.set_presence(lan.now, nick="bobby", away=True, away_text="lunch")
    lan.deliver()
    (peer,) = alice.peers
    assert peer.nick == "bobby" and peer.away
    changed = lan.of(alice, ev.PeerChanged)
    assert changed[-1].previous.nick == "bob"


def test_refresh_drops_peers_that_do_not_answer() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice")
    bob = lan.add("10.77.0.2", "bob")
    alice.start(lan.now)
    bob.start(lan.now)
    lan.deliver()
    del lan.engines[("10.77.0.2", 2425)]  # bob's machine is switched off without BR_EXIT
    lan.advance(1)
    alice.refresh(lan.now)
    lan.advance(7)
    assert list(alice.peers) == []
    assert [e.reason for e in lan.of(alice, ev.PeerLeft)] == ["refresh"]


def test_an_entry_storm_is_answered_completely_within_seconds() -> None:
    from ipmsg_tui.protocol.constants import Command
    from ipmsg_tui.protocol.packet import format_packet, join_parts

    from ..support.wire import make_engine

    now = 1_800_000_000.0
    engine = make_engine("10.77.0.1", "me", now)
    peers = [(f"10.77.{i // 250 + 1}.{i % 250 + 1}", 2425) for i in range(3000)]
    for i, addr in enumerate(peers):  # 3,000 hosts start within 0.3 s
        entry = format_packet(
            b"1", i + 1, b"u%d" % i, b"h", Command.BR_ENTRY, join_parts(b"n", b"g")
        )
        engine.receive_datagram(entry, addr, now + i * 0.0001)
    answered = {addr for _, addr in engine.datagrams_to_send()}
    assert 500 <= len(answered) < 3000  # a burst at once, the rest owed
    while (timer := engine.get_timer()) is not None and timer < now + 10:
        now = timer
        engine.handle_timer(now)
        answered |= {addr for _, addr in engine.datagrams_to_send()}
    assert answered == set(peers) and now < 1_800_000_000.0 + 6


def _entry_flood(engine: Engine, count: int, now: float) -> None:
    """BR_ENTRYs from ``count`` senders heard once, each on its own random-looking port."""
    for i in range(count):
        addr = (f"10.77.{i // 250 + 1}.{i % 250 + 1}", 1024 + i)
        entry = format_packet(b"1", i + 1, b"u%d" % i, b"h", Command.BR_ENTRY, join_parts(b"n"))
        engine.receive_datagram(entry, addr, now)


def test_after_a_flood_a_new_client_is_answered_first() -> None:
    now = 1_800_000_000.0
    engine = make_engine("10.77.0.1", "me", now)
    _entry_flood(engine, 6000, now)  # more than the burst and the owed queue hold
    engine.datagrams_to_send()
    newcomer = ("10.77.0.3", 2425)
    who = format_packet(b"1", 7, b"who", b"h", Command.BR_ENTRY, join_parts(b"client"))
    engine.receive_datagram(who, newcomer, now + 1)
    timer = engine.get_timer()
    assert timer is not None and timer < now + 1.1
    engine.handle_timer(timer)
    assert engine.datagrams_to_send()[0][1] == newcomer


def test_owed_answers_wait_while_the_send_queue_is_crowded() -> None:
    now = 1_800_000_000.0
    engine = make_engine("10.77.0.1", "me", now)
    _entry_flood(engine, 1500, now)
    engine.datagrams_to_send()
    engine.handle_timer(now + 1, answers_fit=False)
    assert engine.datagrams_to_send() == []
    engine.handle_timer(now + 1)
    assert len(engine.datagrams_to_send()) > 100  # a second's worth of tokens


def test_a_second_machine_with_the_same_user_at_host_is_a_twin_named_by_its_address() -> None:
    lan = Switch()
    ann = lan.add("10.77.0.1", "ann")
    first = lan.add("10.77.0.2", "alice", user="alice", host="clone")
    ann.start(lan.now)
    first.start(lan.now)
    lan.deliver()
    second = lan.add("10.77.0.3", "alice", user="alice", host="clone")
    second.start(lan.now)
    lan.deliver()
    keys = {p.ip: p.key for p in ann.peers}
    assert keys == {"10.77.0.2": "alice@clone", "10.77.0.3": "alice@clone (10.77.0.3:2425)"}
    joined = [e.peer.key for e in lan.of(ann, ev.PeerJoined)]
    assert joined == ["alice@clone", "alice@clone (10.77.0.3:2425)"]  # events say so too
    # Heard again, it stays the twin; the first leaving does not rename it.
    second.refresh(lan.now)  # announces itself again
    lan.deliver()
    assert {p.ip: p.key for p in ann.peers}["10.77.0.3"] == "alice@clone (10.77.0.3:2425)"
    first.stop(lan.now)
    lan.deliver()
    assert [p.key for p in ann.peers] == ["alice@clone (10.77.0.3:2425)"]
    # The first back at a new address (its old one said goodbye) is plain alice@clone again.
    moved = lan.add("10.77.0.4", "alice", user="alice", host="clone")
    moved.start(lan.now)
    lan.deliver()
    assert {p.ip: p.key for p in ann.peers}["10.77.0.4"] == "alice@clone"
    # Named by their shared user@host, both answer; the twin's identity names one.
    assert sorted(p.ip for p in ann.peers.find("alice@clone")) == ["10.77.0.3", "10.77.0.4"]
    assert [p.ip for p in ann.peers.find("alice@clone (10.77.0.3:2425)")] == ["10.77.0.3"]
