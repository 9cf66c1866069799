"""Every dialog is usable at the smallest size README promises (60×20) and help text is
never cut off: it wraps inside the dialog."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, Tree

from ipmsg_tui.ui.screens.attach import AttachPicker
from ipmsg_tui.ui.screens.peer_info import PeerInfoScreen
from ipmsg_tui.ui.screens.prompt import TextPrompt

from .conftest import Lan, wait_for
from .driver import browse_from, shown_text
from .test_commands import run_command
from .test_story import listed

SIZES = [(110, 30), (60, 20)]


def letters(text: str) -> str:
    """The text without its spaces: a long path wraps anywhere, not only between words."""
    return "".join(text.split())


def assert_usable(app: Any, size: tuple[int, int]) -> None:
    """The dialog fits the screen, its texts show whole, its inputs and trees have room."""
    screen = app.screen
    dialog = screen.query_one(".dialog")
    assert screen.region.contains_region(dialog.region), (size, dialog.region)
    inside = dialog.content_region
    for text in screen.query(".dialog-help, .dialog-title").results(Static):
        whole = letters(str(text.content))
        assert inside.contains_region(text.region), (size, whole)
        assert letters(shown_text(app, text)) == whole, size
    for box in screen.query(Input):
        assert inside.contains_region(box.region), size
        assert box.content_region.height >= 1, size
    for tree in screen.query(Tree):
        assert inside.contains_region(tree.region), size
        assert tree.content_region.height >= 4, (size, tree.content_region)


async def check(pilot: Pilot[Any], kind: type[Any], size: tuple[int, int]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind))
    await pilot.pause(0.1)
    assert_usable(pilot.app, size)
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, kind))


@pytest.mark.parametrize("size", SIZES, ids=["110x30", "60x20"])
async def test_prompts_and_dialogs_fit_and_show_their_help_whole(
    lan: Lan, size: tuple[int, int]
) -> None:
    await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    folder = lan.tmp_path / "outbox"
    for name in ("letters", "photos", "music", "notes", "plans", "slides"):
        (folder / name).mkdir(parents=True)
    browse_from(app, folder)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down")  # Bob
        await pilot.press("f2")  # the away text
        await check(pilot, TextPrompt, size)
        await run_command(pilot, "peer encoding")
        await check(pilot, TextPrompt, size)
        await run_command(pilot, "download folder")
        await check(pilot, TextPrompt, size)
        await run_command(pilot, "add host")
        await check(pilot, TextPrompt, size)
        await pilot.press("f3")
        await check(pilot, PeerInfoScreen, size)
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, AttachPicker))
        tree = app.screen.query_one(Tree)
        await wait_for(pilot, lambda: bool(tree.root.children))
        await check(pilot, AttachPicker, size)
