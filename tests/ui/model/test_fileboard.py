"""What the chat says under a message with files, from stored rows (real SQLite) and the
transfers heard of this session."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.net.transfers import Direction, Transfer, TransferState
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import HistoryStore
from ipmsg_tui.ui.model.fileboard import FileBoard, key_of
from ipmsg_tui.ui.model.paths import tilde

BOB = Peer(("127.0.0.1", 2501), "bob", "bob-pc", nick="Bob")
REPORT = Attachment(1, "report.pdf", 2048, 0)


def test_our_offer_reads_as_its_outcome(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    row = store.record_outgoing(
        BOB.key, BOB.addr, 7, "the report", 1.0, sender="me", attachments=(REPORT,)
    )
    board = FileBoard()
    view = board.view(row, "Bob")
    assert view is not None and view.files == [None]
    assert view.hint is not None and view.hint[0].startswith("no longer offered")
    board.offer_ended(7, BOB.addr, "fetched")
    board.offer_ended(7, BOB.addr, "expired")  # after a download, an expiry changes nothing
    view = board.view(row, "Bob")
    assert view is not None and view.hint == ("✓ Bob has downloaded them", "$success")


async def test_their_offer_shows_each_download_and_what_enter_does(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    event = ev.MessageReceived(BOB, 9, "files for you", 1.0, attachments=(REPORT,))
    row = store.record_incoming(event)
    assert row is not None
    board = FileBoard()
    view = board.view(row, "Bob")
    assert view is not None and view.hint is not None
    assert view.hint[0] == "offered in an earlier session · Enter to try to download"
    saved = tmp_path / "report.pdf"
    transfer = Transfer(Direction.IN, BOB.addr, "Bob", REPORT, 9, path=saved, total=2048)
    assert board.track(transfer) == key_of(row)
    transfer.begin()
    view = board.view(row, "Bob")
    assert view is not None and view.files[0] is not None
    assert view.files[0][0].startswith("⇣ 0%")
    assert view.hint == ("Enter or click: cancel · ctrl+t: transfers", "italic $text-muted")
    transfer.advance(2048)
    transfer.end(TransferState.DONE)
    view = board.view(row, "Bob")
    assert view is not None and view.hint is None  # every file says where it went
    assert view.files == [(f"✓ saved to {tilde(saved)}", "$success")]
    assert list(board.transfers.values()) == [transfer]
    assert board.forget(transfer) == key_of(row) and not board.transfers
