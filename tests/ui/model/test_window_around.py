"""Opening a conversation window around a message (a search hit), on a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipmsg_tui.store import HistoryStore
from ipmsg_tui.ui.model.window import ConversationWindow


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    store = HistoryStore(tmp_path / "history.sqlite3")
    for n in range(100):
        # two conversations interleaved: ids of one are not consecutive
        for key in ("bob@pc", "eve@pc"):
            store.record_outgoing(key, ("127.0.0.1", 2425), n, f"{key} {n}", 1.0 + n, sender="me")
    return store


def ids_of(store: HistoryStore, key: str) -> list[int]:
    return [m.id for m in store.messages(key, limit=1000)]


def test_the_hit_sits_in_the_middle_of_a_full_page(store: HistoryStore) -> None:
    (hit,) = [h.message for h in store.search("bob@pc 50")]
    window = ConversationWindow(store, "bob@pc", page=10, limit=20)
    index = window.open_around(hit.id)
    assert index == 5 and window.rows[5] == hit
    ids = ids_of(store, "bob@pc")
    assert [r.id for r in window.rows] == ids[45:55]
    assert window.has_older and window.has_newer
    # paging on from there works as from any other page
    assert window.newer().added == 10
    assert [r.id for r in window.rows] == ids[45:65]
    assert window.older().added == 10
    assert window.rows[0].id == ids[35]


def test_near_either_end_the_page_is_still_full(store: HistoryStore) -> None:
    ids = ids_of(store, "bob@pc")
    window = ConversationWindow(store, "bob@pc", page=10, limit=20)
    assert window.open_around(ids[1]) == 1
    assert [r.id for r in window.rows] == ids[:10] and not window.has_older
    assert window.has_newer
    assert window.open_around(ids[-2]) == 8
    assert [r.id for r in window.rows] == ids[-10:] and window.has_older
    assert not window.has_newer  # at the end: new messages are added as they come


def test_a_message_of_another_conversation_opens_the_latest_page(store: HistoryStore) -> None:
    window = ConversationWindow(store, "bob@pc", page=10, limit=20)
    assert window.open_around(ids_of(store, "eve@pc")[3]) is None
    assert [r.id for r in window.rows] == ids_of(store, "bob@pc")[-10:]
