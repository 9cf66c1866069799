"""Quote reply: `q` on a message (or the palette) writes to its peer with the text quoted
("> " lines), the cursor on a new line below; what is sent carries the quote."""

from __future__ import annotations

from ipmsg_tui.ui.quote import quoted

from .conftest import Lan
from .driver import SIZE, Ui


def test_each_line_is_quoted_and_the_draft_follows() -> None:
    assert quoted("Lunch?\nAt noon\n") == "> Lunch?\n> At noon\n"
    assert quoted("a\n\nb") == "> a\n>\n> b\n"
    assert quoted("午饭?", "already typed") == "> 午饭?\nalready typed"


async def test_q_on_a_message_quotes_it_to_its_peer_and_the_reply_goes_with_it(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        bob.node.send_message([ui.addr], "Lunch?\nAt noon 午饭")
        await ui.until(lambda: ui.contact("bob@bob-pc").unread == 1)
        await pilot.press("down")  # Bob's conversation
        await ui.until(lambda: len(ui.rows()) == 1)
        ui.focus_on("messages")
        await pilot.press("q")
        assert ui.focus == "input"
        assert ui.draft() == "> Lunch?\n> At noon 午饭\n"
        assert ui.cursor() == (2, 0)  # on the new line below the quote
        await pilot.press(*"yes", "enter")
        await ui.until(lambda: bob.texts() == ["> Lunch?\n> At noon 午饭\nyes"])


async def test_the_palette_quotes_the_last_message_received(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await pilot.press("down")
        assert ui.open_key == "bob@bob-pc"
        bob.node.send_message([ui.addr], "first")
        bob.node.send_message([ui.addr], "second")
        await ui.until(lambda: len(ui.rows()) == 2)
        await pilot.press("ctrl+p", *"quote reply", "enter")
        await ui.until(lambda: ui.draft() == "> second\n")
        assert ui.focus == "input"
