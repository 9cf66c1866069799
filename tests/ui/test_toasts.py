"""Toasts never cover the input box."""

from __future__ import annotations

from textual.widgets._toast import Toast

from .conftest import Lan, wait_for
from .test_story import listed


async def test_a_toast_leaves_the_input_box_clear(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    for size in ((100, 30), (60, 20)):
        app = await lan.app("Ann", knows=("Bob", "Carol"))
        async with app.run_test(size=size, notifications=True) as pilot:
            await wait_for(pilot, lambda app=app: len(listed(app)) == 3)
            await pilot.press("tab", *"typing away")  # writing to Everyone
            for peer in (bob, carol):
                peer.node.send_message([("127.0.0.1", app.settings.port)], "are you there?")
            await wait_for(pilot, lambda app=app: len(app.screen.query(Toast)) >= 1)
            await pilot.pause(0.3)
            composer = app.composer.region
            for toast in app.screen.query(Toast):
                assert not toast.region.overlaps(composer), (size, toast.region, composer)
