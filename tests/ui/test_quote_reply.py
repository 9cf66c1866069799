"""Quote reply: `q` on a message (or the palette) writes to its peer with the text quoted
("> " lines), the cursor on a new line below; what is sent carries the quote."""

from __future__ import annotations

from ipmsg_tui.ui.quote import quoted

from .conftest import Lan, wait_for
from .test_story import SIZE, listed


def test_each_line_is_quoted_and_the_draft_follows() -> None:
    assert quoted("Lunch?\nAt noon\n") == "> Lunch?\n> At noon\n"
    assert quoted("a\n\nb") == "> a\n>\n> b\n"
    assert quoted("午饭?", "already typed") == "> 午饭?\nalready typed"


async def test_q_on_a_message_quotes_it_to_its_peer_and_the_reply_goes_with_it(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        bob.node.send_message([("127.0.0.1", app.settings.port)], "Lunch?\nAt noon 午饭")
        await wait_for(pilot, lambda: app.roster.contacts["bob@bob-pc"].unread == 1)
        await pilot.press("down")  # Bob's conversation
        await wait_for(pilot, lambda: len(app.chat_log.rows) == 1)
        app.chat_log.focus()
        await pilot.press("q")
        composer = app.composer
        assert composer.has_focus
        assert composer.text == "> Lunch?\n> At noon 午饭\n"
        assert composer.cursor_location == (2, 0)  # on the new line below the quote
        await pilot.press(*"yes", "enter")
        await wait_for(pilot, lambda: bob.texts() == ["> Lunch?\n> At noon 午饭\nyes"])


async def test_the_palette_quotes_the_last_message_received(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down")
        assert app.open_key == "bob@bob-pc"
        bob.node.send_message([("127.0.0.1", app.settings.port)], "first")
        bob.node.send_message([("127.0.0.1", app.settings.port)], "second")
        await wait_for(pilot, lambda: len(app.chat_log.rows) == 2)
        await pilot.press("ctrl+p", *"quote reply", "enter")
        await wait_for(pilot, lambda: app.composer.text == "> second\n")
        assert app.composer.has_focus
