"""The peer filter: "no matches" when nothing matches, cleared by a pick or by Escape."""

from __future__ import annotations

from .conftest import Lan
from .driver import SIZE, Ui


async def test_the_filter_says_no_matches_and_clears_after_a_pick_or_escape(lan: Lan) -> None:
    await lan.peer("Bob", knows=("Ann",))
    await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        await pilot.press("slash", *"zzz")
        await ui.until(lambda: ui.options() == ["no matches"])
        assert ui.listed() == []
        await pilot.press("escape")  # in the filter box: clears it
        await ui.until_count(3)

        # A pick clears the filter: the list is whole again, the picked peer open.
        await pilot.press("slash", *"car", "enter")
        assert ui.focus == "input"
        assert ui.open_key == "carol@carol-pc"
        await ui.until_count(3)
        assert ui.filter_text() == ""

        # Escape on the list clears it too, and the list keeps its highlight.
        await pilot.press("escape")
        assert ui.focus == "sidebar"
        await pilot.press("slash", *"bo", "down")
        await ui.until(lambda: ui.listed() == ["bob@bob-pc"])
        assert ui.focus == "sidebar"
        await pilot.press("escape")
        await ui.until_count(3)
        assert ui.filter_text() == ""
        assert ui.focus == "sidebar"
        assert ui.open_key == "bob@bob-pc"
