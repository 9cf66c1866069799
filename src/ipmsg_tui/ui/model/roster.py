"""Who is in the sidebar: online peers by group, then recent offline conversations.

A contact is a conversation partner keyed by ``user@host`` (addresses change). It is online
while at least one address announced it; one that leaves keeps its history, its unread
count and its place among the recent conversations. Two machines sharing ``user@host``
are two contacts: the second (a *twin*, see protocol/peers.py) is keyed by its address too,
and while namesakes are online each is listed with its address.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from ...i18n import N_, _
from ...protocol.peers import Addr, Peer, split_key, where
from ...store import EVERYONE, Conversation

EVERYONE_NAME = N_("Everyone")
NO_GROUP = N_("No group")
OFFLINE = N_("Offline")
# Offline conversations listed without a filter; the rest are found by filtering.
RECENT_OFFLINE = 50


@dataclass
class Contact:
    key: str
    nick: str = ""
    group: str = ""
    last_addr: Addr | None = None
    # Online addresses, the most recently heard last.
    online: dict[Addr, Peer] = field(default_factory=dict)
    unread: int = 0
    last_ts: float = 0.0
    # Twins online with the same user@host: then the address tells this one apart.
    namesakes: int = 0
    # Its key is not the pinned one and the user has not accepted it: warn wherever it shows.
    key_changed: bool = False

    @property
    def is_everyone(self) -> bool:
        return self.key == EVERYONE

    # A contact's key never changes: what is read from it is worked out once (the sidebar
    # asks for it of thousands of contacts on every rebuild).
    @cached_property
    def base_key(self) -> str:
        """``user@host``, shared by twins."""
        return split_key(self.key)[0]

    @cached_property
    def is_twin(self) -> bool:
        return split_key(self.key)[1] is not None

    @cached_property
    def user(self) -> str:
        return self.base_key.rpartition("@")[0]

    @cached_property
    def host(self) -> str:
        return self.base_key.rpartition("@")[2]

    @property
    def peer(self) -> Peer | None:
        """The announcement heard last, while online."""
        return next(reversed(self.online.values()), None)

    @property
    def is_online(self) -> bool:
        return self.is_everyone or bool(self.online)

    @property
    def away(self) -> bool:
        peer = self.peer
        return peer is not None and peer.away

    @property
    def away_text(self) -> str:
        peer = self.peer
        return peer.away_text if peer is not None else ""

    @property
    def addr(self) -> Addr | None:
        """Where a message goes: the current address, or the last one known."""
        peer = self.peer
        return peer.addr if peer is not None else self.last_addr

    @property
    def name(self) -> str:
        if self.is_everyone:
            return _(EVERYONE_NAME)
        if self.nick:
            return self.nick
        if self.user and self.user != "?":
            return self.user
        return self.addr[0] if self.addr else self.key

    @property
    def place(self) -> str:
        """Host name, or the address when the host says nothing; both for a twin or while a
        namesake is online (the host name alone would not tell them apart)."""
        addr = self.addr
        if not self.host or self.key.startswith("?@"):
            return addr[0] if addr else ""
        if addr and (self.is_twin or (self.namesakes and self.online)):
            return f"{self.host} {where(addr)}"
        return self.host

    def recipient(self) -> Peer | None:
        """The peer to write to: the online one, or a stand-in at the last known address
        (an offline peer may still be reachable; if not, the message shows undelivered)."""
        peer = self.peer
        if peer is not None or self.is_everyone or self.last_addr is None:
            return peer
        return Peer(
            self.last_addr,
            self.user,
            self.host,
            nick=self.nick,
            group=self.group,
            twin=self.is_twin,
        )

    def matches(self, needle: str) -> bool:
        if not needle:
            return True
        addr = self.addr
        haystack = (self.name, self.nick, self.group, self.key, addr[0] if addr else "")
        return any(needle in text.casefold() for text in haystack)


@dataclass(frozen=True, slots=True)
class Header:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Entry:
    contact: Contact


Row = Header | Entry


class Roster:
    def __init__(self) -> None:
        self.contacts: dict[str, Contact] = {EVERYONE: Contact(EVERYONE)}
        # user@host -> keys of its twins online (protocol/peers.py): their namesake lists
        # its address too.
        self._online_twins: dict[str, set[str]] = {}

    # ------------------------------------------------------------------ changes

    def load(self, conversations: Iterable[Conversation]) -> None:
        """Conversations from the history: offline until their peer announces itself."""
        for conversation in conversations:
            contact = self.contacts.setdefault(conversation.key, Contact(conversation.key))
            contact.nick = contact.nick or conversation.nick
            contact.group = contact.group or conversation.group
            if conversation.ip:
                contact.last_addr = contact.last_addr or (conversation.ip, conversation.port)
            contact.unread = conversation.unread
            contact.last_ts = max(contact.last_ts, conversation.last_ts)

    def peer_online(self, peer: Peer) -> Contact:
        contact = self.contacts.setdefault(peer.key, Contact(peer.key))
        contact.online.pop(peer.addr, None)
        contact.online[peer.addr] = peer
        contact.last_addr = peer.addr
        contact.nick = peer.nick or contact.nick
        contact.group = peer.group
        self._count_namesakes(contact)
        return contact

    def peer_offline(self, peer: Peer, open_key: str | None) -> Contact | None:
        """The contact that lost this address; forgotten if nothing else keeps it."""
        contact = self.contacts.get(peer.key)
        if contact is None or contact.online.pop(peer.addr, None) is None:
            return None
        if not contact.online and not self._worth_keeping(contact, open_key):
            del self.contacts[contact.key]
        self._count_namesakes(contact)
        return contact

    def _count_namesakes(self, contact: Contact) -> None:
        """Keep the plain ``user@host`` contact's count of online twins (O(1): a flood of
        entries passes here for every one)."""
        base = contact.base_key
        if contact.is_twin:
            twins = self._online_twins.setdefault(base, set())
            if contact.online:
                twins.add(contact.key)
            else:
                twins.discard(contact.key)
                if not twins:
                    del self._online_twins[base]
        plain = self.contacts.get(base)
        if plain is not None:
            plain.namesakes = len(self._online_twins.get(base, ()))

    def note_message(self, key: str, ts: float, *, unread: bool = False) -> Contact:
        contact = self.contacts.setdefault(key, Contact(key))
        contact.last_ts = max(contact.last_ts, ts)
        if unread:
            contact.unread += 1
        return contact

    def mark_read(self, key: str) -> None:
        contact = self.contacts.get(key)
        if contact is not None:
            contact.unread = 0

    def forget(self, key: str) -> None:
        """The conversation's history is gone: an online peer stays listed, without it."""
        contact = self.contacts.get(key)
        if contact is None or contact.is_everyone:
            return
        if contact.online:
            contact.unread, contact.last_ts = 0, 0.0
        else:
            del self.contacts[key]

    # ------------------------------------------------------------------ queries

    def get(self, key: str) -> Contact | None:
        return self.contacts.get(key)

    def by_addr(self, addr: Addr) -> Contact | None:
        """The contact online at ``addr``, or else the one last seen there."""
        contacts = list(self.contacts.values())
        online = next((c for c in contacts if addr in c.online), None)
        return online or next((c for c in contacts if c.last_addr == addr), None)

    @property
    def online_count(self) -> int:
        return sum(1 for c in self.contacts.values() if c.online)

    @property
    def anyone_online(self) -> bool:
        """Whether any peer is online: stops at the first, where a count visits thousands."""
        return any(c.online for c in self.contacts.values())

    @property
    def unread_total(self) -> int:
        return sum(c.unread for c in self.contacts.values())

    def rows(self, needle: str = "", open_key: str | None = None) -> list[Row]:
        """The sidebar, top to bottom, showing only contacts matching ``needle``."""
        needle = needle.strip().casefold()
        rows: list[Row] = []
        everyone = self.contacts[EVERYONE]
        if everyone.matches(needle):
            rows.append(Entry(everyone))
        online = sorted(
            (c for c in self.contacts.values() if c.online and c.matches(needle)),
            key=lambda c: (not c.group, c.group.casefold(), c.name.casefold(), c.key),
        )
        grouped = any(c.group for c in online)
        for group, members in itertools.groupby(online, key=lambda c: c.group):
            listed = list(members)
            if grouped:
                rows.append(Header(group or _(NO_GROUP), len(listed)))
            rows.extend(Entry(c) for c in listed)
        offline = sorted(
            (
                c
                for c in self.contacts.values()
                if not c.is_online and self._worth_keeping(c, open_key) and c.matches(needle)
            ),
            key=lambda c: (not c.unread, -c.last_ts, c.key),
        )
        if not needle:  # a long tail of old conversations is reached by filtering
            offline = [
                c
                for i, c in enumerate(offline)
                if i < RECENT_OFFLINE or c.unread or c.key == open_key
            ]
        if offline:
            rows.append(Header(_(OFFLINE), len(offline)))
            rows.extend(Entry(c) for c in offline)
        return rows

    def next_unread(self, after: str | None) -> str | None:
        """The first conversation with unread messages below ``after`` in the list (from the
        top again past its end), or None if none waits."""
        keys = [row.contact.key for row in self.rows() if isinstance(row, Entry)]
        keys += [k for k, c in self.contacts.items() if c.unread and k not in keys]  # unlisted
        start = keys.index(after) + 1 if after in keys else 0
        ordered = keys[start:] + keys[:start]
        return next((k for k in ordered if self.contacts[k].unread and k != after), None)

    @staticmethod
    def _worth_keeping(contact: Contact, open_key: str | None) -> bool:
        return contact.last_ts > 0 or contact.unread > 0 or contact.key == open_key
