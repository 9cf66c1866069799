"""Parse and format the IPMSG datagram ``Ver:PacketNo:User:Host:Command:Extension``.

Fields stay as bytes here: which code page they are in is only known once the sender's
capabilities and the packet's UTF8OPT bit are looked at (see :mod:`.text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .constants import MAX_DATAGRAM, get_mode, get_options

_MAX_NUMBER_DIGITS = 20
_U32 = 0xFFFFFFFF


class ParseError(ValueError):
    """The datagram is not a classic IPMSG packet; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IPDictPacket(ParseError):
    """An IP Messenger v4.5+ ``IP2:`` packet: always encrypted and signed, not supported."""

    def __init__(self) -> None:
        super().__init__("IPDict (IP2:) packet")


@dataclass(frozen=True, slots=True)
class Packet:
    version: int
    version_raw: bytes
    packet_no: int
    user: bytes
    host: bytes
    command: int
    extension: bytes = b""
    # The command's mode, asked for several times per datagram: worked out once.
    mode: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", get_mode(self.command))

    @property
    def options(self) -> int:
        return get_options(self.command)

    def has(self, option: int) -> bool:
        # int.__and__ directly: "int & IntFlag" would dispatch to the (slow) enum operator.
        return int.__and__(self.command, option) != 0

    def parts(self) -> list[bytes]:
        """The ``\\0``-separated extension parts, without trailing empty ones.

        Windows leaves the last part unterminated and pads its last retransmissions with
        64 NULs; iptux terminates every part. Both come out the same here.
        """
        return split_parts(self.extension)


def split_parts(extension: bytes) -> list[bytes]:
    parts = extension.split(b"\0")
    while parts and not parts[-1]:
        parts.pop()
    return parts


def _leading_int(field: bytes) -> int | None:
    digits = 0
    while digits < len(field) and 0x30 <= field[digits] <= 0x39:
        digits += 1
    if digits == 0 or digits > _MAX_NUMBER_DIGITS:
        return None
    return int(field[:digits])


def _number(field: bytes, name: str, limit: int) -> int:
    if not field or len(field) > _MAX_NUMBER_DIGITS or not field.isdigit():
        raise ParseError(f"bad {name} field")
    value = int(field)
    if value > limit:
        raise ParseError(f"{name} out of range")
    return value


def parse_packet(data: bytes) -> Packet:
    """Parse one datagram, or raise :class:`ParseError` (never anything else)."""
    if len(data) > MAX_DATAGRAM:
        raise ParseError("oversized datagram")
    if data.startswith(b"IP2:"):
        raise IPDictPacket()
    fields = data.split(b":", 5)
    if len(fields) < 5:
        raise ParseError("too few fields")
    version_raw, packet_no, user, host, command = fields[:5]
    extension = fields[5] if len(fields) == 6 else b""
    # Only the leading digits are the version: "1_iptux 0.8.3", "1_lbt4_10#..." are version 1.
    version = _leading_int(version_raw)
    if version is None:
        raise ParseError("bad version field")
    return Packet(
        version=version,
        version_raw=version_raw,
        packet_no=_number(packet_no.strip(), "packet number", (1 << 64) - 1),
        user=user,
        host=host,
        command=_number(command.strip(), "command", _U32),
        extension=extension,
    )


def format_packet(
    version_raw: bytes, packet_no: int, user: bytes, host: bytes, command: int, extension: bytes
) -> bytes:
    """Build a datagram; user and host must already be free of ``:``."""
    return b"%s:%d:%s:%s:%d:%s" % (version_raw, packet_no, user, host, command & _U32, extension)


def join_parts(*parts: bytes, terminate: bool = True) -> bytes:
    """``part0\\0part1\\0...``; NUL-terminated like iptux does, unless told otherwise."""
    body = b"\0".join(parts)
    return body + b"\0" if terminate else body
