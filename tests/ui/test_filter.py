"""The peer filter: "no matches" when nothing matches, cleared by a pick or by Escape."""

from __future__ import annotations

from ipmsg_tui.ui.composer import Composer
from ipmsg_tui.ui.sidebar import PeerFilter, PeerList

from .conftest import Lan, wait_for
from .test_story import SIZE, listed


def filter_text(app) -> str:  # type: ignore[no-untyped-def]
    return app.query_one(PeerFilter).value  # type: ignore[no-any-return]


def prompts(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(option.prompt) for option in app.peer_list.options]


async def test_the_filter_says_no_matches_and_clears_after_a_pick_or_escape(lan: Lan) -> None:
    await lan.peer("Bob", knows=("Ann",))
    await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        await pilot.press("slash", *"zzz")
        await wait_for(pilot, lambda: prompts(app) == ["no matches"])
        assert listed(app) == []
        await pilot.press("escape")  # in the filter box: clears it
        await wait_for(pilot, lambda: len(listed(app)) == 3)

        # A pick clears the filter: the list is whole again, the picked peer open.
        await pilot.press("slash", *"car", "enter")
        assert isinstance(app.focused, Composer)
        assert app.open_key == "carol@carol-pc"
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        assert filter_text(app) == ""

        # Escape on the list clears it too, and the list keeps its highlight.
        await pilot.press("escape")
        assert isinstance(app.focused, PeerList)
        await pilot.press("slash", *"bo", "down")
        await wait_for(pilot, lambda: listed(app) == ["bob@bob-pc"])
        assert isinstance(app.focused, PeerList)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        assert filter_text(app) == ""
        assert isinstance(app.focused, PeerList)
        assert app.open_key == "bob@bob-pc"
