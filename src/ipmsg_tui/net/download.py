"""Fetching over TCP: send the request, then take exactly what was offered.

A file stream must bring exactly the bytes still missing; a folder stream must end with the
RETPARENT of its top folder. Anything shorter or longer is a failed transfer that leaves its
``.part`` behind, never a finished file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from ..protocol.dirstream import (
    DirStreamDecoder,
    DirStreamError,
    EnterDir,
    FileData,
    FileEnd,
    FileStart,
    LeaveDir,
)
from ..protocol.peers import Addr
from ..protocol.safenames import SafeTree, clean_component
from ..sizes import file_size
from . import saving
from .tcp import connect, connect_protocol
from .transfers import Transfer

CHUNK = 256 * 1024
FILE_BUFFER = 1 << 20  # a file stream is received, written and hashed in parts this big
FILE_BUFFERS = 4  # parts in flight between the socket, the disk and the hashing thread
IDLE_TIMEOUT = 60.0  # Windows gives up after 120 s without data
EOF_GRACE = 2.0  # after the last byte: how long a sender may take to close
# A sender that accepts the connection and closes it at once has refused the request.
REFUSED = (
    "the sender closed the connection without sending anything "
    "(it refused the request: offer withdrawn or expired?)"
)


class TransferError(Exception):
    """The peer's stream was short, long or stalled; the message says which."""


class SenderRefused(TransferError):
    """The sender accepted the connection and closed it at once: it refused the request."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


@dataclass(slots=True)
class Connection:
    addr: Addr
    request: bytes
    local_host: str | None = None
    connect_timeout: float = 10.0
    idle_timeout: float = IDLE_TIMEOUT


# asyncio.timeout, not asyncio.wait_for: on Python 3.11 wait_for swallows a cancellation
# that arrives when the read is already complete, which is every read of a fast stream, so
# a download could not be cancelled.


async def _read(reader: asyncio.StreamReader, size: int, timeout: float) -> bytes:
    try:
        async with asyncio.timeout(timeout):
            return await reader.read(size)
    except TimeoutError:
        raise TransferError(f"no data from the sender for {timeout:g} s") from None


async def _expect_end(reader: asyncio.StreamReader) -> None:
    """After the last expected byte the sender should close; more bytes are an error."""
    try:
        async with asyncio.timeout(EOF_GRACE):
            extra = await reader.read(1)
    except TimeoutError:
        return  # it keeps the connection open; what we wanted is complete
    if extra:
        raise TransferError("the sender sent more than it offered")


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class _FileSink(asyncio.BufferedProtocol):
    """Takes exactly ``missing`` bytes of a file stream: into our buffers, onto disk, and,
    when a ``digest`` is wanted, through SHA-256 on a thread of its own.

    A StreamReader copies every byte twice more, and hashing in the event loop's thread adds
    its whole cost to the transfer; on a thread (hashlib lets go of the GIL) it overlaps
    with receiving the next buffer. A buffer is reused only once it has been hashed; without
    a digest one buffer, reused as soon as it is written, is enough.
    """

    def __init__(
        self, fd: int, missing: int, transfer: Transfer, digest: hashlib._Hash | None
    ) -> None:
        self.fd = fd
        self.missing = missing
        self.received = 0
        self.transfer = transfer
        self.digest = digest
        self.overflow = False  # the sender sent more than it offered
        self.closed = False
        self.failure: BaseException | None = None
        self.activity = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._allocated = 0
        self._spare: list[bytearray] = []
        self._buffer: bytearray | None = self._take_buffer()
        self._filled = 0
        self._scratch = bytearray(64)  # after the last byte: anything more is an overflow
        self._hasher: ThreadPoolExecutor | None = None
        self._hashed: concurrent.futures.Future[None] | None = None  # the latest hash job

    # ------------------------------------------------------------------ protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        if not self.missing:
            return memoryview(self._scratch)
        if self._buffer is None:  # reading is paused then; should it still ask, take more
            self._buffer, self._filled = bytearray(FILE_BUFFER), 0
        # Never room for more than is missing: a byte beyond it lands in the scratch buffer
        # on the next read and counts as an overflow.
        return memoryview(self._buffer)[self._filled : self._filled + self.missing]

    def buffer_updated(self, nbytes: int) -> None:
        self.activity.set()
        if not self.missing or self._buffer is None:
            self.overflow = True
            return
        start = self._filled
        try:
            _write_all(self.fd, memoryview(self._buffer)[start : start + nbytes])
        except OSError as error:
            self.failure = error
            self._close()
            return
        self._filled += nbytes
        self.missing -= nbytes
        self.received += nbytes
        self.transfer.advance(nbytes)
        if self.digest is None:
            self._filled = 0  # written, and nothing else needs it: all of it is free again
        elif not self.missing or self._filled == len(self._buffer):
            self._hash_buffer()

    def eof_received(self) -> bool:
        self.closed = True
        self.activity.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if exc is not None and self.failure is None and self.missing:
            self.failure = TransferError(f"the connection broke: {exc}")
        self.activity.set()

    # ------------------------------------------------------------------ buffers

    def _take_buffer(self) -> bytearray | None:
        if self._spare:
            return self._spare.pop()
        if self._allocated < FILE_BUFFERS:
            self._allocated += 1
            return bytearray(min(FILE_BUFFER, self.missing))  # small files: small buffers
        return None

    def _hash_buffer(self) -> None:
        buffer, filled, digest = self._buffer, self._filled, self.digest
        assert buffer is not None and digest is not None
        if self._hasher is None:
            self._hasher = ThreadPoolExecutor(1, thread_name_prefix="ipmsg-tui-sha256")
        # One thread, so the parts are hashed in the order they arrived.
        job = self._hasher.submit(digest.update, memoryview(buffer)[:filled])
        job.add_done_callback(lambda _: self._from_thread(self._give_back, buffer))
        self._hashed = job
        self._buffer, self._filled = (self._take_buffer() if self.missing else None), 0
        if self._buffer is None and self.missing and self._transport is not None:
            self._transport.pause_reading()  # all buffers are with the hashing thread

    def _from_thread(self, callback: Callable[[bytearray], None], buffer: bytearray) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            self._loop.call_soon_threadsafe(callback, buffer)

    def _give_back(self, buffer: bytearray) -> None:
        if self._buffer is not None or not self.missing:
            self._spare.append(buffer)
            return
        self._buffer, self._filled = buffer, 0
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    # ------------------------------------------------------------------ for fetch_file

    async def wait(self, done: Callable[[], bool], timeout: float) -> bool:
        """Until ``done()``; False if no data or end came for ``timeout`` seconds."""
        while True:
            self.activity.clear()
            if done() or self.failure is not None:
                return True
            try:  # asyncio.timeout: see _read
                async with asyncio.timeout(timeout):
                    await self.activity.wait()
            except TimeoutError:
                return False

    def check(self) -> None:
        if self.failure is not None:
            raise self.failure
        if self.overflow:
            raise TransferError("the sender sent more than it offered")

    async def hashed(self) -> None:
        if self._hashed is not None:
            await asyncio.wrap_future(self._hashed)

    def stop(self) -> None:
        self._close()
        if self._hasher is not None:
            self._hasher.shutdown(wait=False, cancel_futures=True)

    def _close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()


async def fetch_file(
    link: Connection, fd: int, missing: int, transfer: Transfer, digest: hashlib._Hash | None
) -> None:
    """Stream ``missing`` bytes (the request already names the offset) into ``fd``, through
    ``digest`` too unless it is None."""
    transport, sink = await connect_protocol(
        link.addr,
        lambda: _FileSink(fd, missing, transfer, digest),
        link.connect_timeout,
        link.local_host,
    )
    try:
        transport.write(link.request)
        if not await sink.wait(lambda: not sink.missing or sink.closed, link.idle_timeout):
            raise TransferError(f"no data from the sender for {link.idle_timeout:g} s")
        sink.check()
        if sink.missing:
            if not sink.received:
                raise SenderRefused()
            raise TransferError(f"the connection ended {file_size(sink.missing)} before the end")
        # Complete. The sender should close now; it may also keep the connection open.
        await sink.wait(lambda: sink.closed or sink.overflow, EOF_GRACE)
        sink.check()
        await sink.hashed()
    finally:
        sink.stop()


@dataclass(slots=True)
class _TreeWriter:
    """Creates what a folder stream describes, inside the ``.part`` folder ``root``."""

    root: Path
    transfer: Transfer
    tree: SafeTree = field(default_factory=SafeTree)
    fd: int | None = None
    file_path: Path | None = None
    folder_times: list[tuple[Path, int | None]] = field(default_factory=list)
    # The mtime each open folder's own header gave. It wins over the one on its RETPARENT:
    # iptux puts there the times of the last entry it looked at, not those of the folder.
    entered_mtimes: list[int | None] = field(default_factory=list)
    top_mtime: int | None = None

    def handle(self, event: object) -> None:
        match event:
            case EnterDir(entry=entry):
                parts = self.tree.enter(entry.name)
                self.entered_mtimes.append(entry.mtime)
                if parts:
                    saving.make_dir_in_tree(self.root, parts)
                else:
                    self.top_mtime = entry.mtime
            case LeaveDir(entry=entry):
                parts = self.tree.leave()
                entered = self.entered_mtimes.pop()
                mtime = entered if entered is not None else entry.mtime
                if parts:  # folders get their times last: writing inside changes them
                    self.folder_times.append((saving.tree_path(self.root, parts), mtime))
            case FileStart(entry=entry):
                if self.tree.depth:
                    parts = self.tree.file(entry.name)
                else:  # a single-file answer (Windows, encrypted mode)
                    parts = (clean_component(entry.name),)
                self.fd = saving.create_in_tree(self.root, parts)
                self.file_path = saving.tree_path(self.root, parts)
            case FileData(data=data):
                assert self.fd is not None
                _write_all(self.fd, data)
                self.transfer.advance(len(data))
            case FileEnd(entry=entry):
                self.close_file()
                if self.file_path is not None:
                    saving.set_mtime(self.file_path, entry.mtime)
                self.transfer.files_done += 1

    def close_file(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def apply_folder_times(self) -> None:
        for path, mtime in self.folder_times:  # deepest first: the order they were left
            saving.set_mtime(path, mtime)


async def fetch_folder(
    link: Connection, root: Path, decoder: DirStreamDecoder, transfer: Transfer
) -> int | None:
    """Rebuild the streamed folder inside ``root``; returns the top folder's mtime."""
    target = _TreeWriter(root, transfer)
    reader, writer = await connect(link.addr, link.connect_timeout, link.local_host)
    try:
        writer.write(link.request)
        await writer.drain()
        while not decoder.finished:
            chunk = await _read(reader, CHUNK, link.idle_timeout)
            if not chunk:
                if decoder.entries == 0:
                    raise SenderRefused()
                decoder.close()  # raises: the stream ended early
            try:
                for event in decoder.feed(chunk):
                    target.handle(event)
            except DirStreamError as error:
                raise TransferError(f"bad folder stream: {error}") from None
            except ValueError as error:  # SafeTree: a file outside any folder
                raise TransferError(f"bad folder stream: {error}") from None
        await _expect_end(reader)
    except DirStreamError as error:
        raise TransferError(f"bad folder stream: {error}") from None
    finally:
        target.close_file()
        writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await writer.wait_closed()
    target.apply_folder_times()
    return target.top_mtime
