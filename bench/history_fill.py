"""A history database with one long conversation, made fast: the product's
:class:`~ipmsg_tui.store.HistoryStore` creates the schema and the conversation, then one
transaction inserts the messages into the same tables (row by row through the store would
take minutes for 100,000)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from ipmsg_tui.store import HistoryStore, MessageState

START_TS = 1_700_000_000.0


def message_text(index: int) -> str:
    """Message ``index``'s text; the newest one is how the benchmark knows it is on screen."""
    return f"message {index:06d}: the quick brown fox jumps over the lazy dog 你好"


def fill_history(path: Path, key: str, count: int, peer_ip: str, peer_nick: str) -> None:
    """``count`` messages with ``key`` (half ours, half theirs, a minute apart)."""
    store = HistoryStore(path)
    try:
        conversation_id = store.upsert_conversation(key)
    finally:
        store.close()
    rows = (
        (
            conversation_id,
            "in" if index % 2 else "out",
            START_TS + 60 * index,
            index + 1,
            peer_ip,
            2425,
            peer_nick if index % 2 else "me",
            message_text(index),
            0,
            (MessageState.RECEIVED if index % 2 else MessageState.DELIVERED).value,
            "",
        )
        for index in range(count)
    )
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "INSERT INTO messages (conversation_id, direction, ts, packet_no, ip, port, "
            "sender, text, flags, state, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute(
            "UPDATE conversations SET nick = ?, ip = ?, port = 2425, last_ts = ? WHERE id = ?",
            (peer_nick, peer_ip, START_TS + 60 * count, conversation_id),
        )
