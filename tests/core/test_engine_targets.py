"""Adding a broadcast address or a far host while running."""

from __future__ import annotations

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.constants import Command, EntryOpt
from ipmsg_tui.protocol.packet import parse_packet

from ..support.wire import Switch


def test_an_added_host_hears_our_entry_at_once_and_from_then_on() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice", broadcast_targets=())
    bob = lan.add("10.77.0.2", "bob", broadcast_targets=())
    alice.start(lan.now)
    bob.start(lan.now)
    lan.deliver()
    assert list(alice.peers) == []  # no broadcast, no hosts: nobody knows anybody
    alice.add_target(("10.77.0.2", 2425))
    (datagram, addr), *_ = alice.datagrams_to_send()
    packet = parse_packet(datagram)
    assert addr == ("10.77.0.2", 2425)
    assert packet.mode == Command.BR_ENTRY and packet.has(EntryOpt.DIALUPOPT)
    lan.engines[addr].receive_datagram(datagram, ("10.77.0.1", 2425), lan.now)
    lan.deliver()
    assert [p.nick for p in alice.peers] == ["bob"]
    assert alice.config.unicast_targets == (("10.77.0.2", 2425),)
    alice.refresh(lan.now)  # later announcements include it
    assert ("10.77.0.2", 2425) in [a for _, a in alice.datagrams_to_send()]
    assert lan.of(alice, ev.PeerJoined)


def test_an_added_broadcast_address_is_announced_to_without_dialup() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice", broadcast_targets=())
    alice.start(lan.now)
    alice.datagrams_to_send()
    alice.add_target(("10.78.0.255", 2425), broadcast=True)
    alice.add_target(("10.78.0.255", 2425), broadcast=True)  # listed once, announced twice
    assert alice.config.broadcast_targets == (("10.78.0.255", 2425),)
    sent = alice.datagrams_to_send()
    assert [addr for _, addr in sent] == [("10.78.0.255", 2425)] * 2
    assert not parse_packet(sent[0][0]).has(EntryOpt.DIALUPOPT)


def test_a_removed_target_is_no_longer_announced_to() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice", broadcast_targets=())
    alice.start(lan.now)
    alice.add_target(("10.77.0.2", 2425))
    alice.add_target(("10.78.0.255", 2425), broadcast=True)
    alice.datagrams_to_send()
    alice.remove_target(("10.78.0.255", 2425), broadcast=True)
    alice.refresh(lan.now)
    assert [addr for _, addr in alice.datagrams_to_send()] == [("10.77.0.2", 2425)]
    alice.remove_target(("10.77.0.2", 2425))
    alice.remove_target(("10.77.0.9", 2425))  # never added: nothing happens
    assert alice.config.unicast_targets == () and alice.config.broadcast_targets == ()
    alice.refresh(lan.now)
    assert alice.datagrams_to_send() == []
