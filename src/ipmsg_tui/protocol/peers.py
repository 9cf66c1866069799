"""Who is online: peers keyed by (ip, port), with a cap and least-recently-seen eviction."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from .constants import EntryOpt

Addr = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Peer:
    addr: Addr
    user: str
    host: str
    nick: str = ""
    group: str = ""
    away: bool = False
    away_text: str = ""
    version: str = "1"  # the raw version field: names the client family
    capabilities: int = 0  # the option bits of its last entry packet, DIALUPOPT aside
    dialup: bool = False  # it asked for presence packets by unicast (DIALUPOPT)
    last_seen: float = 0.0
    announced: bool = False  # False for a sender we only know from a message
    # Heard from more than once (or answering us): a spoofed source rarely manages that.
    confirmed: bool = False
    codec: str = ""  # the code page its unmarked packets were last seen in
    iptux_encoding: str | None = None
    encoding_override: str | None = None

    @property
    def ip(self) -> str:
        return self.addr[0]

    @property
    def port(self) -> int:
        return self.addr[1]

    @property
    def key(self) -> str:
        """Stable identity across address changes: ``user@host``."""
        return f"{self.user}@{self.host}"

    @property
    def name(self) -> str:
        return self.nick or self.user or self.ip

    @property
    def is_iptux(self) -> bool:
        return "iptux" in self.version.lower()

    @property
    def is_feiq(self) -> bool:
        return "_lbt" in self.version.lower()

    @property
    def speaks_utf8(self) -> bool:
        return bool(self.capabilities & _UTF8_BITS)

    @property
    def can_attach(self) -> bool:
        return bool(self.capabilities & _FILEATTACH) or not self.announced


def heard_from(peer: Peer, now: float) -> Peer:
    """``replace(peer, last_seen=now, confirmed=True)``, at a third of its cost: every
    datagram a peer sends comes here, and ``dataclasses.replace`` copies field by field."""
    return Peer(
        addr=peer.addr,
        user=peer.user,
        host=peer.host,
        nick=peer.nick,
        group=peer.group,
        away=peer.away,
        away_text=peer.away_text,
        version=peer.version,
        capabilities=peer.capabilities,
        dialup=peer.dialup,
        last_seen=now,
        announced=peer.announced,
        confirmed=True,
        codec=peer.codec,
        iptux_encoding=peer.iptux_encoding,
        encoding_override=peer.encoding_override,
    )


_EVICTION_SCAN = 256
# Plain ints: IntFlag arithmetic is slow, and these are asked for every datagram we send.
_UTF8_BITS = int(EntryOpt.CAPUTF8OPT | EntryOpt.UTF8OPT)
_FILEATTACH = int(EntryOpt.FILEATTACHOPT)


class PeerTable:
    """A bounded map addr -> Peer.

    When full, the least recently seen *unconfirmed* peer makes room, so a flood of entries
    from spoofed addresses churns among itself instead of pushing out real peers.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._peers: OrderedDict[Addr, Peer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._peers)

    def __contains__(self, addr: object) -> bool:
        return addr in self._peers

    def __iter__(self) -> Iterator[Peer]:
        return iter(list(self._peers.values()))

    def get(self, addr: Addr) -> Peer | None:
        return self._peers.get(addr)

    def put(self, peer: Peer) -> Peer | None:
        """Insert or replace; returns a peer evicted to make room, if any."""
        self._peers[peer.addr] = peer
        self._peers.move_to_end(peer.addr)
        if len(self._peers) <= self.limit:
            return None
        victim = next(iter(self._peers))  # least recently seen
        for _, candidate in zip(range(_EVICTION_SCAN), self._peers.values(), strict=False):
            if not candidate.confirmed and candidate.addr != peer.addr:
                victim = candidate.addr
                break
        return self._peers.pop(victim)

    def touch(self, addr: Addr, now: float) -> Peer | None:
        peer = self._peers.get(addr)
        if peer is not None and (peer.last_seen != now or not peer.confirmed):
            peer = heard_from(peer, now)
            self._peers[addr] = peer
            self._peers.move_to_end(addr)
        return peer

    def remove(self, addr: Addr) -> Peer | None:
        return self._peers.pop(addr, None)

    def find(self, name: str) -> list[Peer]:
        """Peers whose nick, user or ``user@host`` equals ``name`` (case-insensitive)."""
        wanted = name.casefold()
        return [
            p
            for p in self._peers.values()
            if wanted in (p.nick.casefold(), p.user.casefold(), p.key.casefold())
        ]
