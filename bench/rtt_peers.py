"""The two ends of the round-trip benchmark, one process each: servers and clients.

Kinds, from the physical limit up to the product:

* ``raw``: blocking UDP sockets; the server sends every datagram straight back.
* ``asyncio``: the same echo with an asyncio ``DatagramProtocol`` at both ends, to show what
  the event loop alone costs.
* ``ours``: two ipmsg-tui :class:`~ipmsg_tui.net.node.Node` engines; the client sends
  SENDMSG|SENDCHECKOPT and waits for the RECVMSG the server's engine answers with.

A client runs blocks of ``{"run": N}`` messages, one in flight at a time, and answers with
every round-trip time (µs) of the block, its duration and its CPU time. A server reports its
CPU time on ``{"cpu": true}``. The raw and asyncio clients send a datagram of the same size
as the engine's SENDMSG.
"""

from __future__ import annotations

import argparse
import asyncio
import selectors
import socket
import sys
import time
from typing import Any, cast

from ipmsg_tui.net.binding import SocketPlan
from ipmsg_tui.net.node import Node
from ipmsg_tui.protocol import events as ev

try:
    from ipmsg_tui.protocol.engineconfig import EngineConfig
except ImportError:  # a checkout from before issue 12 (measured with --before)
    from ipmsg_tui.protocol.engine import EngineConfig  # type: ignore[attr-defined]
from ipmsg_tui.protocol.packet import format_packet

from .channel import emit, next_command, read_command

REPLY_TIMEOUT = 2.0  # a lost datagram counts as lost, not as a 2 s round trip


def message_text(index: int) -> str:
    return f"第 {index} 条消息: round trip"


def sample_datagram(index: int) -> bytes:
    """What the engine sends for message ``index``: the raw echo carries as many bytes."""
    body = message_text(index).encode() + b"\0"
    return format_packet(b"1_ipmsg-tui 0.1.0", 1_800_000_000 + index, b"bench", b"client",
                         0x800120, body)  # fmt: skip


def udp_socket(bind: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((bind, port))
    return sock


# ---------------------------------------------------------------------- servers


def serve_raw(bind: str, port: int) -> None:
    sock = udp_socket(bind, port)
    sock.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(sys.stdin, selectors.EVENT_READ)
    emit(ready="raw")
    while True:
        for key, _ in selector.select():
            if key.fileobj is sock:
                while True:
                    try:
                        data, addr = sock.recvfrom(65536)
                    except BlockingIOError:
                        break
                    sock.sendto(data, addr)
            elif not _answer_command(read_command()):
                return


def _answer_command(command: dict[str, Any]) -> bool:
    if "quit" in command:
        return False
    if "cpu" in command:
        emit(cpu=time.process_time())
    return True


class _Echo(asyncio.DatagramProtocol):
    transport: asyncio.DatagramTransport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)


async def serve_asyncio(bind: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(_Echo, sock=udp_socket(bind, port))
    emit(ready="asyncio")
    while _answer_command(await next_command()):
        pass


def make_node(bind: str, port: int, name: str, peer: tuple[str, int] | None) -> Node:
    config = EngineConfig(
        user="bench",
        host=name,
        nick=name,
        port=port,
        unicast_targets=(peer,) if peer else (),
        local_ips=frozenset({bind}),
        version_field="1_ipmsg-tui bench",
    )
    return Node(config, SocketPlan(bind, port))


async def serve_ours(bind: str, port: int) -> None:
    node = make_node(bind, port, "server", None)
    await node.start(announce=False)
    emit(ready="ours")
    while _answer_command(await next_command()):
        pass
    await node.stop()


# ---------------------------------------------------------------------- clients


def block_result(rtts: list[float], started: float, cpu_started: float, lost: int) -> None:
    emit(
        block={
            "rtts_us": [round(r * 1e6, 1) for r in rtts],
            "seconds": time.perf_counter() - started,
            "cpu": time.process_time() - cpu_started,
            "lost": lost,
        }
    )


def client_raw(bind: str, peer: tuple[str, int]) -> None:
    sock = udp_socket(bind, 0)
    sock.settimeout(REPLY_TIMEOUT)
    emit(ready="raw")
    sent = 0
    while "quit" not in (command := read_command()):
        datagrams = [sample_datagram(sent + i) for i in range(int(command["run"]))]
        rtts: list[float] = []
        lost = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        for datagram in datagrams:
            t0 = time.perf_counter()
            sock.sendto(datagram, peer)
            try:
                sock.recv(65536)
            except TimeoutError:
                lost += 1
                continue
            rtts.append(time.perf_counter() - t0)
        sent += len(datagrams)
        block_result(rtts, started, cpu_started, lost)


class _EchoClient(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.reply: asyncio.Future[bytes] | None = None

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.reply is not None and not self.reply.done():
            self.reply.set_result(data)


async def client_asyncio(bind: str, peer: tuple[str, int]) -> None:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_EchoClient, sock=udp_socket(bind, 0))
    emit(ready="asyncio")
    sent = 0
    while "quit" not in (command := await next_command()):
        datagrams = [sample_datagram(sent + i) for i in range(int(command["run"]))]
        rtts: list[float] = []
        lost = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        for datagram in datagrams:
            t0 = time.perf_counter()
            protocol.reply = loop.create_future()
            transport.sendto(datagram, peer)
            try:
                await asyncio.wait_for(protocol.reply, REPLY_TIMEOUT)
            except TimeoutError:
                lost += 1
                continue
            rtts.append(time.perf_counter() - t0)
        sent += len(datagrams)
        block_result(rtts, started, cpu_started, lost)


async def client_ours(bind: str, port: int, peer: tuple[str, int]) -> None:
    node = make_node(bind, port, "client", peer)
    waiting: dict[int, asyncio.Future[bool]] = {}

    def on_event(event: ev.Event) -> None:
        if isinstance(event, ev.MessageDelivered | ev.MessageFailed):
            future = waiting.pop(event.packet_no, None)
            if future is not None and not future.done():
                future.set_result(isinstance(event, ev.MessageDelivered))

    node.listeners.append(on_event)
    await node.start()
    deadline = time.monotonic() + 10
    while node.engine.peers.get(peer) is None:  # its ANSENTRY tells us it reads UTF-8
        if time.monotonic() > deadline:
            emit(error="the ipmsg-tui server never answered our BR_ENTRY")
            return
        await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    emit(ready="ours")
    sent = 0
    while "quit" not in (command := await next_command()):
        rtts: list[float] = []
        lost = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        for index in range(sent, sent + int(command["run"])):
            t0 = time.perf_counter()
            (message,) = node.send_message([peer], message_text(index))
            delivered = waiting[message.packet_no] = loop.create_future()
            if await delivered:
                rtts.append(time.perf_counter() - t0)
            else:
                lost += 1
        sent += int(command["run"])
        block_result(rtts, started, cpu_started, lost)
    await node.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("--kind", choices=["raw", "asyncio", "ours"], required=True)
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--peer", default=None, help="the server's IP:PORT (clients)")
    args = parser.parse_args()
    if args.role == "server":
        if args.kind == "raw":
            serve_raw(args.bind, args.port)
        else:
            asyncio.run(
                (serve_ours if args.kind == "ours" else serve_asyncio)(args.bind, args.port)
            )
        return
    ip, _, port = args.peer.rpartition(":")
    peer = (ip, int(port))
    if args.kind == "raw":
        client_raw(args.bind, peer)
    elif args.kind == "asyncio":
        asyncio.run(client_asyncio(args.bind, peer))
    else:
        asyncio.run(client_ours(args.bind, args.port, peer))


if __name__ == "__main__":
    main()
