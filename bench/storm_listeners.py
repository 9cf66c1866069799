"""The two receivers of the presence storm, one per process, on the same kind of socket.

* ``ours``: an ipmsg-tui :class:`~ipmsg_tui.net.node.Node` (the engine on asyncio), which
  parses every entry, keeps the peer table, and answers each BR_ENTRY with an ANSENTRY.
* ``bare``: an asyncio ``DatagramProtocol`` that only splits the header of each datagram
  and remembers its sender: the least any receiver on asyncio can do.

Both open their socket with the product's ``open_udp_socket`` (same receive buffer) and
report ``ready``, but start reading only once the whole storm waits in the socket's buffer
(told ``{"begin": true}`` when it is sent, they wait for the kernel to have delivered it): as
a LAN delivers it at wire speed, far faster than a Python sender here could. They report
``listed`` once N distinct peers are known: the moment (``time.monotonic``, shared with the
storm's process) and the CPU time used since they began reading.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from pathlib import Path

from ipmsg_tui.net.binding import SocketPlan
from ipmsg_tui.net.node import Node, open_udp_socket
from ipmsg_tui.protocol import events as ev

try:
    from ipmsg_tui.protocol.engineconfig import EngineConfig
except ImportError:  # a checkout from before issue 12 (measured with --before)
    from ipmsg_tui.protocol.engine import EngineConfig  # type: ignore[attr-defined]

from .channel import emit, next_command
from .lab import BROADCAST


class Tally:
    """Reports ``listed`` once, when ``count()`` reaches the expected number."""

    def __init__(self, expect: int, count: Callable[[], int]) -> None:
        self.expect = expect
        self.count = count
        self.cpu_at_ready = time.process_time()
        self.done = False

    def check(self) -> None:
        if not self.done and self.count() >= self.expect:
            self.report()

    def report(self) -> None:
        self.done = True
        emit(listed=self.count(), at=time.monotonic(), cpu=time.process_time() - self.cpu_at_ready)


class BareReceiver(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.senders: set[tuple[str, int]] = set()
        self.tally: Tally | None = None

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data.split(b":", 5)) >= 5:
            self.senders.add(addr)
            if self.tally is not None:
                self.tally.check()


async def run_bare(sock: socket.socket, expect: int) -> Tally:
    protocol = BareReceiver()
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: protocol, sock=sock)
    protocol.tally = Tally(expect, lambda: len(protocol.senders))
    protocol.tally.check()
    return protocol.tally


async def run_ours(
    plan: SocketPlan, sock: socket.socket, expect: int, own_ip: str
) -> tuple[Tally, Node]:
    config = EngineConfig(
        user="bench",
        host="storm-receiver",
        nick="接收者",
        port=plan.port,
        broadcast_targets=((BROADCAST, plan.port),),
        local_ips=frozenset({own_ip}),
    )
    node = Node(config, plan)
    tally = Tally(expect, lambda: len(node.engine.peers))

    def on_event(event: ev.Event) -> None:
        if isinstance(event, ev.PeerJoined):
            tally.check()

    node.listeners.append(on_event)
    await node.start(sock=sock)
    return tally, node


def queued_bytes(port: int) -> int:
    """What waits in the receive queue of this namespace's UDP socket on ``port``."""
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port:
            return int(fields[4].split(":")[1], 16)
    return 0


async def until_settled(port: int, quiet: float = 0.02, timeout: float = 5.0) -> None:
    """Until the receive queue has stopped growing: bridged datagrams reach the socket from
    softirq context, some time after the sender's last sendto returned."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        size = queued_bytes(port)
        if size != last:
            last, since = size, time.monotonic()
        elif size and time.monotonic() - since >= quiet:
            return
        await asyncio.sleep(0.002)


async def main_async(args: argparse.Namespace) -> None:
    plan = SocketPlan("0.0.0.0", args.port)
    sock = open_udp_socket(plan)
    emit(ready=args.kind, rcvbuf=sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
    await next_command()  # begin: the storm is sent, though maybe not all delivered yet
    await until_settled(args.port)
    cpu_at_begin = time.process_time()
    node = None
    if args.kind == "ours":
        tally, node = await run_ours(plan, sock, args.expect, args.ip)
    else:
        tally = await run_bare(sock, args.expect)
    tally.cpu_at_ready = cpu_at_begin
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(next_command(), args.timeout)
    if not tally.done:  # not everyone made it: say how many did
        tally.report()
    emit(final=True, cpu=time.process_time() - tally.cpu_at_ready)
    if node is not None:
        await node.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["ours", "bare"], required=True)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--datagrams", type=int, required=True, help="the storm's size")
    parser.add_argument("--ip", required=True)
    parser.add_argument("--port", type=int, default=2425)
    parser.add_argument("--timeout", type=float, default=60.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
