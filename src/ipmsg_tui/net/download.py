"""Fetching over TCP: send the request, then take exactly what was offered.

A file stream must bring exactly the bytes still missing; a folder stream must end with the
RETPARENT of its top folder. Anything shorter or longer is a failed transfer that leaves its
``.part`` behind, never a finished file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

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
from . import saving
from .tcp import connect
from .transfers import Transfer

CHUNK = 256 * 1024
IDLE_TIMEOUT = 60.0  # Windows gives up after 120 s without data
EOF_GRACE = 2.0  # after the last byte: how long a sender may take to close
# A sender that accepts the connection and closes it at once has refused the request.
REFUSED = (
    "the sender closed the connection without sending anything "
    "(it refused the request: offer withdrawn or expired?)"
)


class TransferError(Exception):
    """The peer's stream was short, long or stalled; the message says which."""


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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


async def fetch_file(
    link: Connection, fd: int, missing: int, transfer: Transfer, digest: hashlib._Hash
) -> None:
    """Stream ``missing`` bytes (the request already names the offset) into ``fd``."""
    reader, writer = await connect(link.addr, link.connect_timeout, link.local_host)
    try:
        writer.write(link.request)
        await writer.drain()
        while missing:
            chunk = await _read(reader, min(CHUNK, missing), link.idle_timeout)
            if not chunk:
                got = transfer.done - transfer.offset
                if not got:
                    raise TransferError(REFUSED)
                raise TransferError(f"the connection ended {missing} bytes before the end")
            _write_all(fd, chunk)
            digest.update(chunk)
            missing -= len(chunk)
            transfer.advance(len(chunk))
        await _expect_end(reader)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await writer.wait_closed()


@dataclass(slots=True)
class _TreeWriter:
    """Creates what a folder stream describes, inside the ``.part`` folder ``root``."""

    root: Path
    transfer: Transfer
    tree: SafeTree = field(default_factory=SafeTree)
    fd: int | None = None
    file_path: Path | None = None
    folder_times: list[tuple[Path, int | None]] = field(default_factory=list)
    top_mtime: int | None = None

    def handle(self, event: object) -> None:
        match event:
            case EnterDir(entry=entry):
                parts = self.tree.enter(entry.name)
                if parts:
                    saving.make_dir_in_tree(self.root, parts)
                else:
                    self.top_mtime = entry.mtime
            case LeaveDir(entry=entry):
                parts = self.tree.leave()
                if parts:  # folders get their times last: writing inside changes them
                    self.folder_times.append((saving.tree_path(self.root, parts), entry.mtime))
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
                    raise TransferError(REFUSED)
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
