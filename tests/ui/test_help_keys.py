"""F1 shows this app's keys for the focused pane, not Textual's generic editing keys."""

from __future__ import annotations

from typing import Any

from textual.widgets import KeyPanel, TextArea

from ipmsg_tui.ui.composer import Composer

from .conftest import Lan, wait_for
from .driver import Ui, screen_lines
from .test_story import SIZE


def panel_text(app: Any) -> str:
    panel = app.screen.query_one("HelpPanel")
    region = panel.region
    lines = screen_lines(app)[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


async def test_f1_in_the_input_box_shows_its_keys_not_the_text_areas(lan: Lan) -> None:
    app = await lan.app("Ann")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab")
        assert isinstance(app.focused, Composer)
        await pilot.press("f1")
        await wait_for(pilot, lambda: bool(app.screen.query(KeyPanel)))
        await pilot.pause(0.2)
        text = panel_text(app)
        for ours in ("Send", "New line", "Seal", "ctrl+j", "recall"):
            assert ours in text, ours
        generic = [b.description for b in TextArea.BINDINGS if hasattr(b, "description")]
        shown = [description for description in generic if description in text]
        assert shown == [], shown
        # Editing keys still work.
        await pilot.press(*"hello", "ctrl+w")
        assert Ui(app, pilot).draft() == ""
        await pilot.press("f1")
        await wait_for(pilot, lambda: not app.screen.query(KeyPanel))
