"""Peers that went away without a goodbye are found by asking the silent ones: time passed in."""

from __future__ import annotations

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.constants import Command
from ipmsg_tui.protocol.engine import Engine
from ipmsg_tui.protocol.liveness import SilenceWatch
from ipmsg_tui.protocol.packet import parse_packet
from ipmsg_tui.protocol.peers import Peer

from ..support.wire import Switch

SILENT = 600.0
WITHIN = 30.0


def two_engines() -> tuple[Switch, Engine, Engine]:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice", silent_after=SILENT, probe_answer_within=WITHIN)
    bob = lan.add("10.77.0.2", "bob", silent_after=SILENT, probe_answer_within=WITHIN)
    alice.start(lan.now)
    bob.start(lan.now)
    lan.deliver()
    lan.advance(6, step=1.0)  # the second announcement
    return lan, alice, bob


def test_a_crashed_peer_is_dropped_after_its_silence_and_an_unanswered_probe() -> None:
    lan, alice, _ = two_engines()
    del lan.engines[("10.77.0.2", 2425)]  # bob's process dies: no BR_EXIT
    lan.advance(SILENT - 10, step=5.0)
    assert [p.nick for p in alice.peers] == ["bob"]  # not silent for long yet
    lan.advance(10 + WITHIN + 16, step=1.0)  # silent, asked twice, no answer
    assert list(alice.peers) == []
    assert [(e.peer.nick, e.reason) for e in lan.of(alice, ev.PeerLeft)] == [("bob", "silent")]
    probes = [
        parse_packet(data)
        for src, dst, data in lan.sent
        if src == ("10.77.0.1", 2425) and dst == ("10.77.0.2", 2425)
    ]
    assert [p.mode for p in probes][-2:] == [Command.BR_ENTRY, Command.BR_ENTRY]


def test_a_quiet_but_live_peer_answers_the_probe_and_stays() -> None:
    lan, alice, bob = two_engines()
    lan.advance(3 * SILENT, step=5.0)  # nobody says a word for half an hour
    assert [p.nick for p in alice.peers] == ["bob"] and [p.nick for p in bob.peers] == ["alice"]
    assert lan.of(alice, ev.PeerLeft) == [] and lan.of(bob, ev.PeerLeft) == []
    assert lan.of(alice, ev.PeerJoined)[-1].peer.nick == "bob"  # no leave-and-join churn
    assert len(lan.of(alice, ev.PeerJoined)) == 1


def test_a_lost_first_probe_is_covered_by_the_second() -> None:
    lan, alice, _ = two_engines()
    lost: list[bytes] = []

    def lose_the_first_probe(data: bytes, src: object, dst: object) -> bool:
        if src == ("10.77.0.1", 2425) and parse_packet(data).mode == Command.BR_ENTRY and not lost:
            lost.append(data)
            return True
        return False

    lan.drop = lose_the_first_probe  # type: ignore[assignment]
    lan.advance(SILENT + WITHIN + 20, step=1.0)
    assert lost and [p.nick for p in alice.peers] == ["bob"]


def test_the_watch_asks_only_silent_peers_and_forgets_answered_ones() -> None:
    watch = SilenceWatch(silent_after=100, answer_within=30, sweep_every=15)
    now = 1000.0
    watch.start(now)
    talker = Peer(("10.0.0.1", 2425), "t", "h", last_seen=now)
    quiet = Peer(("10.0.0.2", 2425), "q", "h", last_seen=now)
    assert watch.sweep(now + 10, [talker, quiet]) == ([], [])  # not due yet
    now += 105
    talker = Peer(("10.0.0.1", 2425), "t", "h", last_seen=now - 1)
    assert watch.sweep(now, [talker, quiet]) == ([quiet.addr], [])
    quiet = Peer(("10.0.0.2", 2425), "q", "h", last_seen=now + 1)  # it answered
    assert watch.sweep(now + 15, [talker, quiet]) == ([], [])
    assert watch.sweep(now + 45, [talker, quiet]) == ([], [])
    assert watch.next_due() == now + 60
    watch.stop()
    assert watch.next_due() is None and watch.sweep(now + 1000, [quiet]) == ([], [])
