"""History paging in both directions, and resending a message in place."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.protocol.direction import Direction
from ipmsg_tui.store import HistoryStore, MessageState


def _filled(tmp_path: Path, count: int) -> HistoryStore:
    store = HistoryStore(tmp_path / "history.sqlite3")
    for n in range(count):
        store.record_outgoing(
            "bob@pc", ("127.0.0.1", 2425), 1000 + n, f"m{n}", 1.0 + n, sender="me"
        )
    return store


def test_pages_older_and_newer_oldest_first(tmp_path: Path) -> None:
    store = _filled(tmp_path, 10)
    latest = store.messages("bob@pc", limit=3)
    assert [m.text for m in latest] == ["m7", "m8", "m9"]
    older = store.messages("bob@pc", before_id=latest[0].id, limit=3)
    assert [m.text for m in older] == ["m4", "m5", "m6"]
    newer = store.messages("bob@pc", after_id=older[0].id, limit=2)
    assert [m.text for m in newer] == ["m5", "m6"]
    assert [m.text for m in store.messages("bob@pc", after_id=0, limit=2)] == ["m0", "m1"]
    assert store.messages("bob@pc", after_id=latest[-1].id) == []


def test_requeue_gives_a_failed_message_a_new_packet_and_address(tmp_path: Path) -> None:
    store = _filled(tmp_path, 1)
    (row,) = store.messages("bob@pc")
    store.set_state_by_id(row.id, MessageState.FAILED)
    again = store.requeue(row.id, ("127.0.0.2", 2426), 5000)
    assert (again.id, again.state, again.addr, again.packet_no) == (
        row.id,
        MessageState.SENDING,
        ("127.0.0.2", 2426),
        5000,
    )
    # the receipt for the new packet now finds it
    (delivered,) = store.set_state(("127.0.0.2", 2426), 5000, Direction.OUT, MessageState.DELIVERED)
    assert delivered.id == row.id
