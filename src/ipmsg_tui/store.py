"""Message history in SQLite (stdlib ``sqlite3``, WAL), shared by the app and ``listen``.

Conversations are keyed by the peer's identity ``user@host`` (addresses change); the
"Everyone" conversation has the key ``*``. A received message is committed here before its
RECVMSG leaves (see :mod:`ipmsg_tui.net.node`), so an acknowledged message is never lost,
even if the process is killed right after.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import IntFlag, StrEnum
from pathlib import Path
from typing import Any

from .protocol.attachments import Attachment
from .protocol.direction import Direction
from .protocol.events import MessageReceived
from .protocol.peers import Addr, Peer
from .search import SearchIndex, Snippet, snippet

EVERYONE = "*"
# A retransmission of a message we kept before a crash is recognised this long.
_DUPLICATE_WINDOW = 600.0
# 2: the search index (see search.py), built for the messages of a version-1 database.
_SCHEMA_VERSION = 2
_ID_CACHE_SIZE = 4096

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
    ENCRYPTED = 32
    LOCKED = 64


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

    @property
    def addr(self) -> Addr:
        return self.ip, self.port

    @property
    def incoming(self) -> bool:
        return self.direction == Direction.IN

    @property
    def sealed(self) -> bool:
        return bool(self.flags & Flag.SEALED)


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
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: a commit survives the process being killed (not a power cut).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            self._search = SearchIndex(self._db)
            self._upgrade()
            self._keys = {key for (key,) in self._db.execute("SELECT key FROM conversations")}
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open the history database {path}: {error}") from None

    def close(self) -> None:
        self._db.close()

    def _upgrade(self) -> None:
        with self._transaction():
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version < 2:
                # The old messages are queued here and indexed by the first search (or
                # catch_up_search): opening a big old database stays quick.
                SearchIndex.install(self._db)
            if version < _SCHEMA_VERSION:
                self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    # ------------------------------------------------------------------ conversations

    def has_conversation(self, key: str) -> bool:
        return key in self._keys

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
        # Nobody acknowledges a broadcast: it is as delivered as it will ever be.
        state = MessageState.DELIVERED if flags & Flag.BROADCAST else MessageState.SENDING
        draft = StoredMessage(
            0, key, Direction.OUT, ts, packet_no, *addr, sender, text, flags, state, attachments
        )
        return self._insert(draft, peer, unread=0)

    def _insert(self, draft: StoredMessage, peer: Peer | None, unread: int) -> StoredMessage:
        with self._transaction():
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
        return replace(draft, id=int(cursor.lastrowid or 0))

    def set_state(
        self,
        addr: Addr,
        packet_no: int,
        direction: Direction,
        state: MessageState,
        *,
        unless: tuple[MessageState, ...] = (),
    ) -> list[StoredMessage]:
        """Set the state of the message(s) with this address and packet number.

        Rows already in one of the ``unless`` states keep theirs. Returns the changed rows.
        """
        rows = self._db.execute(
            "SELECT id, state FROM messages "
            "WHERE packet_no = ? AND ip = ? AND port = ? AND direction = ?",
            (packet_no, addr[0], addr[1], direction.value),
        ).fetchall()
        ids = [id_ for id_, current in rows if current not in unless]
        for id_ in ids:
            self._db.execute("UPDATE messages SET state = ? WHERE id = ?", (state.value, id_))
        return [self.message(id_) for id_ in ids]

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
        return _message(row)

    def messages(
        self,
        key: str,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 100,
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages of a conversation, oldest first: the newest ones older than
        ``before_id``, or (with ``after_id``) the oldest ones newer than ``after_id``."""
        if after_id is not None:
            rows = self._db.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages m JOIN conversations c "
                "ON c.id = m.conversation_id WHERE c.key = ? AND m.id > ? "
                "ORDER BY m.id ASC LIMIT ?",
                (key, after_id, limit),
            ).fetchall()
            return [_message(row) for row in rows]
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages m JOIN conversations c "
            "ON c.id = m.conversation_id WHERE c.key = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
            (key, before_id if before_id is not None else 1 << 62, limit),
        ).fetchall()
        return [_message(row) for row in reversed(rows)]

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
            sql += " AND c.key = ?"
            arguments.append(key)
        if since is not None:
            sql += " AND m.ts >= ?"
            arguments.append(since)
        sql += " ORDER BY m.id DESC LIMIT ?"
        arguments.append(-1 if limit is None else limit)
        rows = self._db.execute(sql, arguments).fetchall()
        return [_message(row) for row in reversed(rows)]

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
        return [SearchHit(message, query) for message in map(_message, rows)]

    def search_backlog(self) -> int:
        """Messages waiting to be indexed for search (an old database's, say)."""
        return self._search.backlog()

    def catch_up_search(self) -> int:
        """Index every message waiting (in short transactions); how many. Searching does it
        anyway; an app can call this when idle (on a connection of its own, in a thread) so
        that its next search is quick."""
        return self._search.catch_up()

    def count(self, key: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.key = ?",
            (key,),
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

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
