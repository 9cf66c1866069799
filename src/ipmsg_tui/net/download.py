"""Fetching over TCP: send the request, then take exactly what was offered.

A file stream must bring exactly the bytes still missing; a folder stream must end with the
RETPARENT of its top folder. Anything shorter or longer is a failed transfer that leaves its
``.part`` behind, never a finished file. The loop connects and sends the request; the bytes
are received, decoded and written on a thread of their own (:mod:`.bulk`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..i18n import N_
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
from ..reasons import Reason, ReasonedError, known
from ..sizes import file_size
from . import bulk, saving
from .bulk import Broken, Pipe, Stalled
from .tcp import connect_socket
from .transfers import Transfer

_T = TypeVar("_T")

CHUNK = 1 << 20  # a folder stream is received in parts this big
FILE_BUFFER = 1 << 20  # a file stream is received, written and hashed in parts this big
FILE_BUFFERS = 4  # parts in flight between the socket, the disk and the hashing thread
IDLE_TIMEOUT = 60.0  # Windows gives up after 120 s without data
EOF_GRACE = 2.0  # after the last byte: how long a sender may take to close
# A sender that accepts the connection and closes it at once has refused the request.
REFUSED = known(
    N_(
        "the sender closed the connection without sending anything "
        "(it refused the request: offer withdrawn or expired?)"
    )
)
SENT_TOO_MUCH = known(N_("the sender sent more than it offered"))
SILENT = known(N_("no data from the sender for {seconds} s"))
BROKE = known(N_("the connection broke: {error}"))
ENDED_EARLY = known(N_("the connection ended {size} before the end"))
BAD_STREAM = known(N_("bad folder stream: {error}"))


class TransferError(ReasonedError):
    """The peer's stream was short, long or stalled; the message says which."""


class SenderRefused(TransferError):
    """The sender accepted the connection and closed it at once: it refused the request."""

    def __init__(self) -> None:
        super().__init__(Reason(REFUSED))


@dataclass(slots=True)
class Connection:
    addr: Addr
    request: bytes
    local_host: str | None = None
    connect_timeout: float = 10.0
    idle_timeout: float = IDLE_TIMEOUT


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


async def _on_thread(
    link: Connection, work: Callable[[Pipe], _T], counters: Callable[[], int], transfer: Transfer
) -> _T:
    """Connect and send the request on the loop, then let ``work`` take the stream on a
    thread; ``counters()`` is what it has written so far, reported as progress."""
    sock = await connect_socket(link.addr, link.connect_timeout, link.local_host)
    try:
        await asyncio.get_running_loop().sock_sendall(sock, link.request)
        pipe = Pipe(sock, link.idle_timeout)
        reported = 0

        def report() -> None:
            nonlocal reported
            done = counters()
            if done > reported:
                transfer.advance(done - reported)
                reported = done

        try:
            return await bulk.run(lambda: work(pipe), pipe, report)
        except Stalled:
            seconds = f"{link.idle_timeout:g}"
            silent = Reason(SILENT, {"seconds": seconds})
            raise TransferError(silent) from None
        except Broken as error:
            broke = Reason(BROKE, {"error": str(error)})
            raise TransferError(broke) from None
    finally:
        sock.close()


class _FileTaker:
    """On the thread: exactly ``missing`` bytes of a file stream, ``recv_into`` a buffer and
    ``write`` to disk, and, when a ``digest`` is wanted, through SHA-256 on a second thread
    (hashlib lets go of the GIL) so hashing overlaps with receiving the next buffer. A buffer
    is reused only once it has been hashed; without a digest one buffer is enough."""

    def __init__(self, fd: int, missing: int, digest: hashlib._Hash | None) -> None:
        self.fd = fd
        self.missing = missing
        self.received = 0
        self.digest = digest

    def __call__(self, pipe: Pipe) -> None:
        count = FILE_BUFFERS if self.digest is not None else 1
        buffers = [bytearray(min(FILE_BUFFER, max(self.missing, 1))) for _ in range(count)]
        jobs: list[concurrent.futures.Future[None] | None] = [None] * count
        hasher = None
        if self.digest is not None:
            hasher = ThreadPoolExecutor(1, thread_name_prefix="ipmsg-tui-sha256")
        try:
            turn = 0
            while self.missing:
                job = jobs[turn]
                if job is not None:
                    job.result()  # this buffer is still being hashed
                view = memoryview(buffers[turn])
                filled = 0
                while self.missing and filled < len(view):
                    room = min(self.missing, len(view) - filled)
                    got = pipe.recv_into(view[filled : filled + room])
                    if not got:
                        raise self._ended_early()
                    _write_all(self.fd, view[filled : filled + got])
                    filled += got
                    self.missing -= got
                    self.received += got
                    if hasher is None:
                        filled = 0  # written, and nothing else needs it: all free again
                if hasher is not None and self.digest is not None:
                    # One thread, so the parts are hashed in the order they arrived.
                    jobs[turn] = hasher.submit(self.digest.update, view[:filled])
                    turn = (turn + 1) % count
            for job in jobs:
                if job is not None:
                    job.result()
        finally:
            if hasher is not None:
                hasher.shutdown(wait=True, cancel_futures=True)
        # Complete. The sender should close now; it may also keep the connection open.
        if not pipe.ends_within(EOF_GRACE):
            raise TransferError(Reason(SENT_TOO_MUCH))

    def _ended_early(self) -> TransferError:
        if not self.received:
            return SenderRefused()
        size = file_size(self.missing)
        early = Reason(ENDED_EARLY, {"size": size})
        return TransferError(early)


async def fetch_file(
    link: Connection, fd: int, missing: int, transfer: Transfer, digest: hashlib._Hash | None
) -> None:
    """Stream ``missing`` bytes (the request already names the offset) into ``fd``, through
    ``digest`` too unless it is None."""
    taker = _FileTaker(fd, missing, digest)
    await _on_thread(link, taker, lambda: taker.received, transfer)


@dataclass(slots=True)
class _TreeWriter:
    """Creates what a folder stream describes, inside the ``.part`` folder ``root``."""

    root: Path
    written: int = 0  # file bytes, read by the loop as progress
    files: int = 0
    tree: SafeTree = field(default_factory=SafeTree)
    fd: int | None = None
    file_path: Path | None = None
    folder_times: list[tuple[Path, int | None]] = field(default_factory=list)
    # The mtime each open folder's own header gave. It wins over the one on its RETPARENT:
    # iptux puts there the times of the last entry it looked at, not those of the folder.
    entered_mtimes: list[int | None] = field(default_factory=list)
    top_mtime: int | None = None
    # The path of every open folder, by its parts: made safe once, not again for each file.
    folders: dict[tuple[str, ...], Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folders[()] = self.root

    def handle(self, event: object) -> None:
        match event:
            case FileData(data=data):
                assert self.fd is not None
                _write_all(self.fd, data)
                self.written += len(data)
            case FileStart(entry=entry):
                if self.tree.depth:
                    parts = self.tree.file(entry.name)
                else:  # a single-file answer (Windows, encrypted mode)
                    parts = (clean_component(entry.name),)
                self.file_path, self.fd = saving.create_in(self.folders[parts[:-1]], parts[-1])
            case FileEnd(entry=entry):
                if self.fd is not None:
                    saving.set_fd_mtime(self.fd, entry.mtime)
                self.close_file()
                self.files += 1
            case EnterDir(entry=entry):
                parts = self.tree.enter(entry.name)
                self.entered_mtimes.append(entry.mtime)
                if parts:
                    self.folders[parts] = saving.make_dir_in(self.folders[parts[:-1]], parts[-1])
                else:
                    self.top_mtime = entry.mtime
            case LeaveDir(entry=entry):
                parts = self.tree.leave()
                entered = self.entered_mtimes.pop()
                mtime = entered if entered is not None else entry.mtime
                if parts:  # folders get their times last: writing inside changes them
                    self.folder_times.append((self.folders.pop(parts), mtime))

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
    target = _TreeWriter(root)

    def counters() -> int:
        transfer.files_done = target.files
        return target.written

    try:
        await _on_thread(link, lambda pipe: _take_folder(pipe, decoder, target), counters, transfer)
    finally:
        target.close_file()
    target.apply_folder_times()
    return target.top_mtime


def _take_folder(pipe: Pipe, decoder: DirStreamDecoder, target: _TreeWriter) -> None:
    """On the thread: read, decode and create, a chunk at a time, with no loop round trip
    per file."""
    buffer = memoryview(bytearray(CHUNK))
    try:
        while not decoder.finished:
            got = pipe.recv_into(buffer)
            if not got:
                if decoder.entries == 0:
                    raise SenderRefused()
                decoder.close()  # raises: the stream ended early
            for event in decoder.feed(buffer[:got]):
                target.handle(event)
    except DirStreamError as error:
        raise TransferError(_bad_stream(error)) from None
    except ValueError as error:  # SafeTree: a file outside any folder
        raise TransferError(_bad_stream(error)) from None
    if not pipe.ends_within(EOF_GRACE):
        raise TransferError(Reason(SENT_TOO_MUCH))


def _bad_stream(error: Exception) -> Reason:
    """The folder stream's own complaint (its parser's words stay technical)."""
    return Reason(BAD_STREAM, {"error": str(error)})
