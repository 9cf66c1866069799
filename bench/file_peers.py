"""The ends of the file benchmark: a sender and a receiver of each kind, one process each.

Every kind speaks the same commands, so another client (iptux) can join as one more kind:

* sender:   ``{"offer": {"path": P, "to": IP}}`` → ``{"offered": TOKEN}``
* receiver: ``{"fetch": {"token": T, "from": IP, "dest": DIR}}`` →
  ``{"fetched": {"seconds", "bytes", "files", "path", "cpu"}}``: ``seconds`` from the first
  connection attempt until the last byte is on disk (fsync'ed), ``cpu`` the receiver's
* both:     ``{"cpu": true}`` → ``{"cpu": S}``, ``{"quit": true}``
* ipmsg-tui sender: ``{"upload_started": TOKEN}`` → ``{"upload_started": T}``, when (on
  ``time.monotonic``) the receiver's request for that offer arrived: where a receiver cannot
  time itself (iptux), its time runs from there.
* ipmsg-tui receiver: the token ``"any"`` takes the next offer from ``from`` (iptux's packet
  numbers are not known to the script).

Kinds:

* ``raw``: the physical limit. The sender ``sendfile``\\ s the file to a plain reader that
  writes what it reads; a folder goes over one connection, each file behind a one-line
  header, and the reader creates each file. No protocol, no checks, no hashing.
* ``ours``: ipmsg-tui's :class:`~ipmsg_tui.net.files.FileService` on a Node at each end: an
  offer in a SENDMSG, then GETFILEDATA / GETDIRFILES over TCP into ``.part`` files.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from ipmsg_tui.net.binding import SocketPlan
from ipmsg_tui.net.files import FileService, IncomingOffer, OfferReceived
from ipmsg_tui.net.node import Node
from ipmsg_tui.net.transfers import Direction, TransferState
from ipmsg_tui.protocol.engineconfig import EngineConfig

from .channel import emit, next_command, read_command
from .lab import BROADCAST

RAW_PORT = 2426
IPMSG_PORT = 2425
_CHUNK = 1 << 20


def fetched(started: float, cpu_started: float, size: int, files: int, path: Path) -> None:
    emit(
        fetched={
            "seconds": time.perf_counter() - started,
            "bytes": size,
            "files": files,
            "path": str(path),
            "cpu": time.process_time() - cpu_started,
        }
    )


# ---------------------------------------------------------------------- raw


def _send_file(conn: socket.socket, path: Path) -> None:
    with path.open("rb") as source:
        size, offset = os.fstat(source.fileno()).st_size, 0
        while offset < size:
            offset += os.sendfile(conn.fileno(), source.fileno(), offset, size - offset)


def _serve_raw(conn: socket.socket) -> None:
    with conn, conn.makefile("rb") as requests:
        root = Path(requests.readline().decode().rstrip("\n"))
        if root.is_file():
            _send_file(conn, root)
            return
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            relative = os.path.relpath(folder, root)
            conn.sendall(b"D %s\n" % relative.encode())
            for name in sorted(files):
                path = Path(folder, name)
                size = path.stat().st_size
                conn.sendall(b"F %d %s\n" % (size, os.path.join(relative, name).encode()))
                _send_file(conn, path)
        conn.sendall(b"E\n")


def raw_sender(bind: str) -> None:
    server = socket.create_server((bind, RAW_PORT))

    def accept_forever() -> None:
        while True:
            conn, _ = server.accept()
            _serve_raw(conn)

    threading.Thread(target=accept_forever, daemon=True).start()
    emit(ready="raw sender")
    while "quit" not in (command := read_command()):
        if "offer" in command:
            emit(offered=command["offer"]["path"])
        elif "cpu" in command:
            emit(cpu=time.process_time())


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        view = view[os.write(fd, view) :]


def _read_file(conn: socket.socket, fd: int) -> int:
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    total = 0
    while count := conn.recv_into(buffer):
        _write_all(fd, view[:count])
        total += count
    return total


def _read_folder(conn: socket.socket, dest: Path) -> tuple[int, int]:
    total = files = 0
    buffer = memoryview(bytearray(_CHUNK))
    with conn.makefile("rb") as stream:
        while (line := stream.readline()) not in (b"E\n", b""):
            kind, rest = line[:1], line[2:-1]
            if kind == b"D":
                (dest / rest.decode()).mkdir(exist_ok=True)
                continue
            size_text, name = rest.split(b" ", 1)
            size = int(size_text)
            fd = os.open(dest / name.decode(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                left = size
                while left:
                    count = stream.readinto(buffer[: min(left, _CHUNK)])
                    if not count:
                        raise ConnectionError("the raw stream ended early")
                    _write_all(fd, buffer[:count])
                    left -= count
            finally:
                os.close(fd)
            total += size
            files += 1
    return total, files


def raw_fetch(request: dict[str, Any]) -> None:
    source = Path(request["token"])
    dest = Path(request["dest"]) / source.name
    started, cpu_started = time.perf_counter(), time.process_time()
    with socket.create_connection((request["from"], RAW_PORT)) as conn:
        conn.sendall(str(source).encode() + b"\n")
        if request.get("folder"):
            dest.mkdir()
            size, files = _read_folder(conn, dest)
        else:
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                size, files = _read_file(conn, fd), 1
                os.fsync(fd)
            finally:
                os.close(fd)
    fetched(started, cpu_started, size, files, dest)


def raw_receiver() -> None:
    emit(ready="raw receiver")
    while "quit" not in (command := read_command()):
        if "fetch" in command:
            raw_fetch(command["fetch"])
        elif "cpu" in command:
            emit(cpu=time.process_time())


# ---------------------------------------------------------------------- ipmsg-tui


async def start_service(
    bind: str, port: int, name: str, downloads: Path
) -> tuple[Node, FileService]:
    config = EngineConfig(
        user="bench",
        host=name,
        nick=name,
        port=port,
        broadcast_targets=((BROADCAST, port),),
        local_ips=frozenset({bind}),
        version_field="1_ipmsg-tui bench",
    )
    # On one device, as `--bind` does: unicast and that LAN's broadcasts.
    node = Node(config, SocketPlan(bind, port, device="eth0"))
    files = FileService(node, download_dir=downloads)
    node.listeners.append(files.on_node_event)
    await files.start()
    await node.start()
    return node, files


async def wait_for_peer(node: Node, addr: tuple[str, int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while node.engine.peers.get(addr) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{addr[0]}:{addr[1]} never announced itself")
        await asyncio.sleep(0.02)


async def ours_sender(bind: str, port: int) -> None:
    node, files = await start_service(bind, port, "sender", Path("/nonexistent"))
    emit(ready="ipmsg-tui sender")
    while "quit" not in (command := await next_command()):
        if "offer" in command:
            to = (command["offer"]["to"], port)
            await wait_for_peer(node, to)
            sent = await files.send([to], "", [Path(command["offer"]["path"])])
            emit(offered=sent.packet_no)
        elif "upload_started" in command:
            uploads = [
                t.started_at
                for t in files.transfers
                if t.direction == Direction.OUT and t.packet_no == command["upload_started"]
            ]
            emit(upload_started=uploads[-1] if uploads else None)
        elif "cpu" in command:
            emit(cpu=time.process_time())
    await files.stop()
    await node.stop()


async def ours_receiver(bind: str, port: int) -> None:
    node, files = await start_service(bind, port, "receiver", Path("/nonexistent"))
    offers: dict[int, IncomingOffer] = {}
    arrived = asyncio.Event()

    def on_file_event(event: object) -> None:
        if isinstance(event, OfferReceived):
            offers[event.offer.packet_no] = event.offer
            arrived.set()

    files.listeners.append(on_file_event)
    emit(ready="ipmsg-tui receiver")
    while "quit" not in (command := await next_command()):
        if "fetch" in command:
            request = command["fetch"]
            while (token := _wanted(offers, request)) is None:
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), 30)
            offer = offers.pop(token)
            started, cpu_started = time.perf_counter(), time.process_time()
            (transfer,) = files.download_all(offer, Path(request["dest"]))
            if await transfer.wait() != TransferState.DONE:
                emit(error=f"download failed: {transfer.error}")
                continue
            assert transfer.path is not None
            count = transfer.files_done if transfer.is_folder else 1
            fetched(started, cpu_started, transfer.done, count, transfer.path)
        elif "cpu" in command:
            emit(cpu=time.process_time())
    await files.stop()
    await node.stop()


def _wanted(offers: dict[int, IncomingOffer], request: dict[str, Any]) -> int | None:
    """The packet number of the offer ``request`` asks for, if it has arrived."""
    if request["token"] != "any":
        return int(request["token"]) if int(request["token"]) in offers else None
    return next((n for n, o in offers.items() if o.addr[0] == request["from"]), None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["sender", "receiver"])
    parser.add_argument("--kind", choices=["raw", "ours"], required=True)
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, default=IPMSG_PORT, help="ipmsg-tui's UDP/TCP port")
    args = parser.parse_args()
    if args.kind == "raw":
        raw_sender(args.bind) if args.role == "sender" else raw_receiver()
    elif args.role == "sender":
        asyncio.run(ours_sender(args.bind, args.port))
    else:
        asyncio.run(ours_receiver(args.bind, args.port))


if __name__ == "__main__":
    main()
