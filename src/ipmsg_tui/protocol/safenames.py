"""File names from the network, made safe to create inside a chosen folder.

A name in an attachment list or a folder stream is one path *component*. Whatever it holds
(``..``, ``/etc/passwd``, ``C:\\x``, ``..\\..\\x``, NUL, control characters, look-alikes of
``/`` that some file systems or tools fold into a real slash), the cleaned name is a single
component that cannot leave the folder it is created in. Pure functions: no file system.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

# Characters that are, or render as, a path separator. NFKC folds the fullwidth and small
# forms into "/" or "\"; the others look like a slash on screen and must not fool a user.
_SEPARATOR_LOOKALIKES = frozenset(
    "/\\"
    "\u2215"  # DIVISION SLASH
    "\u2044"  # FRACTION SLASH
    "\uff0f"  # FULLWIDTH SOLIDUS
    "\u29f8"  # BIG SOLIDUS
    "\u2216"  # SET MINUS
    "\u29f5"  # REVERSE SOLIDUS OPERATOR
    "\u29f9"  # BIG REVERSE SOLIDUS
    "\ufe68"  # SMALL REVERSE SOLIDUS
    "\uff3c"  # FULLWIDTH REVERSE SOLIDUS
    "\u1735"  # PHILIPPINE SINGLE PUNCTUATION
    "\u2cfa"  # COPTIC OLD NUBIAN DIRECT QUESTION MARK (a slash-like glyph)
)
# Bidi controls can make "gpj.exe" display as "exe.jpg".
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Names Windows refuses or treats as devices, whatever the extension; harmless elsewhere,
# but a folder received here may be copied there.
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)
REPLACEMENT = "_"
UNNAMED = "unnamed"
# Most file systems allow 255 bytes per component; keep room for " (99)" and ".part".
MAX_COMPONENT_BYTES = 200


def _replacement_for(ch: str) -> str | None:
    """What ``ch`` becomes: None to keep it, "" to drop it, or a replacement."""
    if ch in _SEPARATOR_LOOKALIKES:
        return REPLACEMENT
    if ch in _BIDI:
        return ""
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"):  # controls (NUL too), line breaks
        return ""
    if category == "Cf" and ch not in "\u200c\u200d":  # keep ZWJ/ZWNJ (emoji, Indic)
        return ""
    if not ch.isascii() and any(c in "/\\" for c in unicodedata.normalize("NFKC", ch)):
        return REPLACEMENT
    return None


def _keeps_every_character(name: str) -> bool:
    """True when :func:`_replacement_for` would keep every character of ``name``.

    Printable text has no control, format, private-use, unassigned or line-break character;
    what is left to catch are slashes and what looks or folds like one. Most names end
    here, and a folder of 10,000 files checks each name several times.
    """
    if not name.isprintable() or not _SEPARATOR_LOOKALIKES.isdisjoint(name):
        return False
    if name.isascii():
        return True
    folded = unicodedata.normalize("NFKC", name)
    return "/" not in folded and "\\" not in folded


def _replace_characters(name: str) -> str:
    out: list[str] = []
    for ch in name:
        replacement = _replacement_for(ch)
        out.append(ch if replacement is None else replacement)
    return "".join(out)


def clean_component(name: str) -> str:
    """One safe, non-empty path component made from ``name``."""
    cleaned = name if _keeps_every_character(name) else _replace_characters(name)
    cleaned = cleaned.strip()
    # Windows drops trailing dots and spaces, which would turn "x.." into "x".
    cleaned = cleaned.rstrip(". ").rstrip()
    if not cleaned.strip("."):  # "", ".", "..": never a name that means "here" or "up"
        cleaned = UNNAMED
    stem = cleaned.split(".", 1)[0].rstrip(" ").upper()
    if stem in _RESERVED:
        cleaned = REPLACEMENT + cleaned
    return _truncate(cleaned, MAX_COMPONENT_BYTES)


def _truncate(name: str, limit: int) -> str:
    """Cut a too-long name in the middle of its stem, keeping a short extension."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    tail = f".{ext}" if ext else ""
    budget = limit - len(tail.encode("utf-8"))
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return stem + tail


def split_extension(name: str) -> tuple[str, str]:
    """``("report", ".pdf")``; a leading dot is part of the stem (".bashrc" has none)."""
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:]


def numbered(name: str, number: int) -> str:
    """``name (number).ext``, the way file managers (and iptux) avoid a clash."""
    if number == 0:
        return name
    stem, ext = split_extension(name)
    return f"{stem} ({number}){ext}"


def unique_name(
    name: str, taken: Callable[[str], bool], *, start: int = 0, limit: int = 10_000
) -> str:
    """The first of ``name``, ``name (1)``, ``name (2)`` ... for which ``taken`` is false."""
    for number in range(start, start + limit):
        candidate = numbered(name, number)
        if not taken(candidate):
            return candidate
    raise ValueError(f"no free name for {name!r}")


class SafeTree:
    """Safe relative paths for the entries of a folder stream, as they come.

    The top folder maps to ``()`` (the caller decides its name); every other entry gets a
    cleaned name, made unique within its folder (case-insensitively, for file systems that
    fold case), so a hostile stream can neither leave the tree nor overwrite its own files.
    """

    def __init__(self) -> None:
        # per open folder: its path, the names used in it, and where numbering resumes
        self._stack: list[tuple[tuple[str, ...], set[str], dict[str, int]]] = []

    @property
    def depth(self) -> int:
        return len(self._stack)

    def enter(self, name: str) -> tuple[str, ...]:
        """A folder begins: its path (``()`` for the top one)."""
        path = self._child(name) if self._stack else ()
        self._stack.append((path, set(), {}))
        return path

    def file(self, name: str) -> tuple[str, ...]:
        """A file in the current folder: its path."""
        if not self._stack:
            raise ValueError("a file outside any folder")
        return self._child(name)

    def leave(self) -> tuple[str, ...]:
        """The current folder ends: the path of the folder left."""
        if not self._stack:
            raise ValueError("leaving above the top folder")
        return self._stack.pop()[0]

    def _child(self, name: str) -> tuple[str, ...]:
        parent, used, next_number = self._stack[-1]
        base = clean_component(name)
        key = base.casefold()
        # Resume numbering where the last clash left off: a stream of many equal names
        # stays linear.
        chosen = unique_name(base, lambda n: n.casefold() in used, start=next_number.get(key, 0))
        used.add(chosen.casefold())
        next_number[key] = next_number.get(key, 0) + 1
        return (*parent, chosen)
