"""gettext catalogs without GNU gettext: read a ``.po`` file, write its ``.mo``.

Used by the build (``setup.py`` compiles every ``.po`` into the package) and, in a source
checkout whose ``.po`` is newer than its ``.mo``, by :mod:`ipmsg_tui.i18n` at run time.
Standard library only: ``setup.py`` loads this file by path, before anything is installed.
"""

from __future__ import annotations

import ast
import struct
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.msgstr) and all(self.msgstr)


def _unquote(text: str) -> str:
    value = ast.literal_eval(text)
    if not isinstance(value, str):
        raise ValueError(f"not a string: {text}")
    return value


def parse_po(text: str) -> list[Entry]:
    """The entries of a ``.po`` file, the header (msgid "") included."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which field a continuation line extends
    fuzzy = False

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            if not line:
                finish()
                target = None
            continue
        try:
            if line.startswith("msgid_plural "):
                assert current is not None
                current.msgid_plural = _unquote(line[13:])
                target = ("plural", 0)
            elif line.startswith("msgid "):
                finish()
                current = Entry(_unquote(line[6:]), fuzzy=fuzzy)
                fuzzy = False
                target = ("msgid", 0)
            elif line.startswith("msgstr["):
                assert current is not None
                index_text, _, rest = line[7:].partition("]")
                index = int(index_text)
                while len(current.msgstr) <= index:
                    current.msgstr.append("")
                current.msgstr[index] = _unquote(rest.strip())
                target = ("msgstr", index)
            elif line.startswith("msgstr "):
                assert current is not None
                current.msgstr = [_unquote(line[7:])]
                target = ("msgstr", 0)
            elif line.startswith('"'):
                assert current is not None and target is not None
                more = _unquote(line)
                kind, index = target
                if kind == "msgid":
                    current.msgid += more
                elif kind == "plural":
                    current.msgid_plural = (current.msgid_plural or "") + more
                else:
                    current.msgstr[index] += more
            else:
                raise ValueError(line)
        except (AssertionError, ValueError, SyntaxError) as error:
            raise ValueError(f"line {number}: cannot read {raw!r} ({error})") from None
    finish()
    return entries


def compile_mo(entries: list[Entry]) -> bytes:
    """The GNU ``.mo`` bytes of the translated entries (untranslated ones fall back)."""
    pairs: dict[bytes, bytes] = {}
    for entry in entries:
        if not entry.translated and entry.msgid:
            continue
        msgid = entry.msgid
        if entry.msgid_plural is not None:
            msgid += "\0" + entry.msgid_plural
        pairs[msgid.encode()] = "\0".join(entry.msgstr).encode()
    keys = sorted(pairs)
    ids = b"".join(k + b"\0" for k in keys)
    strs = b"".join(pairs[k] + b"\0" for k in keys)
    count = len(keys)
    header_size = 7 * 4
    ids_start = header_size + count * 16
    strs_start = ids_start + len(ids)
    offsets: list[int] = []
    position = 0
    for key in keys:
        offsets += [len(key), ids_start + position]
        position += len(key) + 1
    position = 0
    for key in keys:
        value = pairs[key]
        offsets += [len(value), strs_start + position]
        position += len(value) + 1
    header = struct.pack("<7I", 0x950412DE, 0, count, header_size, header_size + count * 8, 0, 0)
    table = struct.pack(f"<{len(offsets)}I", *offsets)
    return header + table + ids + strs


def compile_file(po_path: Path, mo_path: Path) -> None:
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    mo_path.write_bytes(compile_mo(parse_po(po_path.read_text(encoding="utf-8"))))
