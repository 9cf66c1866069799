"""Directions are one type in the history and on the disk, as 'in' and 'out' were before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ipmsg_tui.protocol.direction import Direction
from ipmsg_tui.protocol.events import MessageReceived
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import HistoryStore, MessageState

BOB = Peer(("127.0.0.2", 2425), "bob", "pc", nick="Bob")


def test_directions_survive_a_reopen_and_are_stored_as_before(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    store.record_outgoing(BOB.key, BOB.addr, 10, "hi", 1.0, sender="me", peer=BOB)
    store.record_incoming(MessageReceived(BOB, 20, "hello", 2.0))
    store.close()

    with sqlite3.connect(path) as raw:  # what older versions wrote and read
        stored = raw.execute("SELECT direction, packet_no FROM messages ORDER BY id").fetchall()
    assert stored == [("out", 10), ("in", 20)]

    again = HistoryStore(path)
    sent, received = again.messages(BOB.key)
    assert (sent.direction, sent.incoming) == (Direction.OUT, False)
    assert (received.direction, received.incoming) == (Direction.IN, True)
    assert type(sent.direction) is Direction
    (opened,) = again.set_state(BOB.addr, 20, Direction.IN, MessageState.OPENED)
    assert opened.id == received.id
    assert again.set_state(BOB.addr, 20, Direction.OUT, MessageState.OPENED) == []
