"""The sending side on disk: describe offered paths, and stream files and folders to a socket.

The bytes go out on a thread of their own (:mod:`.bulk`): a file with zero-copy
``sendfile(2)``, a folder as batches of headers and small files; the event loop only reads
the counters for progress, and a cancel stops the thread within a poll step. A folder
is walked without ever following a symbolic link (links, devices and FIFOs inside it are left
out), so nothing outside the offered folder can be reached through it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..i18n import N_
from ..protocol.attachments import Attachment
from ..protocol.constants import FileExtAttr, FileType
from ..protocol.dirstream import format_dir_header, format_retparent
from ..reasons import Reason, ReasonedError
from . import bulk
from .bulk import Broken, Pipe

log = logging.getLogger(__name__)

SMALL_FILE = 64 * 1024  # read into the batch; bigger files go out with sendfile
BATCH = 256 * 1024  # headers and small files gathered before one send
MAX_FOLDER_DEPTH = 64
MAX_FOLDER_ENTRIES = 100_000
Progress = Callable[[int], None]
_T = TypeVar("_T")


class OfferError(Exception):
    """A path that cannot be offered; the message says why."""


class ShortRead(ReasonedError):
    """The file shrank while it was being sent: the receiver must not take it as complete."""


def _ended_early(path: Path, missing: int) -> Reason:
    template = N_("{path} ended {count} bytes early")
    return Reason(template, {"path": str(path), "count": missing})


def describe(path: Path, file_id: int) -> tuple[Attachment, Path]:
    """The attachment entry for a local file or folder, and its resolved path."""
    try:
        resolved = path.expanduser().resolve(strict=True)
        info = resolved.stat()
    except FileNotFoundError:
        raise OfferError(f"{path}: no such file or folder") from None
    except OSError as error:
        raise OfferError(f"{path}: {error.strerror}") from None
    name = resolved.name or str(resolved)
    mtime = max(0, int(info.st_mtime))
    if stat.S_ISREG(info.st_mode):
        if not os.access(resolved, os.R_OK):
            raise OfferError(f"{path}: not readable")
        return Attachment(file_id, name, info.st_size, mtime, FileType.REGULAR), resolved
    if stat.S_ISDIR(info.st_mode):
        if not os.access(resolved, os.R_OK | os.X_OK):
            raise OfferError(f"{path}: folder not readable")
        # The total of the files inside, as iptux announces it; never 0, because iptux shows
        # a 0-byte attachment as "already received" and will not fetch it.
        total = folder_total(resolved)
        return Attachment(file_id, name, max(total, 1), mtime, FileType.DIR), resolved
    raise OfferError(f"{path}: only regular files and folders can be sent")


@dataclass(frozen=True, slots=True)
class WalkItem:
    kind: str  # "dir" (descend), "file", "up" (leave the current folder)
    name: str
    path: Path
    size: int = 0
    mtime: int = 0


def walk_folder(root: Path, max_depth: int = MAX_FOLDER_DEPTH) -> Iterator[WalkItem]:
    """Depth-first, sorted by name, never following links; unreadable folders are skipped."""
    count = 0

    def visit(folder: Path, depth: int) -> Iterator[WalkItem]:
        nonlocal count
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            log.warning("cannot list %s: %s", folder, error.strerror)
            return
        for entry in entries:
            count += 1
            if count > MAX_FOLDER_ENTRIES:
                raise OfferError(f"{root}: more than {MAX_FOLDER_ENTRIES} entries")
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            mtime = max(0, int(info.st_mtime))
            path = Path(entry.path)
            if stat.S_ISDIR(info.st_mode):
                if depth >= max_depth:
                    log.warning("not sending %s: folder too deep", path)
                    continue
                yield WalkItem("dir", entry.name, path, 0, mtime)
                yield from visit(path, depth + 1)
                yield WalkItem("up", ".", path, 0, mtime)
            elif stat.S_ISREG(info.st_mode):
                yield WalkItem("file", entry.name, path, info.st_size, mtime)
            # symbolic links, devices, FIFOs, sockets: never sent

    return visit(root, 1)


def folder_total(root: Path, max_depth: int = MAX_FOLDER_DEPTH) -> int:
    """The bytes :func:`walk_folder` would send, summed without sorting or building its
    items: ``send`` walks the folder for this before its message goes, while the user waits,
    and a folder of thousands of files then costs half as long."""
    total = count = 0
    pending = [(os.fspath(root), 1)]
    while pending:
        folder, depth = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue  # walk_folder says so when it sends
        for entry in entries:
            count += 1
            if count > MAX_FOLDER_ENTRIES:
                raise OfferError(f"{root}: more than {MAX_FOLDER_ENTRIES} entries")
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < max_depth:
                        pending.append((entry.path, depth + 1))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


def _times(mtime: int) -> tuple[tuple[int, int], ...]:
    # The mtime in CREATETIME too: iptux's receiver takes the second time field as the
    # file's mtime (and the first as its atime), whatever their keys say.
    return ((FileExtAttr.MTIME, mtime), (FileExtAttr.CREATETIME, mtime))


def open_no_follow(path: Path) -> int:
    """A read descriptor for a regular file, refusing links swapped in since the walk."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    return fd


async def _take_socket(writer: asyncio.StreamWriter) -> Pipe:
    """The writer's socket for a thread, once everything written so far has left."""
    writer.transport.set_write_buffer_limits(high=0)  # drain() now waits until it is empty
    await writer.drain()
    own = writer.get_extra_info("socket")
    if own is None:
        raise ConnectionError("the connection is gone")
    # A descriptor of our own (the transport closes its one); non-blocking like it.
    sock = socket.socket(fileno=os.dup(own.fileno()))
    sock.setblocking(False)
    return Pipe(sock)


async def _on_thread(
    writer: asyncio.StreamWriter, work: Callable[[Pipe], _T], progress: Progress
) -> _T:
    pipe = await _take_socket(writer)
    reported = 0

    def report() -> None:
        nonlocal reported
        if pipe.moved > reported:
            progress(pipe.moved - reported)
            reported = pipe.moved

    try:
        return await bulk.run(lambda: work(pipe), pipe, report)
    except Broken as error:
        raise ConnectionError(str(error)) from None
    finally:
        pipe.sock.close()


async def send_file(
    writer: asyncio.StreamWriter, path: Path, offset: int, count: int, progress: Progress
) -> None:
    """``count`` bytes of ``path`` from ``offset``; ShortRead if the file has fewer."""
    fd = open_no_follow(path)
    try:
        await _on_thread(writer, lambda pipe: _file_out(pipe, fd, path, offset, count), progress)
    finally:
        os.close(fd)


def _file_out(pipe: Pipe, fd: int, path: Path, offset: int, count: int) -> None:
    sent = pipe.sendfile(fd, offset, count)
    if sent < count:
        raise ShortRead(_ended_early(path, count - sent))


async def send_folder(
    writer: asyncio.StreamWriter, root: Path, name: str, codec: str, progress: Progress
) -> int:
    """The GETDIRFILES stream of ``root`` (named ``name``); returns the files sent."""
    return await _on_thread(writer, lambda pipe: _folder_out(pipe, root, name, codec), progress)


def _folder_out(pipe: Pipe, root: Path, name: str, codec: str) -> int:
    """On the thread: walk, read and send, headers and small files gathered in batches so a
    folder of small files costs a few big writes instead of two per file."""
    info = root.lstat()  # the folder itself may have been swapped for a link since the offer
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{root} is no longer a folder")
    top_mtime = max(0, int(info.st_mtime))
    batch = bytearray(format_dir_header(name, 0, FileType.DIR, _times(top_mtime), codec))
    in_batch = 0  # file bytes in ``batch``: progress once they are sent

    def flush() -> None:
        nonlocal in_batch
        pipe.send(batch)
        pipe.moved += in_batch
        batch.clear()
        in_batch = 0

    for item in walk_folder(root):
        if item.kind == "dir":
            batch += format_dir_header(item.name, 0, FileType.DIR, _times(item.mtime), codec)
        elif item.kind == "up":
            batch += format_retparent(_times(item.mtime), codec)
        else:
            try:
                fd = open_no_follow(item.path)
            except OSError as error:
                log.warning("not sending %s: %s", item.path, error)
                continue
            try:
                size = os.fstat(fd).st_size  # what is there now, not at walk time
                batch += format_dir_header(
                    item.name, size, FileType.REGULAR, _times(item.mtime), codec
                )
                if size <= SMALL_FILE:
                    data = os.pread(fd, size, 0)
                    batch += data
                    in_batch += len(data)
                    sent = len(data)
                else:
                    flush()
                    sent = pipe.sendfile(fd, 0, size)
                if sent < size:
                    raise ShortRead(_ended_early(item.path, size - sent))
            finally:
                os.close(fd)
            pipe.files += 1
        if len(batch) >= BATCH:
            flush()
    batch += format_retparent(_times(top_mtime), codec)
    flush()
    return pipe.files
