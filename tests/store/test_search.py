"""History search on a real SQLite database: folding, Chinese and Japanese, sealed messages,
and a database from before search."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from ipmsg_tui.protocol.direction import Direction
from ipmsg_tui.protocol.events import MessageReceived
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.search import SearchQueryError, grams, snippet
from ipmsg_tui.store import HistoryStore, MessageState

TEXTS = {
    "bob@pc": [
        "Lunch at NOON?",
        "今天午饭吃什么",
        "Straße\nnach Hause",
        "the quarterly REPORT is late",
    ],
    "hanako@jp": [
        "寿司を食べましょう",
        "ｶﾀｶﾅ で書いた",
        "明日の会議は十時から",
        "ＯＫ、了解です",
    ],
}


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    store = HistoryStore(tmp_path / "history.sqlite3")
    ts = 1_700_000_000.0
    for key, texts in TEXTS.items():
        for n, text in enumerate(texts):
            ts += 60
            store.record_outgoing(key, ("127.0.0.1", 2425), n + 1, text, ts, sender="me")
    return store


def found(store: HistoryStore, query: str, **options: object) -> list[str]:
    return [hit.message.text for hit in store.search(query, **options)]  # type: ignore[arg-type]


def test_latin_words_match_in_any_case(store: HistoryStore) -> None:
    assert found(store, "lunch") == ["Lunch at NOON?"]
    assert found(store, "noon") == ["Lunch at NOON?"]
    assert found(store, "Report IS") == ["the quarterly REPORT is late"]
    assert found(store, "strasse") == ["Straße\nnach Hause"]  # case folding, not lower()
    assert found(store, "dinner") == []


def test_two_character_chinese_word_and_single_characters(store: HistoryStore) -> None:
    assert found(store, "午饭") == ["今天午饭吃什么"]
    assert found(store, "饭") == ["今天午饭吃什么"]
    assert found(store, "午饭吃什么") == ["今天午饭吃什么"]
    assert found(store, "晚饭") == []


def test_japanese_kana_kanji_and_width(store: HistoryStore) -> None:
    assert found(store, "食べ") == ["寿司を食べましょう"]
    assert found(store, "を") == ["寿司を食べましょう"]
    assert found(store, "会議") == ["明日の会議は十時から"]
    assert found(store, "十時から") == ["明日の会議は十時から"]
    # half-width katakana and full-width Latin match their usual forms (NFKC)
    assert found(store, "カタカナ") == ["ｶﾀｶﾅ で書いた"]
    assert found(store, "ok") == ["ＯＫ、了解です"]
    assert found(store, "ok、") == ["ＯＫ、了解です"]


def test_newest_or_oldest_first_limit_conversation_and_since(store: HistoryStore) -> None:
    everything = [h.message for h in store.search("a", newest_first=False)]
    assert [m.id for m in everything] == sorted(m.id for m in everything)
    newest = store.search("a", limit=2)
    assert [h.message.id for h in newest] == [m.id for m in everything][::-1][:2]
    assert found(store, "の", key="bob@pc") == []
    assert found(store, "の", key="hanako@jp") == ["明日の会議は十時から"]
    assert found(store, "の", key="nobody@nowhere") == []
    late = everything[-1].ts
    assert [h.message.ts for h in store.search("a", since=late)] == [late]


def test_a_hit_has_one_line_of_context_around_the_match(store: HistoryStore) -> None:
    (hit,) = store.search("HAUSE")
    assert hit.snippet.text == "Straße nach Hause"
    assert hit.snippet.text[hit.snippet.start : hit.snippet.end] == "Hause"
    long = "x" * 100 + " the needle " + "y" * 100
    cut = snippet(long, "NEEDLE")
    assert cut.text.startswith("…") and cut.text.endswith("…")
    assert cut.text[cut.start : cut.end] == "needle"
    folded = snippet("ｶﾀｶﾅ で書いた", "書い")  # folding shortened nothing before it here
    assert folded.text[folded.start : folded.end] == "書い"
    shifted = snippet("ﾊﾟﾝ と ミルク", "ミルク")  # "ﾊﾟ" folds into one character
    assert shifted.text[shifted.start : shifted.end] == "ミルク"


def test_an_empty_query_is_refused(store: HistoryStore) -> None:
    with pytest.raises(SearchQueryError):
        store.search("  ")


def test_quotes_and_like_wildcards_are_plain_text(store: HistoryStore) -> None:
    store.record_outgoing(
        "bob@pc", ("127.0.0.1", 2425), 99, 'he said "100%_done"', 2e9, sender="me"
    )
    assert found(store, '"100%') == ['he said "100%_done"']
    assert found(store, "%_") == ['he said "100%_done"']
    assert found(store, "_") == ['he said "100%_done"']
    store.record_outgoing("bob@pc", ("127.0.0.1", 2425), 98, "午饭!", 2e9 + 1, sender="me")
    assert found(store, "饭!") == ["午饭!"]  # not every message with 饭
    assert found(store, "!") == ["午饭!"]


def _sealed(store: HistoryStore, text: str, packet_no: int) -> int:
    peer = Peer(("127.0.0.1", 2426), "carol", "laptop", nick="Carol")
    event = MessageReceived(peer, packet_no, text, 1_800_000_000.0, sealed=True)
    stored = store.record_incoming(event)
    assert stored is not None and stored.state == MessageState.SEALED
    return stored.id


def test_sealed_messages_are_found_only_once_opened(store: HistoryStore) -> None:
    first = _sealed(store, "secret 午饭 plan", 501)
    _sealed(store, "another secret", 502)
    assert found(store, "secret") == []
    assert found(store, "午饭") == ["今天午饭吃什么"]
    store.set_state_by_id(first, MessageState.OPENED)
    assert found(store, "secret") == ["secret 午饭 plan"]
    assert found(store, "午饭", newest_first=False) == ["今天午饭吃什么", "secret 午饭 plan"]
    store.set_state(("127.0.0.1", 2426), 502, Direction.IN, MessageState.OPENED)  # the other path
    assert found(store, "secret") == ["another secret", "secret 午饭 plan"]


def test_deleted_messages_leave_the_index(store: HistoryStore, tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "history.sqlite3")) as db, db:
        db.execute("DELETE FROM messages WHERE text LIKE 'Lunch%'")
    assert found(store, "lunch") == []


def test_a_database_from_before_search_is_indexed(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = HistoryStore(path)
    store.close()
    with closing(sqlite3.connect(path)) as db, db:
        # back to a version-1 database: no search tables, no triggers
        for name in ("search_on_insert", "search_on_update", "search_on_delete"):
            db.execute(f"DROP TRIGGER {name}")
        for name in ("search_text", "search_grams", "search_pending"):
            db.execute(f"DROP TABLE {name}")
        db.execute("PRAGMA user_version=1")
        conversation = db.execute("INSERT INTO conversations (key) VALUES ('bob@pc')").lastrowid
        for n, (text, state) in enumerate(
            [("old 午饭 talk", "delivered"), ("Old lunch", "received"), ("old secret", "sealed")]
        ):
            db.execute(
                "INSERT INTO messages (conversation_id, direction, ts, packet_no, ip, port, "
                "sender, text, state) VALUES (?, 'in', ?, ?, '127.0.0.1', 2425, 'bob', ?, ?)",
                (conversation, 1.0 + n, n, text, state),
            )
    store = HistoryStore(path)
    assert store.search_backlog() == 2  # queued on open, indexed by the first search
    assert found(store, "午饭") == ["old 午饭 talk"]
    assert found(store, "OLD", newest_first=False) == ["old 午饭 talk", "Old lunch"]
    assert store.search_backlog() == 0
    with closing(sqlite3.connect(path)) as db:  # upgraded to the current version (3)
        assert db.execute("PRAGMA user_version").fetchone() == (3,)


def test_rows_written_by_another_program_are_indexed_by_the_next_search(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    store.record_outgoing("bob@pc", ("127.0.0.1", 2425), 1, "first", 1.0, sender="me")
    with closing(sqlite3.connect(path)) as db, db:  # the triggers need no Python
        db.execute(
            "INSERT INTO messages (conversation_id, direction, ts, packet_no, ip, port, "
            "sender, text, state) SELECT conversation_id, 'in', 2.0, 2, ip, port, 'bob', "
            "'second from elsewhere', 'received' FROM messages"
        )
    assert found(store, "from elsewhere") == ["second from elsewhere"]


def test_short_query_tokens_cover_non_ascii_characters_and_pairs() -> None:
    assert set(grams("ab 午饭x").split()) == {"午", "饭", "午饭", "饭x"}
    assert grams("hello world") == ""


def test_history_lists_newest_n_oldest_first(store: HistoryStore) -> None:
    assert [m.text for m in store.history("bob@pc", limit=2)] == TEXTS["bob@pc"][2:]
    assert len(store.history()) == 8
    last = store.history(limit=1)[0]
    assert store.history(since=last.ts) == [last]


def test_writes_only_queue_and_the_next_search_indexes_them(store: HistoryStore) -> None:
    store.search("x")
    assert store.search_backlog() == 0
    store.record_outgoing("bob@pc", ("127.0.0.1", 2425), 7, "new 消息", 3e9, sender="me")
    assert store.search_backlog() == 1  # storing a message stays as cheap as before search
    assert found(store, "消息") == ["new 消息"]
    assert store.search_backlog() == 0
    store.record_outgoing("bob@pc", ("127.0.0.1", 2425), 8, "idle 消息", 3e9 + 1, sender="me")
    assert store.catch_up_search() == 1 and store.search_backlog() == 0


def test_a_forgotten_conversation_is_gone_from_history_and_search(
    store: HistoryStore, tmp_path: Path
) -> None:
    assert found(store, "午饭") == ["今天午饭吃什么"]
    assert store.forget_conversation("bob@pc") == 4
    assert store.conversation("bob@pc") is None and store.count("bob@pc") == 0
    assert found(store, "午饭") == [] and found(store, "lunch") == []
    assert found(store, "会議") == ["明日の会議は十時から"]  # the others' stay
    assert store.forget_conversation("bob@pc") == 0  # twice is harmless
    # A new message to the same peer starts a new conversation.
    store.record_outgoing("bob@pc", ("127.0.0.1", 2425), 9, "again", 1_800_000_000.0, sender="me")
    assert store.count("bob@pc") == 1
    store.close()
    assert [c.key for c in HistoryStore(tmp_path / "history.sqlite3").conversations()] == [
        "bob@pc",
        "hanako@jp",
    ]


def test_forgetting_one_recipient_of_a_message_to_several_keeps_it_for_the_others(
    store: HistoryStore,
) -> None:
    to_both = [("bob@pc", ("127.0.0.1", 2425), None), ("hanako@jp", ("127.0.0.2", 2425), None)]
    sent = store.record_multicast(to_both, 50, "to you both", 1_800_000_000.0, sender="me")
    assert sent.conversation == "bob@pc"
    store.forget_conversation("bob@pc")
    kept = store.message(sent.id)
    assert kept.conversation == "hanako@jp" and [r.key for r in kept.recipients] == ["hanako@jp"]
    assert store.count("hanako@jp") == 5 and store.count("bob@pc") == 0
    store.forget_conversation("hanako@jp")
    assert store.conversations() == []
