"""Which code page a peer's packets are in, and which we write to it in.

UTF8OPT marks a UTF-8 packet. Otherwise a user's override for that peer wins; failing that,
the bytes decide: valid UTF-8 is UTF-8 (iptux sends it unmarked), anything else is the
legacy code page. We write UTF-8 only to peers that said they read it.
"""

from __future__ import annotations

from . import text as wire_text
from .constants import EntryOpt
from .packet import Packet
from .peers import Peer


def _legacy_fields(packet: Packet) -> bytes:
    # The Windows trailer (a part starting with "\n") is UTF-8 whatever the rest is in.
    return b"".join(p for p in packet.parts() if not p.startswith(b"\n"))


def incoming_codec(packet: Packet, peer: Peer | None, legacy: str) -> str:
    """The code page of a packet from ``peer`` (None: a stranger)."""
    if packet.has(EntryOpt.UTF8OPT):
        return wire_text.UTF8
    if peer is not None and peer.encoding_override:
        return peer.encoding_override
    return wire_text.detect_codec(packet.user + packet.host + packet.extension, legacy)


def entry_codec(packet: Packet, override: str | None, legacy: str) -> str:
    """The code page of an entry packet's names (the UTF-8 trailer aside)."""
    if packet.has(EntryOpt.UTF8OPT):
        return wire_text.UTF8
    if override:
        return override
    return wire_text.detect_codec(packet.user + packet.host + _legacy_fields(packet), legacy)


def tells_codec(packet: Packet) -> bool:
    """Whether an entry packet shows its sender's code page (plain ASCII names do not)."""
    return packet.has(EntryOpt.UTF8OPT) or not _legacy_fields(packet).isascii()


def outgoing_codec(peer: Peer | None, legacy: str) -> tuple[str, bool]:
    """The code page we write to ``peer`` in, and whether to mark packets UTF8OPT.

    UTF-8 only to peers that said they read it; the legacy code page (GB18030 by default,
    which iptux and FeiQ read) to everyone else, unless the user overrides it.
    """
    if peer is not None and peer.encoding_override:
        override = peer.encoding_override
        return override, override == wire_text.UTF8 and peer.speaks_utf8
    if peer is not None and peer.speaks_utf8:
        return wire_text.UTF8, True
    return legacy, False
