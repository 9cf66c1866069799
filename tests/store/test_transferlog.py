"""The downloads table: what the file service writes comes back after reopening the file,
beside the messages of the same history database."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.store import HistoryStore
from ipmsg_tui.transferlog import MAX_REMEMBERED, TransferLog


def _add(log: TransferLog, packet_no: int, now: float = 100.0) -> int:
    return log.add(
        packet_no=packet_no,
        addr=("10.0.0.2", 2425),
        user="amin",
        host="pc-7",
        peer_name="阿明",
        version="1_ipmsg-tui 0.1.0",
        attachment=Attachment(42, "报告:v2.pdf", 123456, 1_700_000_000, 1, ((0x14, 7),)),
        folder=Path("/home/me/Downloads"),
        name="报告_v2.pdf",
        state="queued",
        now=now,
    )


def test_a_download_written_comes_back_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)  # the message store and the table share the file
    log = TransferLog(path)
    row = _add(log, 7)
    log.update(
        row,
        addr=("10.0.0.9", 2425),
        part=Path("/home/me/Downloads/报告_v2.pdf.part"),
        path=None,
        done=5000,
        state="interrupted",
        failure=None,
        error="cancelled",
        now=200.0,
    )
    log.close()
    store.close()

    (saved,) = TransferLog(path).downloads()
    assert (saved.packet_no, saved.ip, saved.user, saved.host) == (7, "10.0.0.9", "amin", "pc-7")
    assert saved.attachment == Attachment(42, "报告:v2.pdf", 123456, 1_700_000_000, 1, ((0x14, 7),))
    assert saved.part == Path("/home/me/Downloads/报告_v2.pdf.part") and saved.path is None
    assert (saved.done, saved.state, saved.updated, saved.created) == (
        5000,
        "interrupted",
        200,
        100,
    )
    assert HistoryStore(path).conversations() == []  # the messages' tables are untouched


def test_only_the_newest_rows_are_listed_the_rest_await_clean_up(tmp_path: Path) -> None:
    log = TransferLog(tmp_path / "h.sqlite3")
    rows = [_add(log, n) for n in range(MAX_REMEMBERED + 3)]
    listed = log.downloads()
    assert [s.id for s in listed] == rows[3:]  # oldest first
    assert sorted(s.id for s in log.beyond_limit()) == rows[:3]
    log.remove(rows[0])
    assert len(log.beyond_limit()) == 2
