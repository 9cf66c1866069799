"""How a message travelled is kept with it (encrypted, signed, key changed, no key), and the
app's own lines (notices) sit in the conversation without being the peer's words."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ipmsg_tui.history import HistoryRecorder
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.direction import Direction
from ipmsg_tui.protocol.engine import OutgoingMessage
from ipmsg_tui.protocol.events import MessageReceived
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import Flag, HistoryStore, MessageState

TARO = Peer(("10.0.0.2", 2425), "taro", "WINPC", nick="太郎")


def test_marks_survive_a_reopen_and_accepting_clears_key_changed(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    signed = MessageReceived(TARO, 10, "hi", 100.0, encrypted=True, decrypted=True, signed=True)
    changed = MessageReceived(
        TARO, 11, "me", 101.0, encrypted=True, decrypted=True, signed=True, key_changed=True
    )
    unsigned = MessageReceived(TARO, 12, "feiq", 102.0, encrypted=True, decrypted=True)
    for event in (signed, changed, unsigned):
        store.record_incoming(event)
    out = store.record_outgoing(
        TARO.key, TARO.addr, 20, "yo", 103.0, sender="Ann", flags=Flag.ENCRYPTED
    )
    [marked] = store.change_flags(
        TARO.addr, 20, Direction.OUT, add=Flag.NO_KEY, remove=Flag.ENCRYPTED
    )
    assert marked.id == out.id and marked.flags == Flag.NO_KEY
    notice = store.record_notice(TARO.key, TARO.addr, 13, "⚠ could not be verified", 104.0, TARO)
    assert notice.is_notice and notice.sender == "" and notice.incoming
    store.close()

    again = HistoryStore(path)
    rows = again.messages(TARO.key)
    flags = [r.flags for r in rows]
    base = Flag.ENCRYPTED | Flag.DECRYPTED
    assert flags == [
        base | Flag.SIGNED,
        base | Flag.SIGNED | Flag.KEY_CHANGED,
        base,
        Flag.NO_KEY,
        Flag.NOTICE,
    ]
    assert again.conversation(TARO.key).unread == 3  # type: ignore[union-attr]  # not the notice
    [accepted] = again.clear_flag(TARO.key, Flag.KEY_CHANGED)
    assert accepted.packet_no == 11 and accepted.flags == base | Flag.SIGNED
    assert not any(r.flags & Flag.KEY_CHANGED for r in again.messages(TARO.key))
    again.close()


def test_a_database_from_before_encryption_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    db = sqlite3.connect(path)  # a row as an older version wrote it: flags without new bits
    db.execute("INSERT INTO conversations (key) VALUES ('taro@WINPC')")
    db.execute(
        "INSERT INTO messages (conversation_id, direction, ts, packet_no, ip, port, sender, "
        "text, flags, state) VALUES (1, 'in', 1.0, 5, '10.0.0.2', 2425, 'taro', 'old', 33, "
        "'received')"
    )
    db.commit()
    db.close()
    store = HistoryStore(path)
    [row] = store.messages("taro@WINPC")
    assert row.flags == Flag.SEALED | Flag.ENCRYPTED and not row.is_notice
    assert row.state is MessageState.RECEIVED
    store.close()


def test_no_key_for_one_of_several_recipients_is_a_line_not_a_mark_on_all(
    tmp_path: Path,
) -> None:
    """The message to several loses its encrypted mark, is not marked "no key" as a whole
    (it went encrypted to the others), and a line says to whom it went in clear: in its
    conversation and that recipient's."""
    jiro = Peer(("10.0.0.3", 2425), "jiro", "JIROPC", nick="次郎")
    store = HistoryStore(tmp_path / "history.sqlite3")
    recorder = HistoryRecorder(store)
    part = OutgoingMessage(30, "stand-up", (TARO.addr, jiro.addr))
    security = {TARO.addr: Flag.ENCRYPTED, jiro.addr: Flag.ENCRYPTED}
    [sent] = recorder.record_sent([part], [TARO, jiro], "Ann", 100.0, security=security)
    assert sent.flags & Flag.ENCRYPTED
    # The first recipient's address is the row's own: still not marked as a whole.
    for who, name in ((TARO, "太郎"), (jiro, "次郎")):
        rows = recorder.on_event(ev.KeyMissing(who.addr, 30, sent_in_clear=True))
        assert rows is not None
        row, *notices = rows
        assert row.id == sent.id and not row.flags & (Flag.ENCRYPTED | Flag.NO_KEY)
        line = f"⚠ Sent unencrypted to {name}: no key from {name}"
        assert [(n.conversation, n.text, n.is_notice) for n in notices] == [
            (c, line, True) for c in dict.fromkeys([TARO.key, who.key])
        ]
    refused = recorder.on_event(ev.KeyMissing(jiro.addr, 30, sent_in_clear=False))
    assert refused is not None and "Not sent to 次郎" in refused[-1].text
    store.close()
