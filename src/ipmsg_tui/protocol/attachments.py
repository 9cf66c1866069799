"""The attachment list of SENDMSG|FILEATTACHOPT (extension part 1).

Each entry is ``fileID:name:size:mtime:attr[:key=val...]:`` with a decimal file id, hex
size/mtime/attr, ``::`` standing for a ``:`` inside the name, and entries separated by ``\\a``.
Real clients end entries four ways (``\\a``, ``:\\a``, ``\\a:``, ``:\\a:``), so the parser
splits on ``\\a`` and tolerates a leading or trailing ``:`` around each entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import text as wire_text
from .constants import FILE_TYPE_MASK, FileExtAttr, FileType

_MAX_SIZE = (1 << 63) - 1
_MAX_ID = (1 << 63) - 1
_MAX_ENTRIES = 4096
_MAX_NAME_CHARS = 1024


@dataclass(frozen=True, slots=True)
class Attachment:
    file_id: int
    name: str
    size: int
    mtime: int
    attr: int = FileType.REGULAR
    ext: tuple[tuple[int, int], ...] = field(default=())

    @property
    def file_type(self) -> int:
        return self.attr & FILE_TYPE_MASK

    @property
    def is_dir(self) -> bool:
        return self.file_type == FileType.DIR

    @property
    def is_regular(self) -> bool:
        return self.file_type == FileType.REGULAR


def _split_escaped(entry: str) -> list[str]:
    """Split on ``:`` where ``::`` is a literal colon (only names contain colons)."""
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(entry):
        ch = entry[i]
        if ch == ":":
            if i + 1 < len(entry) and entry[i + 1] == ":":
                current.append(":")
                i += 2
                continue
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    fields.append("".join(current))
    return fields


def _hex(value: str, limit: int) -> int:
    number = int(value, 16)
    if not 0 <= number <= limit:
        raise ValueError("out of range")
    return number


def parse_entry(entry: str) -> Attachment:
    """Parse one entry (already decoded, without its ``\\a``); ValueError if malformed."""
    entry = entry.strip("\0")
    if entry.startswith(":"):
        entry = entry[1:]
    id_text, sep, rest = entry.partition(":")
    if not sep or not id_text.isdigit() or len(id_text) > 19:
        raise ValueError("bad file id")
    file_id = int(id_text)
    if file_id > _MAX_ID:
        raise ValueError("file id out of range")
    fields = _split_escaped(rest)
    while fields and fields[-1] == "":
        fields.pop()
    if len(fields) < 3:
        raise ValueError("too few fields")
    name = fields[0]
    if not name or len(name) > _MAX_NAME_CHARS:
        raise ValueError("bad name")
    size = _hex(fields[1], _MAX_SIZE)
    mtime = _hex(fields[2], _MAX_SIZE)
    attr = _hex(fields[3], 0xFFFFFFFF) if len(fields) > 3 and fields[3] else FileType.REGULAR
    ext: list[tuple[int, int]] = []
    for item in fields[4:]:
        key, eq, value = item.partition("=")
        if not eq:
            continue
        try:  # values may be comma lists (ACL); keep the first number, skip oddities
            ext.append((_hex(key, 0xFFFFFFFF), _hex(value.split(",")[0], _MAX_SIZE)))
        except ValueError:
            continue
    return Attachment(file_id, name, size, mtime, attr, tuple(ext))


def parse_attachments(raw: bytes, codec: str) -> tuple[list[Attachment], int]:
    """All well-formed entries, and how many malformed ones were skipped."""
    text = wire_text.decode(raw, codec)
    attachments: list[Attachment] = []
    bad = 0
    for entry in text.split("\a")[:_MAX_ENTRIES]:
        if not entry.strip(":\0"):
            continue
        try:
            attachments.append(parse_entry(entry))
        except ValueError:
            bad += 1
    return attachments, bad


# What a ``:`` in a name becomes: the protocol's escape, or for iptux an underscore. iptux
# 0.8.3 reads the size and type fields *before* it folds "::" back, so to it a name with a
# colon shifts every field after it, and it drops that attachment and all that follow.
ESCAPED_COLON = "::"
COLON_FOR_IPTUX = "_"


def format_entry(attachment: Attachment, colon: str = ESCAPED_COLON) -> str:
    name = attachment.name.replace(":", colon)
    text = (
        f"{attachment.file_id}:{name}:{attachment.size:x}:{attachment.mtime:x}:{attachment.attr:x}:"
    )
    for key, value in attachment.ext:
        text += f"{key:x}={value:x}:"
    return text


def format_attachments(
    attachments: list[Attachment], codec: str, colon: str = ESCAPED_COLON
) -> bytes:
    """Windows style: every entry ends with ``:\\a``."""
    return wire_text.encode("".join(format_entry(a, colon) + "\a" for a in attachments), codec)


def ext_value(attachment: Attachment, key: FileExtAttr) -> int | None:
    for k, v in attachment.ext:
        if k == key:
            return v
    return None
