"""The TCP request that opens a download: GETFILEDATA or GETDIRFILES.

It is an ordinary IPMSG packet whose extension names the offer and the file in **hex**::

    1:<pkt>:<user>:<host>:<GETFILEDATA[|UTF8OPT]>:<offer no hex>:<file id hex>:<offset hex>[:]\\0
    1:<pkt>:<user>:<host>:<GETDIRFILES[|UTF8OPT]>:<offer no hex>:<file id hex>[:0][:]\\0

Windows writes ``%x:%x:0:`` (trailing colon), iptux ``%x:%x:%x`` and ``%x:%x:0`` for folders;
some clients add FILEATTACHOPT or leave out the NUL. All of these parse. The file id in the
attachment list is decimal, and a few clients send that decimal text here, so a request yields
the hex reading first and the decimal one as a fallback (as iptux's server does).
"""

from __future__ import annotations

from dataclasses import dataclass

from .constants import Command, SendOpt, get_mode
from .packet import Packet, ParseError, parse_packet

# A request is one short packet: two names of at most 80 bytes and three numbers.
MAX_REQUEST_BYTES = 2048
_MAX_HEX_DIGITS = 16
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
FILE_REQUEST_MODES = (Command.GETFILEDATA, Command.GETDIRFILES)


@dataclass(frozen=True, slots=True)
class FileRequest:
    header: Packet
    offer_no: int
    file_id_text: str
    offset: int = 0

    @property
    def mode(self) -> int:
        return self.header.mode

    @property
    def is_folder(self) -> bool:
        return self.header.mode == Command.GETDIRFILES

    @property
    def utf8(self) -> bool:
        """The requester wants folder-stream names in UTF-8."""
        return self.header.has(SendOpt.UTF8OPT)

    def file_id_candidates(self) -> list[int]:
        """The file id read as hex (the standard), then as decimal if that differs."""
        candidates = [int(self.file_id_text, 16)]
        if self.file_id_text.isdigit() and int(self.file_id_text) != candidates[0]:
            candidates.append(int(self.file_id_text))
        return candidates


def _hex_field(text: str, name: str) -> int:
    if not text or len(text) > _MAX_HEX_DIGITS or not all(c in _HEX_DIGITS for c in text):
        raise ParseError(f"bad {name}")
    return int(text, 16)


def request_complete(buffer: bytes) -> bool:
    """A request ends at its NUL; without one, the reader waits for a pause or the cap."""
    return b"\0" in buffer


def parse_file_request(data: bytes) -> FileRequest:
    """Parse a GETFILEDATA/GETDIRFILES request, or raise ParseError (never anything else)."""
    if len(data) > MAX_REQUEST_BYTES:
        raise ParseError("oversized request")
    header = parse_packet(data.split(b"\0", 1)[0] if b"\0" in data else data)
    if get_mode(header.command) not in FILE_REQUEST_MODES:
        raise ParseError("not a file request")
    try:
        text = header.extension.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ParseError("bad request fields") from None
    fields = text.split(":")
    while fields and fields[-1] == "":
        fields.pop()
    if len(fields) < 2:
        raise ParseError("too few request fields")
    offer_no = _hex_field(fields[0], "packet number")
    file_id_text = fields[1].lower()
    _hex_field(file_id_text, "file id")
    offset = 0
    if len(fields) > 2 and header.mode == Command.GETFILEDATA:
        offset = _hex_field(fields[2], "offset")
    return FileRequest(header, offer_no, file_id_text, offset)


def file_request_extension(mode: int, offer_no: int, file_id: int, offset: int = 0) -> bytes:
    """The request's extension as Windows writes it (with a trailing colon)."""
    if get_mode(mode) == Command.GETDIRFILES:
        return b"%x:%x:" % (offer_no, file_id)
    return b"%x:%x:%x:" % (offer_no, file_id, offset)
