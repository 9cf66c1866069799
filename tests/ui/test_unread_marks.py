"""Signs of what is new: a divider above the first unread message when a conversation
opens, and "↓ N new" when messages arrive while one reads further up."""

from __future__ import annotations

from typing import Any

from ipmsg_tui.store import EVERYONE

from .conftest import Lan, wait_for
from .screen_text import screen_lines
from .test_story import SIZE, listed

KEY = "bob@bob-pc"


def pane_lines(app: Any) -> list[str]:
    region = app.chat_log.region
    return [line[region.x : region.right] for line in screen_lines(app)[region.y : region.bottom]]


def is_divider(line: str) -> bool:
    return line.strip().strip("─").strip() == "new"


async def test_a_divider_marks_the_first_unread_and_new_arrivals_are_counted(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    ann = ("127.0.0.1", app.settings.port)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: KEY in listed(app))
        bob.node.send_message([ann], "read before")
        await wait_for(pilot, lambda: app.roster.contacts[KEY].unread == 1)
        await pilot.press("down")  # read it
        await pilot.press("up")  # back to Everyone
        assert app.open_key == EVERYONE
        for number in range(20):
            bob.node.send_message([ann], f"unread {number}")
        await wait_for(pilot, lambda: app.roster.contacts[KEY].unread == 20)
        await pilot.press("down")
        assert app.open_key == KEY
        await pilot.pause(0.1)
        lines = pane_lines(app)
        # 20 messages fill more than the pane: it opens at the divider, the first unread next.
        dividers = [i for i, line in enumerate(lines) if is_divider(line)]
        assert len(dividers) == 1, lines
        after = [line for line in lines[dividers[0] + 1 :] if line.strip()]
        assert "unread 0" in after[1], lines
        assert not any("↓" in line for line in lines)

        # Scrolled back, new messages are counted at the bottom of the pane.
        bob.node.send_message([ann], "one more")
        bob.node.send_message([ann], "and another")
        await wait_for(pilot, lambda: len(app.chat_log.rows) == 23)
        await pilot.pause(0.1)
        assert "↓ 2 new" in pane_lines(app)[-1]
        log = app.chat_log
        log.scroll_to(y=log.max_scroll_y, animate=False)  # read down to them
        await pilot.pause(0.1)
        assert not any("↓" in line for line in pane_lines(app))
        assert "and another" in "".join(pane_lines(app))


async def test_few_unread_messages_open_at_the_end_with_their_divider(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    ann = ("127.0.0.1", app.settings.port)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: KEY in listed(app))
        for text in ("first", "second"):
            bob.node.send_message([ann], text)
        await wait_for(pilot, lambda: app.roster.contacts[KEY].unread == 2)
        await pilot.press("down")
        await pilot.pause(0.1)
        log = app.chat_log
        assert log.scroll_offset.y == log.max_scroll_y
        lines = [line.strip() for line in log.plain_lines()]
        divider = next(i for i, line in enumerate(lines) if is_divider(line))
        assert "first" in " ".join(lines[divider:]) and "first" not in " ".join(lines[:divider])


async def test_ctrl_n_jumps_to_the_next_unread_conversation(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    await lan.peer("Dave", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol", "Dave"), retry_count=20)
    ann = ("127.0.0.1", app.settings.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 4)
        await pilot.press("tab", *"half a note")  # typing to Everyone
        carol.node.send_message([ann], "from carol")
        bob.node.send_message([ann], "from bob")
        await wait_for(pilot, lambda: app.roster.unread_total == 2)
        await pilot.press("ctrl+n")  # from the input box, in list order: Bob, then Carol
        assert app.open_key == KEY and app.peer_list.highlighted_key == KEY
        assert [r.text for r in app.chat_log.rows] == ["from bob"]
        await pilot.press("ctrl+n")
        assert app.open_key == "carol@carol-pc"
        assert app.roster.unread_total == 0
        await pilot.press("ctrl+n")  # none left: it says so and stays
        assert app.open_key == "carol@carol-pc"
        await wait_for(pilot, lambda: any("No unread" in n.message for n in app._notifications))
        app.commands.chat_with(EVERYONE)
        assert app.composer.text == "half a note"  # the draft waited
