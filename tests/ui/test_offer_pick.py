"""An offer of several files: some are ticked off in the dialog; only the ticked ones are
downloaded (over real TCP on loopback), the rest stay offered."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import SelectionList

from ipmsg_tui.ui.screens.offer import OfferScreen

from ..support.trees import random_file, sha256
from .conftest import Lan, wait_for
from .test_files import open_last_message, shown
from .test_story import SIZE, listed


async def test_only_the_ticked_files_of_an_offer_are_downloaded(lan: Lan, tmp_path: Path) -> None:
    sam = await lan.peer("Sam", knows=("Ann",), files=True)
    app = await lan.app("Ann", knows=("Sam",))
    outbox = tmp_path / "outbox"
    files = [random_file(outbox / f"part{n}.bin", 50_000 + n, seed=n) for n in range(3)]
    downloads = lan.service("Ann").download_dir
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "sam@sam-pc" in listed(app))
        await pilot.press("down")
        await sam.files.send([("127.0.0.1", lan.port_of("Ann"))], "three parts", files)
        await wait_for(pilot, lambda: "accept · save as · decline" in shown(app))
        await open_last_message(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, OfferScreen))
        screen = app.screen
        assert isinstance(screen, OfferScreen)
        pick = screen.query_one("#offer-pick", SelectionList)
        assert len(pick.selected) == 3  # all ticked to begin with
        pick.focus()
        await pilot.press("down")
        await wait_for(pilot, lambda: pick.highlighted is not None)
        while pick.highlighted != 1:
            await pilot.press("down")
        await pilot.press("space")  # part1.bin out
        assert len(screen.ticked) == 2
        await pilot.press("a")
        await wait_for(pilot, lambda: not isinstance(app.screen, OfferScreen))
        for kept in (files[0], files[2]):
            await wait_for(pilot, lambda kept=kept: (downloads / kept.name).exists())  # type: ignore[misc]
            await wait_for(pilot, lambda kept=kept: sha256(downloads / kept.name) == sha256(kept))  # type: ignore[misc]
        await asyncio.sleep(0.3)
        assert not (downloads / "part1.bin").exists()
        assert not list(downloads.glob("part1.bin*"))  # not even begun
