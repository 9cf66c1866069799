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


async def test_a_click_on_a_message_toast_opens_its_conversation(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        app.commands.chat_with("carol@carol-pc")
        bob.node.send_message([("127.0.0.1", app.settings.port)], "lunch?")
        await wait_for(pilot, lambda: len(app.screen.query(Toast)) == 1)
        await pilot.pause(0.3)  # the toast slides in
        assert await pilot.click(Toast)
        await wait_for(pilot, lambda: app.open_key == "bob@bob-pc")
        assert [r.text for r in app.chat_log.rows] == ["lunch?"]
        assert app.peer_list.highlighted_key == "bob@bob-pc"
        assert app.roster.unread_total == 0
