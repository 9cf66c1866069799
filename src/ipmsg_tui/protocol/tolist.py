"""The other recipients of a message sent to several peers, as IP Messenger for Windows
names them: inside the encrypted body (ENCEXTMSGOPT), after the text and the attachment
list, each NUL-terminated, ``TO:user1:host1\\auser2:host2\\a`` (its "宛先拡張").

A peer's list is only a claim of the sender's; a list that is not one (another prefix, too
long, a field that is empty, too long or holds controls) is dropped whole, and the message
is shown without it.
"""

from __future__ import annotations

from . import text as wire_text

PREFIX = b"TO:"
SEPARATOR = b"\a"
# Windows' own buffer for the list (MAX_ULISTBUF); it names at most 30 recipients.
MAX_LIST_BYTES = 3072
MAX_NAMES = 100
MAX_FIELD_BYTES = 127  # a user or host name (Windows' MAX_NAMEBUF)

Identity = tuple[str, str]  # (user, host)


def inner_list(plaintext: bytes) -> bytes | None:
    """The bytes after the text and the attachment list of a decrypted body, or None."""
    _text, nul, rest = plaintext.partition(b"\0")
    _files, nul2, rest = rest.partition(b"\0")
    if not (nul and nul2):
        return None
    listed, _nul, _tail = rest.partition(b"\0")
    return listed or None


def parse_to_list(raw: bytes, codec: str) -> tuple[Identity, ...] | None:
    """The (user, host) pairs of a TO: list, in order, each once; None if it is not one."""
    if len(raw) > MAX_LIST_BYTES or not raw.startswith(PREFIX):
        return None
    found: dict[Identity, None] = {}
    for entry in raw[len(PREFIX) :].split(SEPARATOR):
        if not entry:
            continue  # Windows ends every entry with the separator
        fields = entry.split(b":")
        if len(fields) != 2 or len(found) >= MAX_NAMES:
            return None
        names = [_field(f, codec) for f in fields]
        if names[0] is None or names[1] is None:
            return None
        found[(names[0], names[1])] = None
    return tuple(found)


def _field(raw: bytes, codec: str) -> str | None:
    if not raw or len(raw) > MAX_FIELD_BYTES:
        return None
    name = wire_text.decode(raw, codec)
    if name != wire_text.clean_name(name, MAX_FIELD_BYTES) or "\ufffd" in name:
        return None  # controls, escapes, bidi tricks, spaces around it, or not text at all
    return name


def others_named(
    listed: tuple[Identity, ...], ours: Identity, sender: Identity
) -> tuple[Identity, ...]:
    """The list without us and without the sender (as Windows shows it)."""
    return tuple(who for who in listed if who not in (ours, sender))
