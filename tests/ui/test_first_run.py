"""A first run with nobody online says why that may be and what to do."""

from __future__ import annotations

from typing import Any

from .conftest import Lan, wait_for
from .screen_text import screen_lines
from .test_story import SIZE, listed


def pane(app: Any) -> str:
    region = app.chat_log.region
    lines = screen_lines(app)[region.y : region.bottom]
    return " ".join(line[region.x : region.right].strip() for line in lines)


async def test_nobody_online_gives_a_hint_which_goes_when_someone_answers(lan: Lan) -> None:
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.open_key == "*" and listed(app) == ["*"]
        text = pane(app)
        assert f"firewall may block UDP port {app.settings.port}" in text, text
        assert "F5 asks everyone again" in text and "Add host" in text
        await lan.peer("Bob", knows=("Ann",))
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await wait_for(pilot, lambda: "Nothing sent to everyone yet" in pane(app))
        assert "firewall" not in pane(app)
