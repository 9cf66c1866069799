"""Transfers across a restart of the app, and the question before quitting with files moving.

Real apps and file services on 127.0.0.1, real files; the database is the app's own."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.net.transfers import TransferState
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.ui.screens.confirm_quit import ConfirmQuit
from ipmsg_tui.ui.screens.transfers import TransfersScreen

from ..support.trees import random_file, sha256
from .conftest import Lan, wait_for
from .driver import Ui
from .test_files import answer_offer, hit, panel_text, send_files, shown, sparse_file
from .test_story import SIZE, listed


async def test_the_panel_lists_earlier_downloads_after_a_restart_and_retry_resumes(
    lan: Lan, tmp_path: Path
) -> None:
    sam = await lan.peer("Sam", knows=("Ann",), files=True)
    video = random_file(tmp_path / "outbox" / "video.bin", 3 * 1024 * 1024, seed=21)
    whole = video.read_bytes()
    first = await lan.app("Ann", knows=("Sam",))
    async with first.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "sam@sam-pc" in listed(first))
        await sam.files.send([("127.0.0.1", lan.port_of("Ann"))], "the video", [video])
        await wait_for(pilot, lambda: Ui(first, pilot).contact("sam@sam-pc").unread == 1)
        video.write_bytes(whole[:1_000_000])  # the first attempt breaks off mid-way
        await pilot.press("down")
        await answer_offer(pilot, first, "a")
        await wait_for(pilot, lambda: "Enter or click: retry · decline" in shown(first))
    part = lan.tmp_path / "Ann-downloads" / "video.bin.part"
    assert part.stat().st_size == 1_000_000
    video.write_bytes(whole)

    second = await lan.app("Ann", knows=("Sam",))
    async with second.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "sam@sam-pc" in listed(second))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(second.screen, TransfersScreen))
        await wait_for(pilot, lambda: "video.bin" in panel_text(second))
        assert "from Sam" in panel_text(second) and "before the end" in panel_text(second)
        await wait_for(pilot, lambda: Ui(second, pilot).contact("sam@sam-pc").is_online)
        await pilot.press("r")
        landed = lan.tmp_path / "Ann-downloads" / "video.bin"
        await wait_for(pilot, lambda: landed.exists())
        assert sha256(landed) == sha256(video) and not part.exists()
        (download,) = lan.service("Ann").files.transfers
        assert download.offset == 1_000_000  # asked from the offset, into the same .part
        await wait_for(pilot, lambda: "✓ saved to" in panel_text(second))
        await pilot.press("escape")
        await pilot.press("down")  # Sam's conversation: the message says where it went
        await wait_for(pilot, lambda: "✓ saved to" in shown(second))


async def test_ctrl_q_asks_only_while_offers_wait_or_transfers_run(
    lan: Lan, tmp_path: Path
) -> None:
    bob = await lan.peer("Bob", knows=("Ann",), files=True)
    image = sparse_file(tmp_path / "outbox" / "disk.img", 1 << 30)
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down", "tab")
        await send_files(pilot, app, image)
        await wait_for(pilot, lambda: bob.file_events)  # Bob has the offer, not the file
        await pilot.press("ctrl+q")
        ui = Ui(app, pilot)
        await ui.until_dialog(ConfirmQuit)
        what = ui.dialog_text("#confirm-what")
        assert "1 offer not fetched yet" in what
        await pilot.press("n")  # stay
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmQuit))
        assert app.is_running and not bob.of(ev.PeerLeft)

        # Bob starts downloading: now a transfer runs too.
        (offer,) = [e.offer for e in bob.file_events if hasattr(e, "offer")]
        (download,) = bob.files.download_all(offer)
        await wait_for(pilot, lambda: download.state == TransferState.RUNNING)
        await wait_for(pilot, lambda: lan.service("Ann").files.transfers)
        await hit(pilot, "ctrl+q")
        await ui.until_dialog(ConfirmQuit)
        what = ui.dialog_text("#confirm-what")
        assert "1 upload and 1 offer not fetched yet" in what
        await hit(pilot, "escape")  # Escape stays too
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmQuit))
        assert app.is_running

        await hit(pilot, "ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        await hit(pilot, "y")
        await wait_for(pilot, lambda: bob.of(ev.PeerLeft), timeout=15)
    assert app.return_code == 0
    assert await download.wait() == TransferState.FAILED  # the upload ended with Ann
