"""Text on the wire: code pages, detection and neutralising what reaches a screen.

A packet with UTF8OPT is UTF-8. Anything else is in the sender's legacy code page, which
the protocol does not name: GBK/GB18030 in China (FeiQ, most Chinese clients), CP932 in
Japan. iptux sends UTF-8 without saying so. So an unmarked packet is read as UTF-8 when its
bytes are valid UTF-8 and as the legacy code page otherwise; decoding never raises.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable

UTF8 = "utf-8"
DEFAULT_LEGACY_CODEC = "gb18030"


class UnknownCodec(ValueError):
    pass


def normalize_codec(name: str) -> str:
    """The canonical name of a codec Python knows, or :class:`UnknownCodec`."""
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise UnknownCodec(name) from None


def is_utf8(data: bytes) -> bool:
    try:
        data.decode(UTF8)
    except UnicodeDecodeError:
        return False
    return True


def detect_codec(data: bytes, legacy_codec: str) -> str:
    """UTF-8 if ``data`` is valid UTF-8 (ASCII included), else the legacy code page."""
    return UTF8 if data.isascii() or is_utf8(data) else legacy_codec


def decode(data: bytes, codec: str) -> str:
    return data.decode(codec, errors="replace")


def encode(text: str, codec: str) -> bytes:
    """Encode, replacing what the code page cannot hold (CP932 has no emoji) with ``?``."""
    return text.encode(codec, errors="replace")


def fits(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


# Bidi embeddings/overrides/isolates can make a nick display as someone else's or hide text.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_KEEP = frozenset("\n\t")
# ESC [ ... final byte, ESC ] ... BEL/ST and the like: drop whole sequences, not just ESC.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def _is_unsafe(ch: str) -> bool:
    if ch in _KEEP:
        return False
    if ch in _BIDI_CONTROLS:
        return True
    category = unicodedata.category(ch)
    # Cc: C0/C1 controls (ESC, BEL, CSI 0x9b ...); Cs: lone surrogates.
    return category in ("Cc", "Cs")


def clean_text(text: str) -> str:
    """Neutralise a message from the network: no terminal escapes, controls or bidi tricks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Printable text has no Cc, Cs or Cf character (so no ESC and no bidi control): there is
    # nothing to remove. Most names and messages, Chinese ones included, end here.
    if text.isprintable():
        return text
    return _remove_unsafe(text)


def _remove_unsafe(text: str) -> str:
    text = _ESCAPE_SEQUENCE.sub("", text)
    return "".join(ch for ch in text if not _is_unsafe(ch))


def clean_name(text: str, limit: int = 80) -> str:
    """A nick, group, user or host name: one line, no controls, bounded length."""
    cleaned = clean_text(text).replace("\n", " ").replace("\t", " ").strip()
    return cleaned[:limit]


def wire_name(text: str) -> str:
    """A user or host name we put in a header: ``:`` is the field separator."""
    return text.replace(":", ";").replace("\0", "")


def longest_prefix(text: str, measure: Callable[[str], int], limit: int) -> str:
    """The longest prefix of ``text`` (at least one character) with ``measure(prefix) <= limit``."""
    if measure(text) <= limit:
        return text
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return text[:low]


def truncate_encoded(text: str, codec: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose encoding fits in ``max_bytes``."""
    if len(encode(text, codec)) <= max_bytes:
        return text
    prefix = longest_prefix(text, lambda piece: len(encode(piece, codec)), max_bytes)
    return prefix if len(encode(prefix, codec)) <= max_bytes else ""


def split_to_fit(
    text: str, measure: Callable[[str], int], first_limit: int, limit: int
) -> list[str]:
    """Split ``text`` into pieces with ``measure(piece) <= limit`` (the first: ``first_limit``).

    Prefers to cut after a newline or a space in the second half of a piece.
    """
    if measure(text) <= first_limit:
        return [text]
    pieces: list[str] = []
    rest, budget = text, first_limit
    while rest:
        head = longest_prefix(rest, measure, budget)
        if len(head) < len(rest):
            cut = max(head.rfind("\n"), head.rfind(" "))
            if cut >= len(head) // 2:
                head = head[: cut + 1]
        pieces.append(head)
        rest = rest[len(head) :]
        budget = limit
    return pieces
