"""A conversation at its end stays at its end however the terminal is resized."""

from __future__ import annotations

from .conftest import Lan
from .driver import Ui
from .test_history_window import KEY, long_history

SIZES = [(60, 20), (100, 30), (60, 20), (72, 24), (130, 40), (60, 20)]


def last_visible(ui: Ui) -> str:
    """The last non-blank line the chat pane shows."""
    log = ui.chat_pane
    lines = log.plain_lines()
    top = log.scroll_offset.y
    shown = lines[top : top + log.scrollable_content_region.height]
    return next((line for line in reversed(shown) if line.strip()), "")


async def test_resizing_keeps_a_conversation_at_its_end(lan: Lan) -> None:
    app = await lan.app("Ann")
    long_history(lan.service("Ann").settings.history_path, 400)
    async with app.run_test(size=(100, 30)) as pilot:
        ui = Ui(app, pilot)
        await pilot.pause()
        await pilot.press("down")  # Everyone -> Bob (offline, with history)
        await pilot.pause()
        assert ui.open_key == KEY
        assert last_visible(ui) == "  message 399"
        for width, height in SIZES:
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            await pilot.pause()
            log = ui.chat_pane
            assert log.scroll_offset.y == log.max_scroll_y, (width, height)
            assert last_visible(ui) == "  message 399", (width, height)
        # What comes after a resize (a new message, a download's progress line) shows too.
        row = lan.service("Ann").store.record_outgoing(
            KEY, ("127.0.0.1", 9), 9999, "the newest", 1.9e9, sender="Ann"
        )
        ui.chat_pane.add(row)
        await pilot.pause()
        assert last_visible(ui) == "  the newest"


async def test_resizing_keeps_a_view_scrolled_back_on_its_message(lan: Lan) -> None:
    app = await lan.app("Ann")
    long_history(lan.service("Ann").settings.history_path, 400)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        log = Ui(app, pilot).chat_pane
        log.scroll_to(y=log.max_scroll_y - 40, animate=False)
        await pilot.pause()
        anchor = log._anchor()
        assert anchor is not None
        for width, height in SIZES:
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            await pilot.pause()
            assert log.scroll_offset.y < log.max_scroll_y, (width, height)
            now = log._anchor()
            assert now is not None and now[0] == anchor[0], (width, height)
