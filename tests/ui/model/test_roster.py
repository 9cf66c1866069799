"""Who the sidebar lists, from the history (real SQLite) and presence, without Textual."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import HistoryStore
from ipmsg_tui.ui.model.roster import OFFLINE, RECENT_OFFLINE, Entry, Header, Roster, Row

BOB = Peer(("127.0.0.1", 2501), "bob", "bob-pc", nick="Bob", group="Sales")
CAROL = Peer(("127.0.0.1", 2502), "carol", "carol-pc", nick="Carol")


def names(rows: list[Row]) -> list[str]:
    return [row.label if isinstance(row, Header) else row.contact.name for row in rows]


def test_online_peers_by_group_then_recent_offline_conversations(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.record_outgoing("dave@dave-pc", ("127.0.0.1", 2503), 1, "hi", 10.0, sender="me")
    store.record_outgoing("erin@erin-pc", ("127.0.0.1", 2504), 2, "hi", 20.0, sender="me")
    roster = Roster()
    roster.load(store.conversations())
    roster.peer_online(BOB)
    roster.peer_online(CAROL)
    assert names(roster.rows()) == [
        "Everyone",
        "Sales",
        "Bob",
        "No group",
        "Carol",
        OFFLINE,
        "erin",  # the most recent first
        "dave",
    ]
    assert names(roster.rows("car")) == ["Carol"]  # a filter narrows, Everyone included
    assert roster.online_count == 2


def test_a_peer_leaving_stays_listed_only_if_there_is_history_with_it(tmp_path: Path) -> None:
    roster = Roster()
    assert not roster.anyone_online
    roster.peer_online(BOB)
    roster.peer_online(CAROL)
    assert roster.anyone_online
    roster.note_message(BOB.key, 30.0, unread=True)
    assert roster.peer_offline(BOB, open_key=None) is not None
    assert roster.peer_offline(CAROL, open_key=None) is not None
    assert roster.get(CAROL.key) is None  # nothing said: forgotten
    bob = roster.get(BOB.key)
    assert bob is not None and not bob.is_online and bob.unread == 1
    assert not roster.anyone_online  # Everyone's hint says so again
    assert bob.addr == BOB.addr and bob.recipient() == Peer(
        BOB.addr, "bob", "bob-pc", nick="Bob", group="Sales"
    )
    assert roster.unread_total == 1
    roster.mark_read(BOB.key)
    assert roster.unread_total == 0


def test_only_recent_offline_conversations_are_listed_unless_unread_or_filtered(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    total = RECENT_OFFLINE + 5
    for n in range(total):
        store.record_outgoing(f"u{n}@pc", ("127.0.0.1", 3000 + n), n, "x", 1.0 + n, sender="me")
    roster = Roster()
    roster.load(store.conversations())
    roster.note_message("u0@pc", 1.0, unread=True)  # the oldest, but unread
    listed = [row.contact.key for row in roster.rows() if isinstance(row, Entry)]
    # Everyone, the unread one on top, then the most recent up to RECENT_OFFLINE in all.
    assert len(listed) == 1 + RECENT_OFFLINE and listed[1] == "u0@pc"
    assert listed[-1] == f"u{total - RECENT_OFFLINE + 1}@pc" and "u1@pc" not in listed
    assert [r.contact.key for r in roster.rows("u1@") if isinstance(r, Entry)] == ["u1@pc"]
