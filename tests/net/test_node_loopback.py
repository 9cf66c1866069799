"""Real UDP sockets on 127.0.0.1: two nodes on distinct ports find each other and chat."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from ipmsg_tui.config import load_settings
from ipmsg_tui.net.binding import PortInUse, SocketPlan
from ipmsg_tui.net.node import Node, open_udp_socket
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.session import build_node


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def make(port: int, other: int, nick: str, events: list[ev.Event], tmp_path: object) -> Node:
    settings = load_settings(
        None,
        nick=nick,
        port=port,
        bind="127.0.0.1",
        hosts=[f"127.0.0.1:{other}"],
        data_dir=tmp_path,
        retry_interval=0.2,
    )
    return build_node(settings, [events.append])


async def test_two_nodes_find_each_other_chat_and_part(ports: list[int], tmp_path: object) -> None:
    a_events: list[ev.Event] = []
    b_events: list[ev.Event] = []
    alice = make(ports[0], ports[1], "alice", a_events, tmp_path)
    bob = make(ports[1], ports[0], "鲍勃", b_events, tmp_path)
    await alice.start()
    await bob.start()
    await wait_for(lambda: len(alice.peers) == 1 and len(bob.peers) == 1)
    assert alice.peers[0].nick == "鲍勃" and alice.peers[0].addr == ("127.0.0.1", ports[1])

    (sent,) = alice.send_message([("127.0.0.1", ports[1])], "你好 👋")
    await wait_for(lambda: any(isinstance(e, ev.MessageDelivered) for e in a_events))
    received = [e for e in b_events if isinstance(e, ev.MessageReceived)]
    assert [(m.text, m.packet_no) for m in received] == [("你好 👋", sent.packet_no)]

    await bob.stop()
    await wait_for(lambda: alice.peers == [])
    assert [e.reason for e in a_events if isinstance(e, ev.PeerLeft)] == ["exit"]
    await alice.stop()


async def test_a_failing_listener_retracts_the_receipt(ports: list[int], tmp_path: object) -> None:
    a_events: list[ev.Event] = []
    bob_seen: list[str] = []
    failures = {"left": 1}

    def fragile(event: ev.Event) -> None:
        if isinstance(event, ev.MessageReceived):
            if failures["left"]:
                failures["left"] -= 1
                raise OSError("disk full")
            bob_seen.append(event.text)

    alice = make(ports[0], ports[1], "alice", a_events, tmp_path)
    bob = make(ports[1], ports[0], "bob", [], tmp_path)
    bob.listeners = [fragile]
    await alice.start()
    await bob.start()
    alice.send_message([("127.0.0.1", ports[1])], "must not be lost")
    await wait_for(lambda: any(isinstance(e, ev.MessageDelivered) for e in a_events))
    assert bob_seen == ["must not be lost"]
    await alice.stop()
    await bob.stop()


async def test_garbage_datagrams_do_not_disturb_the_node(
    ports: list[int], tmp_path: object
) -> None:
    events: list[ev.Event] = []
    node = make(ports[0], ports[1], "target", events, tmp_path)
    await node.start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
        for payload in (
            b"",
            b"\xff" * 100,
            b"1:2:3",
            b"IP2:zz",
            b"1:1:u:h:99999999999:x",
            b"\x00" * 9000,
        ):
            attacker.sendto(payload, ("127.0.0.1", ports[0]))
        attacker.sendto(b"1:77:mallory:evil:288:still here\x00", ("127.0.0.1", ports[0]))
        await wait_for(lambda: any(isinstance(e, ev.MessageReceived) for e in events))
        attacker.settimeout(2)
        replies = set()
        while len(replies) < 2:  # RECVMSG, and a BR_ENTRY asking who we are
            data, _ = attacker.recvfrom(65536)
            replies.add(data.split(b":")[4])
    assert replies == {b"33", b"18874369"}
    await node.stop()


async def test_a_burst_is_taken_whole_and_every_message_acknowledged(
    ports: list[int], tmp_path: object
) -> None:
    events: list[ev.Event] = []
    node = make(ports[0], ports[1], "target", events, tmp_path)
    await node.start()
    target = ("127.0.0.1", ports[0])
    numbers = range(1001, 1301)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)  # all 300 receipts
        sender.bind(("127.0.0.1", 0))
        sender.sendto(b"1:1000:burst:box:1:burst\x00\x00", target)
        for number in numbers:  # faster than the node reads: it takes them in batches
            sender.sendto(b"1:%d:burst:box:288:m%d\x00" % (number, number), target)
        received = lambda: [e for e in events if isinstance(e, ev.MessageReceived)]  # noqa: E731
        await wait_for(lambda: len(received()) == len(numbers))
        assert [m.text for m in received()] == [f"m{n}" for n in numbers]
        sender.settimeout(2)
        receipts = set()
        while len(receipts) < len(numbers):
            data, _ = sender.recvfrom(65536)
            fields = data.split(b":", 5)
            if int(fields[4]) & 0xFF == 0x21:  # RECVMSG
                receipts.add(int(fields[5].rstrip(b"\x00")))
    assert receipts == set(numbers)
    await node.stop()


def test_busy_port_is_reported(ports: list[int]) -> None:
    holder = open_udp_socket(SocketPlan("127.0.0.1", ports[0]))
    try:
        with pytest.raises(PortInUse, match=rf"UDP port {ports[0]} .* already in use"):
            open_udp_socket(SocketPlan("127.0.0.1", ports[0]))
    finally:
        holder.close()
