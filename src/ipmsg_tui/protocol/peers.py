"""Who is online: peers keyed by (ip, port), with a cap and least-recently-seen eviction.

A peer's identity (its conversation) is ``user@host``: it survives a change of address.
Two machines may share it (cloned PCs, one account on two laptops): while one holds the
plain ``user@host``, a second at another address is a *twin*, known as
``user@host (ip:port)`` for as long as it stays there.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from .constants import DEFAULT_PORT, EntryOpt

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
    # Shares user@host with another peer: its identity names its address too.
    twin: bool = False

    @property
    def ip(self) -> str:
        return self.addr[0]

    @property
    def port(self) -> int:
        return self.addr[1]

    @property
    def base_key(self) -> str:
        """``user@host``, which twins share."""
        return f"{self.user}@{self.host}"

    @property
    def key(self) -> str:
        """Stable identity across address changes: ``user@host``; a twin's names its address."""
        return twin_key(self.base_key, self.addr) if self.twin else self.base_key

    @property
    def name(self) -> str:
        name = self.nick or self.user or self.ip
        return f"{name} ({where(self.addr)})" if self.twin else name

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
        twin=peer.twin,
    )


_TWIN_KEY = re.compile(r"(?P<base>.+) \((?P<ip>[0-9.]+):(?P<port>[0-9]+)\)")


def where(addr: Addr) -> str:
    """An address as people read it: the port only when it is not IPMSG's usual one."""
    return addr[0] if addr[1] == DEFAULT_PORT else f"{addr[0]}:{addr[1]}"


def twin_key(base_key: str, addr: Addr) -> str:
    return f"{base_key} ({addr[0]}:{addr[1]})"


def split_key(key: str) -> tuple[str, Addr | None]:
    """``user@host`` and, for a twin's key, the address it names."""
    match = _TWIN_KEY.fullmatch(key)
    if match is None:
        return key, None
    return match["base"], (match["ip"], int(match["port"]))


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
        # user@host -> the address holding the plain identity.
        self._holders: dict[str, Addr] = {}
        # Twin identities from the history: such a peer back at its address stays a twin,
        # so whichever of two namesakes comes first, each finds its own conversation.
        self._known_twins: set[str] = set()

    def remember_twins(self, keys: Iterable[str]) -> None:
        self._known_twins.update(k for k in keys if split_key(k)[1] is not None)

    def __len__(self) -> int:
        return len(self._peers)

    def __contains__(self, addr: object) -> bool:
        return addr in self._peers

    def __iter__(self) -> Iterator[Peer]:
        return iter(list(self._peers.values()))

    def get(self, addr: Addr) -> Peer | None:
        return self._peers.get(addr)

    def put(self, peer: Peer) -> Peer | None:
        """Insert or replace; returns a peer evicted to make room, if any.

        What is stored (and what :meth:`get` returns) has its ``twin`` flag decided here.
        """
        previous = self._peers.get(peer.addr)
        if previous is not None and (previous.user, previous.host) != (peer.user, peer.host):
            self._release(previous)  # another login or host name at this address
            previous = None
        if previous is not None:  # as it was: a peer that is no twin holds its identity
            twin = previous.twin
        else:
            base_key = peer.base_key
            twin = self._is_twin(base_key, peer.addr)
            if not twin:
                self._holders[base_key] = peer.addr
        if twin != peer.twin:
            peer = replace(peer, twin=twin)
        self._peers[peer.addr] = peer
        self._peers.move_to_end(peer.addr)
        if len(self._peers) <= self.limit:
            return None
        victim = next(iter(self._peers))  # least recently seen
        for _, candidate in zip(range(_EVICTION_SCAN), self._peers.values(), strict=False):
            if not candidate.confirmed and candidate.addr != peer.addr:
                victim = candidate.addr
                break
        return self.remove(victim)

    def _is_twin(self, base_key: str, addr: Addr) -> bool:
        """A newcomer is a twin while another address holds its ``user@host``."""
        if self._known_twins and twin_key(base_key, addr) in self._known_twins:
            return True
        holder = self._holders.get(base_key)
        return holder is not None and holder != addr

    def _release(self, peer: Peer) -> None:
        if self._holders.get(peer.base_key) == peer.addr:
            del self._holders[peer.base_key]

    def touch(self, addr: Addr, now: float) -> Peer | None:
        peer = self._peers.get(addr)
        if peer is not None and (peer.last_seen != now or not peer.confirmed):
            peer = heard_from(peer, now)
            self._peers[addr] = peer
            self._peers.move_to_end(addr)
        return peer

    def remove(self, addr: Addr) -> Peer | None:
        peer = self._peers.pop(addr, None)
        if peer is not None:
            self._release(peer)
        return peer

    def find(self, name: str) -> list[Peer]:
        """Peers whose nick, user, ``user@host`` or identity equals ``name``
        (case-insensitive): twins all answer to their shared ``user@host``, and
        ``user@host (ip:port)`` names the one there, twin or not here (hosts hear
        namesakes in their own order)."""
        wanted = name.casefold()
        base, addr = split_key(name)
        if addr is not None:
            peer = self._peers.get(addr)
            return (
                [peer] if peer is not None and peer.base_key.casefold() == base.casefold() else []
            )
        return [
            p
            for p in self._peers.values()
            if wanted
            in (p.nick.casefold(), p.user.casefold(), p.base_key.casefold(), p.key.casefold())
        ]
