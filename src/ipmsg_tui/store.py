"""Message history in SQLite (stdlib ``sqlite3``, WAL), shared by the app and ``listen``.

Conversations are keyed by the peer's identity ``user@host`` (addresses change), or for a
second machine sharing it ``user@host (ip:port)`` (see protocol/peers.py); the
"Everyone" conversation has the key ``*``. A received message is committed here before its
RECVMSG leaves (see :mod:`ipmsg_tui.net.node`), so an acknowledged message is never lost,
even if the process is killed right after.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import IntFlag, StrEnum
from pathlib import Path
from typing import Any

from .database import open_database, transaction
from .protocol.attachments import Attachment
from .protocol.direction import Direction
from .protocol.events import MessageReceived
from .protocol.peers import Addr, Peer, split_key
from .search import SearchIndex, Snippet, snippet

EVERYONE = "*"
# A retransmission of a message we kept before a crash is recognised this long.
_DUPLICATE_WINDOW = 600.0
# 2: the search index (see search.py), built for the messages of a version-1 database.
# 3: recipients of a message sent to several peers (one message row, see _migrate_multicast).
_SCHEMA_VERSION = 3
_ID_CACHE_SIZE = 4096
_IN_CHUNK = 500  # ids in one IN list: well under SQLite's cap on a statement's parameters

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    nick TEXT NOT NULL DEFAULT '',
    grp TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    port INTEGER NOT NULL DEFAULT 0,
    unread INTEGER NOT NULL DEFAULT 0,
    last_ts REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    ts REAL NOT NULL,
    packet_no INTEGER NOT NULL,
    ip TEXT NOT NULL,
    port INTEGER NOT NULL,
    sender TEXT NOT NULL,
    text TEXT NOT NULL,
    flags INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id, id);
CREATE INDEX IF NOT EXISTS messages_by_packet ON messages (packet_no, ip, port);
-- A message sent to several peers is one row in messages (in its first recipient's
-- conversation, shown in each recipient's) and one row here per recipient: the packet number
-- its receipt names (a resend gives the ones that failed a new one) and its delivery state.
CREATE TABLE IF NOT EXISTS recipients (
    message_id INTEGER NOT NULL REFERENCES messages(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    ip TEXT NOT NULL,
    port INTEGER NOT NULL,
    packet_no INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (message_id, ip, port)
);
CREATE INDEX IF NOT EXISTS recipients_by_packet ON recipients (packet_no, ip, port);
CREATE INDEX IF NOT EXISTS recipients_by_conversation ON recipients (conversation_id, message_id);
-- A message received as one of several: the others it went to, as its sender named them
-- (user@host each; IP Messenger for Windows lists them inside the encrypted body).
CREATE TABLE IF NOT EXISTS also_to (
    message_id INTEGER NOT NULL REFERENCES messages(id),
    identity TEXT NOT NULL,
    PRIMARY KEY (message_id, identity)
);
CREATE TABLE IF NOT EXISTS pinned_keys (
    identity TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    fingerprint TEXT NOT NULL,
    pinned_at REAL NOT NULL
);
"""


class StoreError(Exception):
    pass


class Flag(IntFlag):
    SEALED = 1
    READ_CHECK = 2
    BROADCAST = 4
    MULTICAST = 8
    AUTO_REPLY = 16
    # In: it came encrypted (readable only with DECRYPTED). Out: it goes encrypted to a key.
    ENCRYPTED = 32
    LOCKED = 64
    DECRYPTED = 128  # in: decrypted, so its text is the sender's
    SIGNED = 256  # in: its signature was checked with the sender's key
    KEY_CHANGED = 512  # in: signed by a key other than the pinned one, not accepted yet
    NO_KEY = 1024  # out: the peer can encrypt but never gave its key (sent in clear, or not)
    # A line of ours in the conversation (a message rejected, a key changed), never the
    # peer's words; kept as an incoming row so it stays in its place in the history.
    NOTICE = 2048


class MessageState(StrEnum):
    # incoming
    RECEIVED = "received"
    SEALED = "sealed"  # not opened yet
    OPENED = "opened"  # we opened it (READMSG sent), or the peer opened ours
    # outgoing
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Conversation:
    key: str
    nick: str
    group: str
    ip: str
    port: int
    unread: int
    last_ts: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A message that matched a search ``query``."""

    message: StoredMessage
    query: str

    @property
    def snippet(self) -> Snippet:
        """The match in a line of context (made when asked: a long list shows few)."""
        return snippet(self.message.text, self.query)


@dataclass(frozen=True, slots=True)
class Recipient:
    """One recipient of a message sent to several peers, and where its delivery stands."""

    key: str  # its conversation (identity user@host)
    nick: str
    ip: str
    port: int
    packet_no: int  # the number its receipt must name
    state: MessageState

    @property
    def addr(self) -> Addr:
        return self.ip, self.port

    @property
    def name(self) -> str:
        return self.nick or self.key

    @property
    def got_it(self) -> bool:
        return self.state in (MessageState.DELIVERED, MessageState.OPENED)


def overall_state(states: list[MessageState]) -> MessageState:
    """A message's state from its recipients': sending while any waits, failed if any
    failed, opened once all opened, else delivered."""
    if MessageState.SENDING in states:
        return MessageState.SENDING
    if MessageState.FAILED in states:
        return MessageState.FAILED
    if states and all(state == MessageState.OPENED for state in states):
        return MessageState.OPENED
    return MessageState.DELIVERED


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    conversation: str
    direction: Direction
    ts: float
    packet_no: int
    ip: str
    port: int
    sender: str
    text: str
    flags: Flag
    state: MessageState
    attachments: tuple[Attachment, ...] = ()
    # Sent to several peers: each of them (empty for other messages).
    recipients: tuple[Recipient, ...] = ()
    # Received as one of several: the others it went to, (user@host, nick or ""), when the
    # sender named them.
    also_to: tuple[tuple[str, str], ...] = ()

    @property
    def addr(self) -> Addr:
        return self.ip, self.port

    @property
    def multicast(self) -> bool:
        """Sent to several peers, or received as one of several."""
        return bool(self.flags & Flag.MULTICAST)

    def shown_in(self, key: str | None) -> bool:
        """Whether the conversation ``key`` lists it (a message to several: each one's)."""
        return key == self.conversation or any(r.key == key for r in self.recipients)

    @property
    def delivered_count(self) -> int:
        """How many of the ``recipients`` acknowledged it."""
        return sum(1 for recipient in self.recipients if recipient.got_it)

    @property
    def not_delivered(self) -> tuple[Recipient, ...]:
        """The recipients that did not acknowledge it (failed, or still waited for)."""
        return tuple(recipient for recipient in self.recipients if not recipient.got_it)

    @property
    def incoming(self) -> bool:
        return self.direction == Direction.IN

    @property
    def sealed(self) -> bool:
        return bool(self.flags & Flag.SEALED)

    @property
    def is_notice(self) -> bool:
        """A line of ours about the conversation, not a message from the peer."""
        return bool(self.flags & Flag.NOTICE)


def _flags_of(event: MessageReceived) -> Flag:
    flags = Flag(0)
    for present, flag in (
        (event.sealed, Flag.SEALED),
        (event.read_check, Flag.READ_CHECK),
        (event.broadcast, Flag.BROADCAST),
        (event.multicast, Flag.MULTICAST),
        (event.auto_reply, Flag.AUTO_REPLY),
        (event.encrypted, Flag.ENCRYPTED),
        (event.locked, Flag.LOCKED),
        (event.decrypted, Flag.DECRYPTED),
        (event.signed, Flag.SIGNED),
        (event.key_changed, Flag.KEY_CHANGED),
    ):
        if present:
            flags |= flag
    return flags


def _encode_attachments(attachments: tuple[Attachment, ...]) -> str:
    if not attachments:
        return ""
    return json.dumps(
        [
            [a.file_id, a.name, a.size, a.mtime, a.attr, [list(e) for e in a.ext]]
            for a in attachments
        ],
        ensure_ascii=False,
    )


def _decode_attachments(text: str) -> tuple[Attachment, ...]:
    if not text:
        return ()
    return tuple(
        Attachment(int(i), str(n), int(s), int(m), int(a), tuple((int(k), int(v)) for k, v in e))
        for i, n, s, m, a, e in json.loads(text)
    )


# The message(s) with a packet number, address and direction, unless sent to several peers
# (those have their state per recipient).
_ONE_PEERS_MESSAGE = (
    "FROM messages m WHERE packet_no = ? AND ip = ? AND port = ? AND direction = ? "
    "AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id)"
)
_MESSAGE_COLUMNS = (
    "m.id, c.key, m.direction, m.ts, m.packet_no, m.ip, m.port, m.sender, m.text, m.flags, "
    "m.state, m.attachments"
)


def _message(row: tuple[Any, ...]) -> StoredMessage:
    (id_, key, direction, ts, packet_no, ip, port, sender, text, flags, state, attachments) = row
    return StoredMessage(
        id=id_,
        conversation=key,
        direction=Direction(direction),
        ts=ts,
        packet_no=packet_no,
        ip=ip,
        port=port,
        sender=sender,
        text=text,
        flags=Flag(flags),
        state=MessageState(state),
        attachments=_decode_attachments(attachments),
    )


class HistoryStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        # conversation key -> (id, (nick, group, ip, port) last written): spares a write
        # per message when nothing about the peer changed.
        self._ids: dict[str, tuple[int, tuple[str, str, str, int] | None]] = {}
        try:
            self._db = open_database(path)
            self._db.executescript(_SCHEMA)
            self._search = SearchIndex(self._db)
            self._upgrade()
            self._keys = {key for (key,) in self._db.execute("SELECT key FROM conversations")}
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open the history database {path}: {error}") from None

    def close(self) -> None:
        self._db.close()

    def _upgrade(self) -> None:
        with transaction(self._db):
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version < 2:
                # The old messages are queued here and indexed by the first search (or
                # catch_up_search): opening a big old database stays quick.
                SearchIndex.install(self._db)
            if version < 3:
                self._migrate_multicast()
            if version < _SCHEMA_VERSION:
                self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    def _migrate_multicast(self) -> None:
        """Before version 3 a message sent to several peers was one row per recipient (the
        same packet number, time and text): each such group becomes one row and its
        recipients."""
        groups = self._db.execute(
            "SELECT MIN(id), GROUP_CONCAT(id) FROM messages "
            "WHERE direction = 'out' AND flags & ? GROUP BY packet_no, ts, text, sender",
            (int(Flag.MULTICAST),),
        ).fetchall()
        for first, ids_text in groups:
            ids = [int(id_) for id_ in str(ids_text).split(",")]
            marks = ",".join("?" * len(ids))
            self._db.execute(
                "INSERT OR IGNORE INTO recipients "
                "(message_id, conversation_id, ip, port, packet_no, state) "
                f"SELECT ?, conversation_id, ip, port, packet_no, state FROM messages "
                f"WHERE id IN ({marks}) ORDER BY id",
                (first, *ids),
            )
            others = [id_ for id_ in ids if id_ != first]
            if others:
                self._db.execute(
                    f"DELETE FROM messages WHERE id IN ({','.join('?' * len(others))})", others
                )
            self._update_overall_state(first)

    # ------------------------------------------------------------------ conversations

    def has_conversation(self, key: str) -> bool:
        return key in self._keys

    def twin_keys(self) -> list[str]:
        """Conversations with a peer that shares ``user@host`` with another (keyed by
        address too): a node told of them gives each twin back its own conversation."""
        return [key for key in self._keys if split_key(key)[1] is not None]

    def upsert_conversation(self, key: str, peer: Peer | None = None) -> int:
        """The conversation's id; refreshes its nick/group/address from ``peer``."""
        signature = (peer.nick, peer.group, peer.ip, peer.port) if peer is not None else None
        cached = self._ids.get(key)
        if cached is not None and (signature is None or cached[1] == signature):
            return cached[0]  # nothing changed: no need to touch the database
        if peer is None:
            self._db.execute("INSERT OR IGNORE INTO conversations (key) VALUES (?)", (key,))
        else:
            self._db.execute(
                "INSERT INTO conversations (key, nick, grp, ip, port) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET "
                "nick = CASE WHEN excluded.nick != '' THEN excluded.nick ELSE nick END, "
                "grp = CASE WHEN excluded.grp != '' THEN excluded.grp ELSE grp END, "
                "ip = excluded.ip, port = excluded.port",
                (key, peer.nick, peer.group, peer.ip, peer.port),
            )
        row = self._db.execute("SELECT id FROM conversations WHERE key = ?", (key,)).fetchone()
        if len(self._ids) >= _ID_CACHE_SIZE:
            self._ids.clear()
        self._ids[key] = (int(row[0]), signature)
        self._keys.add(key)
        return int(row[0])

    def conversations(self) -> list[Conversation]:
        rows = self._db.execute(
            "SELECT key, nick, grp, ip, port, unread, last_ts FROM conversations "
            "ORDER BY last_ts DESC"
        ).fetchall()
        return [Conversation(*row) for row in rows]

    def conversation(self, key: str) -> Conversation | None:
        row = self._db.execute(
            "SELECT key, nick, grp, ip, port, unread, last_ts FROM conversations WHERE key = ?",
            (key,),
        ).fetchone()
        return Conversation(*row) if row else None

    def unread_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT key, unread FROM conversations WHERE unread > 0")
        return {key: unread for key, unread in rows}

    def mark_read(self, key: str) -> None:
        self._db.execute("UPDATE conversations SET unread = 0 WHERE key = ?", (key,))

    def forget_conversation(self, key: str) -> int:
        """Delete a conversation and all its messages (they leave the search index when it
        next catches up, before any search); how many messages went."""
        with transaction(self._db):
            row = self._db.execute("SELECT id FROM conversations WHERE key = ?", (key,)).fetchone()
            if row is None:
                return 0
            # Its place among the recipients of messages sent to several peers goes; such a
            # message of its own still listed for others moves to the next one's conversation.
            self._db.execute("DELETE FROM recipients WHERE conversation_id = ?", row)
            self._db.execute(
                "DELETE FROM also_to WHERE message_id IN "
                "(SELECT id FROM messages WHERE conversation_id = ? AND direction = 'in')",
                row,
            )
            self._db.execute(
                "UPDATE messages SET conversation_id = (SELECT r.conversation_id FROM recipients"
                " r WHERE r.message_id = messages.id ORDER BY r.rowid LIMIT 1) "
                "WHERE conversation_id = ? AND EXISTS "
                "(SELECT 1 FROM recipients r WHERE r.message_id = messages.id)",
                row,
            )
            gone = self._db.execute("DELETE FROM messages WHERE conversation_id = ?", row)
            self._db.execute("DELETE FROM conversations WHERE id = ?", row)
        self._ids.pop(key, None)
        self._keys.discard(key)
        return gone.rowcount

    # ------------------------------------------------------------------ messages

    def record_incoming(
        self, event: MessageReceived, *, unread: bool = True, kept_before: float | None = None
    ) -> StoredMessage | None:
        """Commit a received message; None if it is a retransmission of one already kept.

        With ``kept_before``, only messages kept before that time count: the running engine
        already drops retransmissions it has seen, and knows when a sender restarted and
        reuses its packet numbers (iptux counts from 1 on every start), which this table
        cannot tell from a retransmission.
        """
        peer = event.peer
        # The same number *and* text: a retransmission (a restarted sender may reuse numbers).
        newest = float("inf") if kept_before is None else kept_before
        duplicate = self._db.execute(
            "SELECT 1 FROM messages WHERE packet_no = ? AND ip = ? AND port = ? "
            "AND direction = 'in' AND ts > ? AND ts < ? AND text = ?",
            (
                event.packet_no,
                peer.ip,
                peer.port,
                event.timestamp - _DUPLICATE_WINDOW,
                newest,
                event.text,
            ),
        ).fetchone()
        if duplicate:
            return None
        draft = StoredMessage(
            id=0,
            conversation=peer.key,
            direction=Direction.IN,
            ts=event.timestamp,
            packet_no=event.packet_no,
            ip=peer.ip,
            port=peer.port,
            sender=peer.name,
            text=event.text,
            flags=_flags_of(event),
            state=MessageState.SEALED if event.sealed else MessageState.RECEIVED,
            attachments=event.attachments,
            also_to=tuple((f"{user}@{host}", "") for user, host in event.others),
        )
        return self._insert(draft, peer, unread=1 if unread else 0)

    def record_outgoing(
        self,
        key: str,
        addr: Addr,
        packet_no: int,
        text: str,
        ts: float,
        *,
        sender: str,
        peer: Peer | None = None,
        flags: Flag | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> StoredMessage:
        flags = flags or Flag(0)
        # Nobody acknowledges a broadcast or an auto-reply: as delivered as it will ever be.
        unacknowledged = flags & (Flag.BROADCAST | Flag.AUTO_REPLY)
        state = MessageState.DELIVERED if unacknowledged else MessageState.SENDING
        draft = StoredMessage(
            0, key, Direction.OUT, ts, packet_no, *addr, sender, text, flags, state, attachments
        )
        return self._insert(draft, peer, unread=0)

    def record_multicast(
        self,
        recipients: list[tuple[str, Addr, Peer | None]],
        packet_no: int,
        text: str,
        ts: float,
        *,
        sender: str,
        flags: Flag | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> StoredMessage:
        """One message sent to several peers (``(conversation key, address, peer)`` each):
        one row, in the first one's conversation and listed in every one's, each recipient
        "sending"."""
        if not recipients:
            raise ValueError("no recipients")
        key, addr, peer = recipients[0]
        flags = (flags or Flag(0)) | Flag.MULTICAST
        draft = StoredMessage(
            0,
            key,
            Direction.OUT,
            ts,
            packet_no,
            *addr,
            sender,
            text,
            flags,
            MessageState.SENDING,
            attachments,
        )
        with transaction(self._db):
            stored = self._insert(draft, peer, unread=0)
            for key, addr, peer in recipients:
                conversation_id = self.upsert_conversation(key, peer)
                self._db.execute(
                    "INSERT OR IGNORE INTO recipients "
                    "(message_id, conversation_id, ip, port, packet_no, state) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (stored.id, conversation_id, *addr, packet_no, MessageState.SENDING.value),
                )
                self._db.execute(
                    "UPDATE conversations SET last_ts = MAX(last_ts, ?) WHERE id = ?",
                    (ts, conversation_id),
                )
        return self.message(stored.id)

    def _insert(self, draft: StoredMessage, peer: Peer | None, unread: int) -> StoredMessage:
        with transaction(self._db):
            conversation_id = self.upsert_conversation(draft.conversation, peer)
            cursor = self._db.execute(
                "INSERT INTO messages (conversation_id, direction, ts, packet_no, ip, port, "
                "sender, text, flags, state, attachments) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    draft.direction.value,
                    draft.ts,
                    draft.packet_no,
                    draft.ip,
                    draft.port,
                    draft.sender,
                    draft.text,
                    int(draft.flags),
                    draft.state.value,
                    _encode_attachments(draft.attachments),
                ),
            )
            self._db.execute(
                "UPDATE conversations SET last_ts = ?, unread = unread + ? WHERE id = ?",
                (draft.ts, unread, conversation_id),
            )
            message_id = int(cursor.lastrowid or 0)
            self._db.executemany(
                "INSERT OR IGNORE INTO also_to (message_id, identity) VALUES (?, ?)",
                [(message_id, identity) for identity, _nick in draft.also_to],
            )
        stored = replace(draft, id=message_id)
        return self._with_recipients([stored])[0] if draft.also_to else stored

    def record_notice(
        self, key: str, addr: Addr, packet_no: int, text: str, ts: float, peer: Peer | None
    ) -> StoredMessage:
        """A line of ours in conversation ``key`` (say, about a message that could not be
        verified): no sender, never unread."""
        draft = StoredMessage(
            id=0,
            conversation=key,
            direction=Direction.IN,
            ts=ts,
            packet_no=packet_no,
            ip=addr[0],
            port=addr[1],
            sender="",
            text=text,
            flags=Flag.NOTICE,
            state=MessageState.RECEIVED,
        )
        return self._insert(draft, peer, unread=0)

    def change_flags(
        self, addr: Addr, packet_no: int, direction: Direction, *, add: Flag, remove: Flag
    ) -> list[StoredMessage]:
        """Add and remove flags of the message(s) with this address and packet number (not
        of a message sent to several peers: its flags speak for all of them)."""
        rows = self._db.execute(
            f"SELECT id {_ONE_PEERS_MESSAGE}", (packet_no, addr[0], addr[1], direction.value)
        ).fetchall()
        return self._change_flags([id_ for (id_,) in rows], add, remove)

    def change_flags_by_id(self, message_id: int, *, add: Flag, remove: Flag) -> StoredMessage:
        return self._change_flags([message_id], add, remove)[0]

    def sent_to_several(self, addr: Addr, packet_no: int) -> list[StoredMessage]:
        """Our messages to several peers that went to ``addr`` as packet ``packet_no``."""
        rows = self._db.execute(
            "SELECT DISTINCT message_id FROM recipients "
            "WHERE packet_no = ? AND ip = ? AND port = ?",
            (packet_no, *addr),
        ).fetchall()
        return [self.message(id_) for (id_,) in rows]

    def clear_flag(self, key: str, flag: Flag) -> list[StoredMessage]:
        """Remove ``flag`` from every message of conversation ``key`` that has it."""
        rows = self._db.execute(
            "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.key = ? AND (m.flags & ?) != 0",
            (key, int(flag)),
        ).fetchall()
        return self._change_flags([id_ for (id_,) in rows], Flag(0), flag)

    def _change_flags(self, ids: list[int], add: Flag, remove: Flag) -> list[StoredMessage]:
        with transaction(self._db):
            for id_ in ids:
                self._db.execute(
                    "UPDATE messages SET flags = (flags | ?) & ~? WHERE id = ?",
                    (int(add), int(remove), id_),
                )
        return [self.message(id_) for id_ in ids]

    def set_state(
        self,
        addr: Addr,
        packet_no: int,
        direction: Direction,
        state: MessageState,
        *,
        unless: tuple[MessageState, ...] = (),
    ) -> list[StoredMessage]:
        """Set the state of the message(s) with this address and packet number: of that
        recipient, for a message sent to several peers.

        Rows already in one of the ``unless`` states keep theirs. Returns the changed rows.
        """
        changed: list[int] = []
        if direction == Direction.OUT:
            recipients = self._db.execute(
                "SELECT message_id, state FROM recipients "
                "WHERE packet_no = ? AND ip = ? AND port = ?",
                (packet_no, *addr),
            ).fetchall()
            for message_id, current in recipients:
                if current in unless or current == state.value:
                    continue
                with transaction(self._db):
                    self._db.execute(
                        "UPDATE recipients SET state = ? "
                        "WHERE message_id = ? AND ip = ? AND port = ?",
                        (state.value, message_id, *addr),
                    )
                    self._update_overall_state(message_id)
                changed.append(message_id)
        rows = self._db.execute(
            f"SELECT id, state {_ONE_PEERS_MESSAGE}",
            (packet_no, addr[0], addr[1], direction.value),
        ).fetchall()
        ids = [id_ for id_, current in rows if current not in unless]
        for id_ in ids:
            self._db.execute("UPDATE messages SET state = ? WHERE id = ?", (state.value, id_))
        return [self.message(id_) for id_ in [*changed, *ids]]

    def _update_overall_state(self, message_id: int) -> None:
        states = [
            MessageState(state)
            for (state,) in self._db.execute(
                "SELECT state FROM recipients WHERE message_id = ?", (message_id,)
            )
        ]
        if states:
            self._db.execute(
                "UPDATE messages SET state = ? WHERE id = ?",
                (overall_state(states).value, message_id),
            )

    def requeue_recipients(
        self, message_id: int, addrs: list[Addr], packet_no: int
    ) -> StoredMessage:
        """A message to several peers sent again to ``addrs`` (those that did not get it):
        they now wait for the receipt of ``packet_no``."""
        with transaction(self._db):
            for addr in addrs:
                self._db.execute(
                    "UPDATE recipients SET packet_no = ?, state = ? "
                    "WHERE message_id = ? AND ip = ? AND port = ?",
                    (packet_no, MessageState.SENDING.value, message_id, *addr),
                )
            self._update_overall_state(message_id)
        return self.message(message_id)

    def requeue(self, message_id: int, addr: Addr, packet_no: int) -> StoredMessage:
        """An outgoing message sent again: it now waits for the receipt of ``packet_no``."""
        self._db.execute(
            "UPDATE messages SET ip = ?, port = ?, packet_no = ?, state = ? "
            "WHERE id = ? AND direction = 'out'",
            (addr[0], addr[1], packet_no, MessageState.SENDING.value, message_id),
        )
        return self.message(message_id)

    def set_state_by_id(self, message_id: int, state: MessageState) -> StoredMessage:
        self._db.execute("UPDATE messages SET state = ? WHERE id = ?", (state.value, message_id))
        return self.message(message_id)

    def message(self, message_id: int) -> StoredMessage:
        row = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages m JOIN conversations c "
            "ON c.id = m.conversation_id WHERE m.id = ?",
            (message_id,),
        ).fetchone()
        if row is None:
            raise KeyError(message_id)
        return self._with_recipients([_message(row)])[0]

    def _with_recipients(self, messages: list[StoredMessage]) -> list[StoredMessage]:
        """``messages`` with the recipients of those sent to several peers filled in, and
        the others named in those received as one of several."""
        messages = self._with_also_to(messages)
        ids = [m.id for m in messages if m.multicast and not m.incoming]
        if not ids:
            return messages
        found: dict[int, list[Recipient]] = {}
        rows = self._rows_of_messages(
            "SELECT r.message_id, c.key, c.nick, r.ip, r.port, r.packet_no, r.state "
            "FROM recipients r JOIN conversations c ON c.id = r.conversation_id "
            "WHERE r.message_id IN ({ids}) ORDER BY r.rowid",
            ids,
        )
        for message_id, key, nick, ip, port, packet_no, state in rows:
            found.setdefault(message_id, []).append(
                Recipient(key, nick, ip, port, packet_no, MessageState(state))
            )
        return [replace(m, recipients=tuple(found[m.id])) if m.id in found else m for m in messages]

    def _with_also_to(self, messages: list[StoredMessage]) -> list[StoredMessage]:
        """The others a message received as one of several went to, with their nicks where
        a conversation knows them."""
        ids = [m.id for m in messages if m.multicast and m.incoming]
        found: dict[int, list[tuple[str, str]]] = {}
        rows = self._rows_of_messages(
            "SELECT a.message_id, a.identity, coalesce(c.nick, '') FROM also_to a "
            "LEFT JOIN conversations c ON c.key = a.identity "
            "WHERE a.message_id IN ({ids}) ORDER BY a.rowid",
            ids,
        )
        for message_id, identity, nick in rows:
            found.setdefault(message_id, []).append((identity, nick))
        return [replace(m, also_to=tuple(found[m.id])) if m.id in found else m for m in messages]

    def _rows_of_messages(self, sql: str, ids: list[int]) -> Iterator[Any]:
        """The rows of ``sql`` for every message in ``ids`` (its ``{ids}`` an IN list),
        a chunk at a time: SQLite caps the parameters of one statement."""
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            yield from self._db.execute(sql.format(ids=",".join("?" * len(chunk))), chunk)

    def _conversation_id(self, key: str) -> int | None:
        row = self._db.execute("SELECT id FROM conversations WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def messages(
        self,
        key: str,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 100,
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages of a conversation, oldest first: the newest ones older than
        ``before_id``, or (with ``after_id``) the oldest ones newer than ``after_id``. A message
        sent to several peers is in each one's conversation."""
        conversation_id = self._conversation_id(key)
        if conversation_id is None:
            return []
        if after_id is not None:
            bound, order = "> ?", "ASC"
            edge = after_id
        else:
            bound, order = "< ?", "DESC"
            edge = before_id if before_id is not None else 1 << 62
        # Both halves use their own index and stop at ``limit`` rows, however long the
        # conversation.
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages m JOIN conversations c "
            "ON c.id = m.conversation_id WHERE m.id IN ("
            f"SELECT id FROM (SELECT id FROM messages WHERE conversation_id = ? AND id {bound} "
            f"ORDER BY id {order} LIMIT ?) UNION SELECT message_id FROM (SELECT message_id "
            f"FROM recipients WHERE conversation_id = ? AND message_id {bound} "
            f"ORDER BY message_id {order} LIMIT ?)) ORDER BY m.id {order} LIMIT ?",
            (conversation_id, edge, limit, conversation_id, edge, limit, limit),
        ).fetchall()
        messages = [_message(row) for row in rows]
        if order == "DESC":
            messages.reverse()
        return self._with_recipients(messages)

    def history(
        self, key: str | None = None, *, since: float | None = None, limit: int | None = None
    ) -> list[StoredMessage]:
        """Messages of one conversation (or of all), oldest first: with ``limit`` the
        newest ``limit`` of them, with ``since`` those stored at or after that time."""
        sql = (
            f"SELECT {_MESSAGE_COLUMNS} FROM messages m JOIN conversations c "
            "ON c.id = m.conversation_id WHERE 1"
        )
        arguments: list[object] = []
        if key is not None:
            conversation_id = self._conversation_id(key)
            if conversation_id is None:
                return []
            sql += (
                " AND (m.conversation_id = ? OR m.id IN "
                "(SELECT message_id FROM recipients WHERE conversation_id = ?))"
            )
            arguments += [conversation_id, conversation_id]
        if since is not None:
            sql += " AND m.ts >= ?"
            arguments.append(since)
        sql += " ORDER BY m.id DESC LIMIT ?"
        arguments.append(-1 if limit is None else limit)
        rows = self._db.execute(sql, arguments).fetchall()
        return self._with_recipients([_message(row) for row in reversed(rows)])

    def search(
        self,
        query: str,
        *,
        key: str | None = None,
        since: float | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[SearchHit]:
        """Messages whose text holds ``query``, ignoring case and width (NFKC), in every
        conversation or in ``key``'s, newest or oldest first, at most ``limit``.

        Sealed messages not opened yet are left out. SearchQueryError for an empty query.
        It first indexes the messages written (or opened) since the last search: all of
        them for the first search of a database from before search.
        """
        conversation_id = None
        if key is not None:
            row = self._db.execute("SELECT id FROM conversations WHERE key = ?", (key,)).fetchone()
            if row is None:
                return []
            conversation_id = int(row[0])
        rows = self._search.matching(
            query,
            _MESSAGE_COLUMNS,
            conversation_id=conversation_id,
            since=since,
            limit=limit,
            newest_first=newest_first,
        )
        found = self._with_recipients([_message(row) for row in rows])
        return [SearchHit(message, query) for message in found]

    def search_backlog(self) -> int:
        """Messages waiting to be indexed for search (an old database's, say)."""
        return self._search.backlog()

    def catch_up_search(self) -> int:
        """Index every message waiting (in short transactions); how many. Searching does it
        anyway; an app can call this when idle (on a connection of its own, in a thread) so
        that its next search is quick."""
        return self._search.catch_up()

    def count(self, key: str) -> int:
        conversation_id = self._conversation_id(key)
        if conversation_id is None:
            return 0
        row = self._db.execute(
            "SELECT COUNT(*) FROM (SELECT id FROM messages WHERE conversation_id = ? "
            "UNION SELECT message_id FROM recipients WHERE conversation_id = ?)",
            (conversation_id, conversation_id),
        ).fetchone()
        return int(row[0])

    # ------------------------------------------------------------------ pinned keys

    def pinned_keys(self) -> dict[str, bytes]:
        """identity ``user@host`` -> its pinned public key (DER), for Engine.load_pins."""
        rows = self._db.execute("SELECT identity, public_key FROM pinned_keys")
        return {identity: bytes(der) for identity, der in rows}

    def pin_key(self, identity: str, public_key: bytes, fingerprint: str, now: float) -> None:
        """Pin (or, when the user accepts a changed key, re-pin) ``identity``'s key."""
        self._db.execute(
            "INSERT INTO pinned_keys (identity, public_key, fingerprint, pinned_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(identity) DO UPDATE SET"
            " public_key = excluded.public_key, fingerprint = excluded.fingerprint,"
            " pinned_at = excluded.pinned_at",
            (identity, public_key, fingerprint, now),
        )

    def pins(self) -> list[tuple[str, str, float]]:
        """Every pin as (identity, fingerprint, when pinned), by identity."""
        rows = self._db.execute(
            "SELECT identity, fingerprint, pinned_at FROM pinned_keys ORDER BY identity"
        )
        return [(str(i), str(f), float(t)) for i, f, t in rows]

    def pinned_fingerprint(self, identity: str) -> str | None:
        row = self._db.execute(
            "SELECT fingerprint FROM pinned_keys WHERE identity = ?", (identity,)
        ).fetchone()
        return str(row[0]) if row is not None else None
