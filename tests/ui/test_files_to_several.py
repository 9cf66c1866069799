"""Files to marked peers: one offer (one packet number, MULTICASTOPT) to the open peer and
every marked one; each downloads the file over real TCP on loopback."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.net.files import OfferReceived

from ..support.trees import random_file, sha256
from .conftest import Lan, wait_for
from .driver import Ui
from .test_files import send_files
from .test_story import SIZE


async def test_files_go_to_the_open_peer_and_the_marked_ones(lan: Lan, tmp_path: Path) -> None:
    bob = await lan.peer("Bob", knows=("Ann",), files=True)
    carol = await lan.peer("Carol", knows=("Ann",), files=True)
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    report = random_file(tmp_path / "outbox" / "report.pdf", 120_000, seed=3)
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        await pilot.press("down", "down", "space", "up")  # Carol marked, Bob's open
        assert ui.open_key == "bob@bob-pc" and ui.marked() == {"carol@carol-pc"}
        ui.focus_on("input")
        await send_files(pilot, app, report)
        await wait_for(pilot, lambda: bob.file_of(OfferReceived) and carol.file_of(OfferReceived))
        (to_bob,) = bob.file_of(OfferReceived)
        (to_carol,) = carol.file_of(OfferReceived)
        assert to_bob.offer.packet_no == to_carol.offer.packet_no  # one message to both
        assert ui.marked() == set()  # sent: the marks are cleared
        for peer, got in ((bob, to_bob), (carol, to_carol)):
            peer.files.download_all(got.offer)
            saved = peer.files.download_dir / "report.pdf"
            await wait_for(pilot, lambda saved=saved: saved.exists())  # type: ignore[misc]
            await wait_for(pilot, lambda saved=saved: sha256(saved) == sha256(report))  # type: ignore[misc]
        rows = ui.rows()
        assert len(rows) == 1 and {r.key for r in rows[0].recipients} == {
            "bob@bob-pc",
            "carol@carol-pc",
        }
