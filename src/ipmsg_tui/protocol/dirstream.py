"""The folder stream that answers GETDIRFILES: headers, file bytes, RETPARENT.

Each entry is ``<headersize hex>:<name>:<size hex>:<attr hex>:[<key hex>=<val hex>:...]``
followed, for a regular file, by exactly ``size`` bytes. ``headersize`` counts the whole header
including its own digits and the last ``:``; Windows and iptux write it as 4 hex digits. The
first entry is the requested folder; a DIR entry descends, a RETPARENT entry (name ``.``)
goes back up, and the RETPARENT that leaves the first folder ends the stream.

We escape ``:`` in names as ``::`` (as in attachment lists), and so does iptux; for a sender
that does not, the decoder falls back to reading the numeric fields from the right. The
decoder is a state machine fed bytes as they arrive, with caps on header size, name length,
depth and entry count; what it yields are raw names, which :mod:`.safenames` turns into paths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import text as wire_text
from .constants import FILE_TYPE_MASK, FileExtAttr, FileType

_MAX_SIZE_DIGITS = 8  # Windows reads 8 bytes before it looks for the ':'
MAX_HEADER_BYTES = 0xFFFF  # what 4 hex digits can say
_MAX_NUMBER = (1 << 63) - 1
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]{1,17}")


class DirStreamError(ValueError):
    """The stream is malformed, too big, too deep, or goes on after its end."""


@dataclass(frozen=True, slots=True)
class DirEntry:
    name: str
    size: int
    attr: int
    ext: tuple[tuple[int, int], ...] = field(default=())

    @property
    def file_type(self) -> int:
        return self.attr & FILE_TYPE_MASK

    @property
    def mtime(self) -> int | None:
        for key, value in self.ext:
            if key == FileExtAttr.MTIME:
                return value
        return None


@dataclass(frozen=True, slots=True)
class EnterDir:
    entry: DirEntry
    depth: int  # 1 for the requested folder itself


@dataclass(frozen=True, slots=True)
class LeaveDir:
    entry: DirEntry  # the RETPARENT entry; its ext carries the left folder's times
    depth: int  # depth after leaving; 0 ends the stream


@dataclass(frozen=True, slots=True)
class FileStart:
    entry: DirEntry


@dataclass(frozen=True, slots=True)
class FileData:
    data: bytes


@dataclass(frozen=True, slots=True)
class FileEnd:
    entry: DirEntry


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry we do not create (symlink, device, FIFO...); its bytes are consumed."""

    entry: DirEntry


DirEvent = EnterDir | LeaveDir | FileStart | FileData | FileEnd | Skipped


# ---------------------------------------------------------------------- encoding


def format_dir_header(
    name: str, size: int, attr: int, ext: Sequence[tuple[int, int]], codec: str
) -> bytes:
    """One header; ValueError if it cannot be said in 4 hex digits."""
    body = b":%s:%x:%x:" % (wire_text.encode(name.replace(":", "::"), codec), size, attr)
    body += b"".join(b"%x=%x:" % (key, value) for key, value in ext)
    total = 4 + len(body)
    if total > MAX_HEADER_BYTES:
        raise ValueError("header too long")
    return b"%04x" % total + body


def format_retparent(ext: Sequence[tuple[int, int]], codec: str) -> bytes:
    return format_dir_header(".", 0, FileType.RETPARENT, ext, codec)


# ---------------------------------------------------------------------- decoding


def _split_escaped(body: bytes) -> list[bytes]:
    """Split on ``:``, where ``::`` is a literal colon."""
    if b"::" not in body:  # most headers: no name with a colon in it
        return body.split(b":")
    fields: list[bytes] = []
    current = bytearray()
    i = 0
    while i < len(body):
        byte = body[i : i + 1]
        if byte == b":":
            if body[i + 1 : i + 2] == b":":
                current += b":"
                i += 2
                continue
            fields.append(bytes(current))
            current.clear()
        else:
            current += byte
        i += 1
    fields.append(bytes(current))
    return fields


def _hex(raw: bytes) -> int:
    text = raw.decode("ascii").strip()
    if not _HEX_DIGITS.fullmatch(text):  # int(..., 16) would also take "0x", "_" and signs
        raise ValueError("not hex")
    value = int(text, 16)
    if value > _MAX_NUMBER:
        raise ValueError("out of range")
    return value


def _ext_pairs(fields: Sequence[bytes]) -> tuple[tuple[int, int], ...]:
    pairs: list[tuple[int, int]] = []
    for item in fields:
        key, eq, value = item.partition(b"=")
        if not eq:
            raise ValueError("not key=value")
        try:  # values may be comma lists (ACL): keep the first number, skip oddities
            pairs.append((_hex(key), _hex(value.split(b",")[0])))
        except (ValueError, UnicodeDecodeError):
            continue
    return tuple(pairs)


def _fields_escaped(body: bytes) -> tuple[bytes, int, int, tuple[tuple[int, int], ...]]:
    fields = _split_escaped(body)
    while fields and fields[-1] == b"":
        fields.pop()
    if len(fields) < 3:
        raise ValueError("too few fields")
    return fields[0], _hex(fields[1]), _hex(fields[2]), _ext_pairs(fields[3:])


def _fields_from_right(body: bytes) -> tuple[bytes, int, int, tuple[tuple[int, int], ...]]:
    """For unescaped names holding ``:``: the numeric fields are the last ones."""
    fields = body.split(b":")
    while fields and fields[-1] == b"":
        fields.pop()
    ext_start = len(fields)
    while ext_start > 0 and b"=" in fields[ext_start - 1]:
        ext_start -= 1
    if ext_start < 3:
        raise ValueError("too few fields")
    name = b":".join(fields[: ext_start - 2])
    return (
        name,
        _hex(fields[ext_start - 2]),
        _hex(fields[ext_start - 1]),
        _ext_pairs(fields[ext_start:]),
    )


class DirStreamDecoder:
    """Feed it the bytes of a GETDIRFILES answer; it returns events and checks the shape."""

    def __init__(
        self,
        legacy_codec: str = wire_text.DEFAULT_LEGACY_CODEC,
        *,
        max_header: int = MAX_HEADER_BYTES,
        max_name_bytes: int = 1024,
        max_depth: int = 64,
        max_entries: int = 100_000,
    ) -> None:
        self.legacy_codec = legacy_codec
        self.max_header = max_header
        self.max_name_bytes = max_name_bytes
        self.max_depth = max_depth
        self.max_entries = max_entries
        self.entries = 0
        self.depth = 0
        self.finished = False
        self._buffer = bytearray()
        self._remaining = 0  # bytes of the current entry's data still to come
        self._current: DirEntry | None = None
        self._keep_data = False

    def feed(self, data: bytes | bytearray | memoryview) -> list[DirEvent]:
        """Events for ``data``; DirStreamError when the stream is bad (then stop feeding)."""
        events: list[DirEvent] = []
        self._buffer += data
        while self._buffer:
            if self._remaining:
                chunk = bytes(self._buffer[: self._remaining])
                del self._buffer[: len(chunk)]
                self._remaining -= len(chunk)
                if self._keep_data:
                    events.append(FileData(chunk))
                if not self._remaining:
                    self._end_entry(events)
                continue
            if self.finished:
                raise DirStreamError("data after the end of the folder")
            entry = self._take_header()
            if entry is None:
                break
            self._start_entry(entry, events)
        return events

    def close(self) -> None:
        """The connection ended: DirStreamError unless the stream was complete."""
        if not self.finished:
            what = "in the middle of a file" if self._remaining else "before the folder's end"
            raise DirStreamError(f"the stream ended {what}")

    # ------------------------------------------------------------------ internals

    def _take_header(self) -> DirEntry | None:
        colon = self._buffer.find(b":", 0, _MAX_SIZE_DIGITS + 1)
        if colon < 0:
            if len(self._buffer) > _MAX_SIZE_DIGITS:
                raise DirStreamError("no header size")
            return None
        try:
            size = _hex(bytes(self._buffer[:colon]))
        except (ValueError, UnicodeDecodeError):
            raise DirStreamError("bad header size") from None
        if size <= colon + 1 or size > self.max_header:
            raise DirStreamError(f"header size {size} out of range")
        if len(self._buffer) < size:
            return None
        body = bytes(self._buffer[colon + 1 : size])
        del self._buffer[:size]
        try:
            raw_name, file_size, attr, ext = _fields_escaped(body)
        except (ValueError, UnicodeDecodeError):
            try:
                raw_name, file_size, attr, ext = _fields_from_right(body)
            except (ValueError, UnicodeDecodeError):
                raise DirStreamError("bad header fields") from None
        if not raw_name or len(raw_name) > self.max_name_bytes:
            raise DirStreamError("bad name length")
        codec = wire_text.detect_codec(raw_name, self.legacy_codec)
        return DirEntry(wire_text.decode(raw_name, codec), file_size, attr, ext)

    def _start_entry(self, entry: DirEntry, events: list[DirEvent]) -> None:
        self.entries += 1
        if self.entries > self.max_entries:
            raise DirStreamError("too many entries")
        kind = entry.file_type
        if kind == FileType.RETPARENT:
            if self.depth == 0:
                raise DirStreamError("RETPARENT above the top folder")
            self.depth -= 1
            events.append(LeaveDir(entry, self.depth))
            self.finished = self.depth == 0
            return
        if kind == FileType.DIR:
            if self.depth >= self.max_depth:
                raise DirStreamError("folder too deep")
            self.depth += 1
            events.append(EnterDir(entry, self.depth))
            return
        top_file = self.depth == 0
        if top_file and self.entries > 1:
            raise DirStreamError("entry outside the folder")
        # A regular file; as the only entry, a single-file answer (Windows does this).
        self._current = entry
        self._remaining = entry.size
        self._keep_data = kind == FileType.REGULAR
        events.append(FileStart(entry) if self._keep_data else Skipped(entry))
        if not self._remaining:
            self._end_entry(events)

    def _end_entry(self, events: list[DirEvent]) -> None:
        entry = self._current
        assert entry is not None
        if self._keep_data:
            events.append(FileEnd(entry))
        self._current = None
        self._keep_data = False
        if self.depth == 0:
            self.finished = True
