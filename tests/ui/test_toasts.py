"""Toasts never cover the input box."""

from __future__ import annotations

from textual.widgets._toast import Toast

from .conftest import Lan
from .driver import Ui


async def test_a_toast_leaves_the_input_box_clear(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    for size in ((100, 30), (60, 20)):
        app = await lan.app("Ann", knows=("Bob", "Carol"))
        async with app.run_test(size=size, notifications=True) as pilot:
            ui = Ui(app, pilot)
            await ui.until_count(3)
            await pilot.press("tab", *"typing away")  # writing to Everyone
            for peer in (bob, carol):
                peer.node.send_message([ui.addr], "are you there?")
            await ui.until(lambda ui=ui: len(ui.toast_widgets()) >= 1)
            await pilot.pause(0.3)
            composer = ui.region("input")
            for toast in ui.toast_widgets():
                assert not toast.region.overlaps(composer), (size, toast.region, composer)


async def test_a_click_on_a_message_toast_opens_its_conversation(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        ui.chat_with("carol@carol-pc")
        bob.node.send_message([ui.addr], "lunch?")
        await ui.until(lambda: len(ui.toast_widgets()) == 1)
        await pilot.pause(0.3)  # the toast slides in
        assert await pilot.click(Toast)
        await ui.until(lambda: ui.open_key == "bob@bob-pc")
        assert ui.messages() == ["lunch?"]
        assert ui.highlighted() == "bob@bob-pc"
        assert ui.unread_total() == 0
