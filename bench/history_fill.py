"""A history database with one long conversation, made fast: the product's
:class:`~ipmsg_tui.store.HistoryStore` creates the schema and the conversation, then one
transaction inserts the messages into the same tables (row by row through the store would
take minutes for 100,000)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
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
    insert_messages(
        path,
        count,
        conversation_of=lambda index: conversation_id,
        ip_of=lambda index: peer_ip,
        peer_nick=peer_nick,
        text_of=message_text,
    )
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "UPDATE conversations SET nick = ?, ip = ?, port = 2425, last_ts = ? WHERE id = ?",
            (peer_nick, peer_ip, START_TS + 60 * count, conversation_id),
        )


def insert_messages(
    path: Path,
    count: int,
    *,
    conversation_of: Callable[[int], int],
    ip_of: Callable[[int], str],
    peer_nick: str,
    text_of: Callable[[int], str],
) -> None:
    """Insert ``count`` messages in one transaction straight into the tables: odd ones
    theirs (received), even ones ours (delivered), a minute apart from ``START_TS``."""
    rows = (
        (
            conversation_of(index),
            "in" if index % 2 else "out",
            START_TS + 60 * index,
            index + 1,
            ip_of(index),
            2425,
            peer_nick if index % 2 else "me",
            text_of(index),
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


# Mixed Latin, Chinese and Japanese chat: words drawn in a fixed pseudo-random order, so
# every run stores the same million messages and the searched words occur equally often.
LATIN_WORDS = tuple(
    str.split(
        "the quick brown fox jumps over lazy dog build is green deploy friday coffee meeting "
        "review please check ticket server restart printer paper lunch later tomorrow thanks "
        "ok sure see you soon report draft numbers slide budget release notes"
    )
)
CJK_WORDS = tuple(
    str.split(
        "你好 今天 明天 会议 文件 服务器 咖啡 打印机 谢谢 好的 下午 晚上 项目 报告 周末 "
        "こんにちは ありがとう 会議 資料 確認 お願い します 明日 今日 昼ご飯 了解 です"
    )
)
# The benchmark's search words: each in about one message of two hundred.
RARE_LATIN = "kangaroo"
RARE_CJK = "午饭"


def mixed_text(rng: random.Random, index: int) -> str:
    words = [
        rng.choice(CJK_WORDS) if rng.random() < 0.4 else rng.choice(LATIN_WORDS)
        for _ in range(rng.randint(3, 12))
    ]
    if index % 200 == 17:
        words.insert(rng.randint(0, len(words)), RARE_LATIN.capitalize())
    if index % 200 == 101:
        words.insert(rng.randint(0, len(words)), RARE_CJK)
    return " ".join(words)


def fill_mixed(path: Path, count: int, conversations: int = 50, seed: int = 7) -> None:
    """``count`` messages of mixed-language chat spread over ``conversations`` peers, put
    into the tables directly (the search index is queued by the database's own triggers
    and built by the first search, as for a database from before search)."""
    store = HistoryStore(path)
    try:
        ids = [store.upsert_conversation(f"user{n}@pc{n}") for n in range(conversations)]
    finally:
        store.close()
    rng = random.Random(seed)
    # The texts are drawn in index order (the generator runs once, in order).
    insert_messages(
        path,
        count,
        conversation_of=lambda index: ids[index % conversations],
        ip_of=lambda index: f"10.77.0.{2 + index % conversations}",
        peer_nick="peer",
        text_of=lambda index: mixed_text(rng, index),
    )
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE conversations SET last_ts = ?", (START_TS + 60 * count,))
