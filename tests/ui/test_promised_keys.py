"""The keys README promises work as the bytes real terminals send for them (xterm, VTE
terminals and tmux without the kitty keyboard protocol), not just as Textual key names."""

from __future__ import annotations

import re
from pathlib import Path

from textual import events
from textual._xterm_parser import XTermParser

from .conftest import Lan
from .driver import SIZE, Ui

README = Path(__file__).resolve().parents[2] / "README.md"

# What xterm, VTE (GNOME Terminal, Tilix ...) and tmux send for these keys by default.
TERMINAL_BYTES = {
    "enter": "\r",
    "ctrl+j": "\n",
    "alt+enter": "\x1b\r",  # ESC CR: "meta sends escape"
    "shift+enter": "\r",  # no modifier reported without the kitty protocol
    "ctrl+enter": "\r",
}


def promised_keys(does: str) -> list[str]:
    """The keys README's keys table gives for the row whose last column is ``does``."""
    for line in README.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2] == does:
            names = re.split(r",|\(or |\bor\b|\)", cells[1])
            return [name.strip().lower() for name in names if name.strip()]
    raise AssertionError(f"README's keys table has no row {does!r}")


def as_terminal_sends(key: str) -> list[events.Key]:
    parser = XTermParser()
    parsed = [*parser.feed(TERMINAL_BYTES[key]), *parser.feed("")]
    return [event for event in parsed if isinstance(event, events.Key)]


async def test_every_key_readme_promises_for_a_new_line_adds_one(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    keys = promised_keys("new line")
    assert keys, "README promises no key for a new line"
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await pilot.press("down", "tab")
        assert ui.focus == "input"
        for key in keys:
            ui.clear_draft()
            await pilot.press("a")
            for event in as_terminal_sends(key):
                await pilot.press(event.key)
            await pilot.press("b")
            await pilot.pause()
            assert ui.draft() == "a\nb", f"{key} as a terminal sends it"
        assert bob.texts() == []  # none of them sent anything
