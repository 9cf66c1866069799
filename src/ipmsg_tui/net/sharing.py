"""The sending side on disk: describe offered paths, and stream files and folders to a socket.

Files go out with ``loop.sendfile`` (zero-copy ``sendfile(2)`` where the platform has it), in
slices so progress and cancellation are seen between them; a slice grows while slices go
quickly (each one costs a round of the event loop) and shrinks when they get slow. A folder
is walked without ever following a symbolic link (links, devices and FIFOs inside it are left
out), so nothing outside the offered folder can be reached through it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..protocol.attachments import Attachment
from ..protocol.constants import FileExtAttr, FileType
from ..protocol.dirstream import format_dir_header, format_retparent

log = logging.getLogger(__name__)

SENDFILE_SLICE = 1 << 20  # the first slice of a file
MAX_SENDFILE_SLICE = 64 << 20
SLICE_SECONDS = 0.05  # what a slice should take: progress and cancellation stay prompt
SMALL_FILE = 64 * 1024
MAX_FOLDER_DEPTH = 64
MAX_FOLDER_ENTRIES = 100_000
Progress = Callable[[int], None]


class OfferError(Exception):
    """A path that cannot be offered; the message says why."""


class ShortRead(Exception):
    """The file shrank while it was being sent: the receiver must not take it as complete."""


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
        total = sum(item.size for item in walk_folder(resolved) if item.kind == "file")
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


async def send_file(
    writer: asyncio.StreamWriter, path: Path, offset: int, count: int, progress: Progress
) -> None:
    """``count`` bytes of ``path`` from ``offset``; ShortRead if the file has fewer."""
    fd = open_no_follow(path)
    with os.fdopen(fd, "rb") as handle:
        await _send_open_file(writer, handle, offset, count, progress)


class SliceSizer:
    """How much of a file the next ``loop.sendfile`` call sends: about ``SLICE_SECONDS``
    worth at the speed the previous slice went, between 1 and 64 MiB, in powers of two."""

    def __init__(self) -> None:
        self.size = SENDFILE_SLICE

    def took(self, seconds: float) -> None:
        if seconds < SLICE_SECONDS / 2 and self.size < MAX_SENDFILE_SLICE:
            self.size *= 2
        elif seconds > 2 * SLICE_SECONDS and self.size > SENDFILE_SLICE:
            self.size //= 2


async def _send_open_file(
    writer: asyncio.StreamWriter, handle: object, offset: int, count: int, progress: Progress
) -> None:
    if count <= SMALL_FILE:
        # One read and one buffered write: loop.sendfile's set-up costs more than copying a
        # small file, and a folder is mostly small files.
        data = os.pread(handle.fileno(), count, offset)  # type: ignore[attr-defined]
        if len(data) < count:
            raise ShortRead(f"{path_of(handle)} ended {count - len(data)} bytes early")
        writer.write(data)
        progress(count)
        return
    loop = asyncio.get_running_loop()
    sent = 0
    slices = SliceSizer()
    await writer.drain()
    while sent < count:
        piece = min(slices.size, count - sent)
        started = loop.time()
        done = await loop.sendfile(writer.transport, handle, offset + sent, piece)  # type: ignore[arg-type]
        if done <= 0:
            raise ShortRead(f"{path_of(handle)} ended {count - sent} bytes early")
        slices.took(loop.time() - started)
        sent += done
        progress(done)


def path_of(handle: object) -> str:
    return str(getattr(handle, "name", "file"))


async def send_folder(
    writer: asyncio.StreamWriter, root: Path, name: str, codec: str, progress: Progress
) -> int:
    """The GETDIRFILES stream of ``root`` (named ``name``); returns the files sent."""
    files = 0
    info = root.lstat()  # the folder itself may have been swapped for a link since the offer
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{root} is no longer a folder")
    top_mtime = max(0, int(info.st_mtime))
    writer.write(format_dir_header(name, 0, FileType.DIR, _times(top_mtime), codec))
    for item in walk_folder(root):
        if item.kind == "dir":
            writer.write(format_dir_header(item.name, 0, FileType.DIR, _times(item.mtime), codec))
        elif item.kind == "up":
            writer.write(format_retparent(_times(item.mtime), codec))
        else:
            try:
                fd = open_no_follow(item.path)
            except OSError as error:
                log.warning("not sending %s: %s", item.path, error)
                continue
            with os.fdopen(fd, "rb") as handle:
                size = os.fstat(fd).st_size  # what is there now, not at walk time
                header = format_dir_header(
                    item.name, size, FileType.REGULAR, _times(item.mtime), codec
                )
                writer.write(header)
                await _send_open_file(writer, handle, 0, size, progress)
            files += 1
        await writer.drain()
    writer.write(format_retparent(_times(top_mtime), codec))
    await writer.drain()
    return files
