"""A message to several peers: one row, shown once in each recipient's conversation, with
each recipient's delivery state; resending to the ones that missed it; older databases,
which kept one row per recipient, migrate to that."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ipmsg_tui.history import HistoryRecorder
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.direction import Direction
from ipmsg_tui.protocol.engine import OutgoingMessage
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import Flag, HistoryStore, MessageState

ALICE = Peer(("10.77.0.1", 2425), "alice", "pc1", nick="Alice")
BOB = Peer(("10.77.0.2", 2425), "bob", "pc2", nick="Bob")
CAROL = Peer(("10.77.0.3", 2425), "carol", "pc3", nick="Carol")
TRIO = (ALICE, BOB, CAROL)


def _send(recorder: HistoryRecorder, packet_no: int, text: str, ts: float = 100.0) -> int:
    part = OutgoingMessage(packet_no, text, tuple(p.addr for p in TRIO))
    (row,) = recorder.record_sent([part], list(TRIO), "me", ts)
    return row.id


def test_one_row_shown_once_in_every_recipients_conversation(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    recorder = HistoryRecorder(store)
    message_id = _send(recorder, 500, "stand-up in 5")
    for peer in TRIO:
        (shown,) = store.messages(peer.key)
        assert shown.id == message_id and shown.text == "stand-up in 5"
        assert store.count(peer.key) == 1
        assert [m.id for m in store.history(peer.key)] == [message_id]
    (everything,) = store.history()
    assert everything.multicast and everything.state == MessageState.SENDING
    assert [r.name for r in everything.recipients] == ["Alice", "Bob", "Carol"]
    assert [r.key for r in everything.recipients] == [p.key for p in TRIO]
    assert everything.delivered_count == 0 and len(everything.not_delivered) == 3
    assert {c.key for c in store.conversations()} == {p.key for p in TRIO}
    for peer in TRIO:  # found in each one's conversation, once
        assert [h.message.id for h in store.search("stand-up", key=peer.key)] == [message_id]
    assert [h.message.id for h in store.search("stand-up")] == [message_id]


def test_delivery_per_recipient_then_resend_to_the_one_that_failed(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    recorder = HistoryRecorder(store)
    message_id = _send(recorder, 500, "who is in?")
    (after,) = recorder.on_event(ev.MessageDelivered(BOB.addr, 500)) or []
    assert after.state == MessageState.SENDING and after.delivered_count == 1
    recorder.on_event(ev.MessageDelivered(ALICE.addr, 500))
    (after,) = recorder.on_event(ev.MessageFailed(CAROL.addr, 500)) or []
    assert after.id == message_id and after.state == MessageState.FAILED
    assert after.delivered_count == 2
    assert [(r.name, r.state) for r in after.not_delivered] == [("Carol", MessageState.FAILED)]
    # A late duplicate answer changes nothing.
    assert recorder.on_event(ev.MessageDelivered(BOB.addr, 500)) == []

    resent = OutgoingMessage(501, "who is in?", (CAROL.addr,))
    requeued = recorder.record_resent(after, [resent])
    assert requeued.state == MessageState.SENDING
    (carol,) = requeued.not_delivered
    assert (carol.packet_no, carol.state) == (501, MessageState.SENDING)
    assert recorder.on_event(ev.MessageDelivered(CAROL.addr, 500)) == []  # the old number
    (done,) = recorder.on_event(ev.MessageDelivered(CAROL.addr, 501)) or []
    assert done.state == MessageState.DELIVERED and done.delivered_count == 3
    store.close()

    again = HistoryStore(path)  # it all survives a restart
    (kept,) = again.messages(CAROL.key)
    assert kept.state == MessageState.DELIVERED
    assert [r.state for r in kept.recipients] == [MessageState.DELIVERED] * 3


def test_sealed_to_several_is_opened_once_all_opened(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    recorder = HistoryRecorder(store)
    part = OutgoingMessage(700, "for your eyes", (BOB.addr, CAROL.addr))
    (row,) = recorder.record_sent([part], [BOB, CAROL], "me", 1.0, sealed=True)
    assert row.sealed and row.multicast
    # A read notice may overtake the receipt: "opened" is not downgraded.
    recorder.on_event(ev.MessageOpened(BOB.addr, 700))
    (after,) = recorder.on_event(ev.MessageDelivered(CAROL.addr, 700)) or []
    assert recorder.on_event(ev.MessageDelivered(BOB.addr, 700)) == []
    assert after.state == MessageState.DELIVERED
    (after,) = recorder.on_event(ev.MessageOpened(CAROL.addr, 700)) or []
    assert after.state == MessageState.OPENED


def test_paging_a_conversation_mixes_its_own_and_shared_messages(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    recorder = HistoryRecorder(store)
    expected: list[str] = []
    for number in range(30):
        if number % 3 == 0:
            _send(recorder, 1000 + number, f"all {number}")
            expected.append(f"all {number}")
        else:
            store.record_outgoing(
                BOB.key, BOB.addr, 1000 + number, f"bob {number}", 1.0, sender="me", peer=BOB
            )
            expected.append(f"bob {number}")
            store.record_outgoing(
                CAROL.key, CAROL.addr, 2000 + number, f"carol {number}", 1.0, sender="me"
            )
    newest = store.messages(BOB.key, limit=7)
    assert [m.text for m in newest] == expected[-7:]
    older = store.messages(BOB.key, before_id=newest[0].id, limit=7)
    assert [m.text for m in older] == expected[-14:-7]
    after = store.messages(BOB.key, after_id=older[-1].id, limit=3)
    assert [m.text for m in after] == expected[-7:-4]
    assert store.count(BOB.key) == 30
    assert [m.text for m in store.messages(ALICE.key)] == [t for t in expected if "all" in t]


def test_a_version_2_database_with_one_row_per_recipient_migrates(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = HistoryStore(path)
    for peer in TRIO:  # what version 2 wrote for a message to three peers
        store.record_outgoing(
            peer.key,
            peer.addr,
            42,
            "team lunch",
            5.0,
            sender="me",
            peer=peer,
            flags=Flag.MULTICAST,
        )
    store.set_state(ALICE.addr, 42, Direction.OUT, MessageState.DELIVERED)
    store.set_state(BOB.addr, 42, Direction.OUT, MessageState.FAILED)
    store.record_outgoing(BOB.key, BOB.addr, 43, "just bob", 6.0, sender="me", peer=BOB)
    assert store.search("lunch")  # indexed, to see the index follow the migration
    store.close()
    with sqlite3.connect(path) as raw:  # back to version 2: no recipients yet
        raw.execute("DROP TABLE recipients")
        raw.execute("PRAGMA user_version=2")
    assert len(_rows(path)) == 4

    migrated = HistoryStore(path)
    assert len(_rows(path)) == 2
    (lunch, bob_only) = migrated.history()
    assert lunch.text == "team lunch" and lunch.multicast and lunch.state == MessageState.SENDING
    assert [(r.key, r.state) for r in lunch.recipients] == [
        (ALICE.key, MessageState.DELIVERED),
        (BOB.key, MessageState.FAILED),
        (CAROL.key, MessageState.SENDING),
    ]
    assert bob_only.text == "just bob" and bob_only.recipients == ()
    assert [m.text for m in migrated.messages(CAROL.key)] == ["team lunch"]
    assert [h.message.id for h in migrated.search("lunch")] == [lunch.id]
    (after,) = migrated.set_state(CAROL.addr, 42, Direction.OUT, MessageState.DELIVERED)
    assert after.id == lunch.id and after.delivered_count == 2
    assert after.state == MessageState.FAILED  # bob's copy still failed
    migrated.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (3,)


def _rows(path: Path) -> list[tuple[int]]:
    with sqlite3.connect(path) as raw:
        return raw.execute("SELECT id FROM messages").fetchall()


def test_the_others_a_received_message_went_to_are_kept_with_known_nicks(tmp_path: Path) -> None:
    from ipmsg_tui.headless.history import message_line, message_record
    from ipmsg_tui.headless.output import event_record
    from ipmsg_tui.ui.chatrender import message_lines

    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    store.upsert_conversation(CAROL.key, CAROL)  # a peer we know: named by its nick
    others = (("carol", "pc3"), ("dave", "pc4"))
    event = ev.MessageReceived(ALICE, 700, "stand-up", 100.0, multicast=True, others=others)
    stored = store.record_incoming(event)
    assert stored is not None
    assert stored.also_to == (("carol@pc3", "Carol"), ("dave@pc4", ""))
    store.close()

    store = HistoryStore(path)  # as read back later
    (row,) = store.messages(ALICE.key)
    assert row.also_to == (("carol@pc3", "Carol"), ("dave@pc4", ""))
    header = message_lines(row, 100)[0].plain
    assert "to you and 2 others: Carol, dave" in header
    assert (
        message_line(row, "Alice")
        .split(" [", 1)[0]
        .endswith("from Alice (to you and 2 others: Carol, dave)")
    )
    assert message_record(row, "Alice")["also_to"] == [
        {"user": "carol", "host": "pc3", "nick": "Carol"},
        {"user": "dave", "host": "pc4", "nick": ""},
    ]
    record = event_record(event)
    assert record is not None and record["multicast"] is True
    assert record["also_to"] == [{"user": "carol", "host": "pc3"}, {"user": "dave", "host": "pc4"}]

    # Without a list (iptux, clear text): as before; forgetting the conversation takes all.
    plain = ev.MessageReceived(ALICE, 701, "lunch", 101.0, multicast=True)
    kept = store.record_incoming(plain)
    assert kept is not None and kept.also_to == ()
    assert "to you and others" in message_lines(kept, 100)[0].plain
    store.forget_conversation(ALICE.key)
    assert store._db.execute("SELECT count(*) FROM also_to").fetchone() == (0,)
