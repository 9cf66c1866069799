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


def incoming_codec(packet: Packet, peer: Peer | None, legacy: str, entry: bool = False) -> str:
    if packet.has(EntryOpt.UTF8OPT):
        return wire_text.UTF8
    if peer is not None and peer.encoding_override:
        return peer.encoding_override
    body = _legacy_fields(packet) if entry else packet.extension
    return wire_text.detect_codec(packet.user + packet.host + body, legacy)


def observed_codec(packet: Packet, peer: Peer | None, codec: str) -> str:
    """The code page last seen in a packet from the peer that had non-ASCII text."""
    if _legacy_fields(packet).isascii() and not packet.has(EntryOpt.UTF8OPT):
        return peer.codec if peer is not None else ""
    return codec


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
