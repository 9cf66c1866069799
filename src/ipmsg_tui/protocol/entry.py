"""The extension of BR_ENTRY / ANSENTRY / BR_ABSENCE / BR_EXIT packets.

Three shapes are in use:

* classic: ``nick\\0group\\0``
* IP Messenger for Windows v3+:
  ``nick\\0group\\0\\nUN:user\\nHN:host\\nNN:nick\\nGN:group\\nVS:ver``,
  nick/group in the legacy code page and the trailer in UTF-8 (the trailer wins);
* iptux: ``nick\\0group\\0icon\\0encoding\\0``.

We write the classic fields in the legacy code page plus the Windows UTF-8 trailer: FeiQ reads
GBK, Windows reads the trailer, and iptux takes the trailer for an unknown icon name.

But iptux picks a peer's code page by decoding the *whole* entry packet: as UTF-8, else with
each of its candidates (GB18030, then UTF-16; a GBK-only iptux tries GBK) until one takes all
of it. A UTF-8 trailer after GBK names rarely reads as GBK or GB18030, so iptux settles on
UTF-16 and garbles every name and message it exchanges with us (or shows raw bytes). Towards
GB code pages the trailer therefore goes out only when the whole extension still reads as
UTF-8, or as both GBK and GB18030; Chinese Windows reads the GBK names all the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import text as wire_text
from .codepages import entry_codec, tells_codec
from .constants import EntryOpt
from .packet import Packet, join_parts


@dataclass(frozen=True, slots=True)
class EntryInfo:
    nick: str = ""
    group: str = ""
    # From the Windows UTF-8 trailer, when present.
    user: str | None = None
    host: str | None = None
    windows_version: str | None = None
    # From the iptux extension, when present.
    iptux_encoding: str | None = None


def _parse_trailer(block: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.split(b"\n"):
        key, sep, value = line.partition(b":")
        if sep and len(key) == 2 and key.isalpha():
            fields[key.decode("ascii").upper()] = wire_text.decode(value, wire_text.UTF8)
    return fields


def parse_entry(parts: list[bytes], codec: str) -> EntryInfo:
    """Read nick, group and the optional trailers; ``codec`` decodes the classic fields."""
    nick_raw = parts[0] if parts else b""
    group_raw = b""
    trailer: bytes | None = None
    iptux_encoding: str | None = None
    if len(parts) > 1:
        # If part1 itself starts with "\n" it is the trailer and there is no group.
        if parts[1].startswith(b"\n"):
            trailer = parts[1]
        else:
            group_raw = parts[1]
            if len(parts) > 2 and parts[2].startswith(b"\n"):
                trailer = parts[2]
            elif len(parts) > 3 and parts[3]:
                iptux_encoding = wire_text.decode(parts[3][:32], "ascii").strip() or None
    nick = wire_text.decode(nick_raw, codec)
    group = wire_text.decode(group_raw, codec)
    user = host = version = None
    if trailer is not None:
        fields = _parse_trailer(trailer)
        nick = fields.get("NN", nick)
        group = fields.get("GN", group)
        user = fields.get("UN")
        host = fields.get("HN")
        version = fields.get("VS")
    return EntryInfo(
        nick=wire_text.clean_name(nick),
        group=wire_text.clean_name(group),
        user=wire_text.clean_name(user) if user else None,
        host=wire_text.clean_name(host) if host else None,
        windows_version=wire_text.clean_name(version) if version else None,
        iptux_encoding=iptux_encoding,
    )


_GB_CODECS = frozenset({"gb18030", "gbk", "gb2312"})


def build_entry(nick: str, group: str, user: str, host: str, legacy_codec: str) -> bytes:
    """Our entry extension: legacy-coded nick and group, then the UTF-8 trailer if iptux
    can still read the whole of it."""
    names = (wire_text.encode(nick, legacy_codec), wire_text.encode(group, legacy_codec))
    trailer = f"\nUN:{user}\nHN:{host}\nNN:{nick}\nGN:{group}".encode(wire_text.UTF8)
    with_trailer = join_parts(*names, trailer)
    if legacy_codec in _GB_CODECS and not _iptux_reads_whole(with_trailer):
        return join_parts(*names)
    return with_trailer


def _iptux_reads_whole(extension: bytes) -> bool:
    if wire_text.is_utf8(extension):
        return True
    try:
        extension.decode("gbk")
        extension.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def version_text(packet: Packet) -> str:
    """The version field as shown to users (it names the client family: "1_iptux 0.8.3")."""
    return wire_text.clean_name(packet.version_raw.decode("latin-1"), 64)


@dataclass(frozen=True, slots=True)
class EntryFields:
    """The sender's identity as one entry packet's content gives it."""

    user: str
    host: str
    nick: str
    group: str
    version: str
    from_iptux: bool
    iptux_encoding: str | None
    codec: str  # the code page its names were read in
    codec_seen: bool  # False when they were plain ASCII: that says nothing of its code page


_EntryKey = tuple[bytes, bytes, bytes, bytes, bool, str | None]


class EntryDecoder:
    """What entry packets say about their senders, decoded once per distinct content.

    Peers repeat the same entry (a BR_ENTRY per broadcast address, then the ANSENTRY,
    re-announcements every few minutes), and decoding and cleaning names is most of the
    cost of a presence storm.
    """

    def __init__(self, legacy_codec: str, cache_size: int) -> None:
        self.legacy_codec = legacy_codec
        self.cache_size = cache_size
        self._cache: dict[_EntryKey, EntryFields] = {}

    def decode(self, packet: Packet, override: str | None) -> EntryFields:
        """``override``: the code page the user set for this peer, if any."""
        utf8 = packet.has(EntryOpt.UTF8OPT)
        key = (packet.version_raw, packet.user, packet.host, packet.extension, utf8, override)
        fields = self._cache.get(key)
        if fields is None:
            fields = self._decode(packet, override)
            if len(self._cache) >= self.cache_size:
                self._cache.clear()
            self._cache[key] = fields
        return fields

    def _decode(self, packet: Packet, override: str | None) -> EntryFields:
        codec = entry_codec(packet, override, self.legacy_codec)
        info = parse_entry(packet.parts(), codec)
        version = version_text(packet)
        return EntryFields(
            user=info.user or wire_text.clean_name(wire_text.decode(packet.user, codec)),
            host=info.host or wire_text.clean_name(wire_text.decode(packet.host, codec)),
            nick=info.nick,
            group=info.group,
            version=version,
            from_iptux="iptux" in version.lower(),
            iptux_encoding=info.iptux_encoding,
            codec=codec,
            codec_seen=tells_codec(packet),
        )
