"""A first run with nobody online says why that may be and what to do."""

from __future__ import annotations

from .conftest import Lan
from .driver import SIZE, Ui


def pane(ui: Ui) -> str:
    region = ui.region("messages")
    lines = ui.screen_lines()[region.y : region.bottom]
    return " ".join(line[region.x : region.right].strip() for line in lines)


async def test_nobody_online_gives_a_hint_which_goes_when_someone_answers(lan: Lan) -> None:
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await pilot.pause()
        assert ui.open_key == "*" and ui.listed() == ["*"]
        text = pane(ui)
        assert f"firewall may block UDP port {ui.port}" in text, text
        assert "F5 asks everyone again" in text and "Add host" in text
        await lan.peer("Bob", knows=("Ann",))
        await ui.until_listed("bob@bob-pc")
        await ui.until(lambda: "Nothing sent to everyone yet" in pane(ui))
        assert "firewall" not in pane(ui)
