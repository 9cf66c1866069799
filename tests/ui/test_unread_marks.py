"""Signs of what is new: a divider above the first unread message when a conversation
opens, and "↓ N new" when messages arrive while one reads further up."""

from __future__ import annotations

from ipmsg_tui.store import EVERYONE

from .conftest import Lan
from .driver import Ui
from .test_story import SIZE

KEY = "bob@bob-pc"


def pane_lines(ui: Ui) -> list[str]:
    region = ui.region("messages")
    return [line[region.x : region.right] for line in ui.screen_lines()[region.y : region.bottom]]


def is_divider(line: str) -> bool:
    return line.strip().strip("─").strip() == "new"


async def test_a_divider_marks_the_first_unread_and_new_arrivals_are_counted(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    ann = ("127.0.0.1", lan.port_of("Ann"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed(KEY)
        bob.node.send_message([ann], "read before")
        await ui.until(lambda: ui.contact(KEY).unread == 1)
        await pilot.press("down")  # read it
        await pilot.press("up")  # back to Everyone
        assert ui.open_key == EVERYONE
        for number in range(20):
            bob.node.send_message([ann], f"unread {number}")
        await ui.until(lambda: ui.contact(KEY).unread == 20)
        await pilot.press("down")
        assert ui.open_key == KEY
        await pilot.pause(0.1)
        lines = pane_lines(ui)
        # 20 messages fill more than the pane: it opens at the divider, the first unread next.
        dividers = [i for i, line in enumerate(lines) if is_divider(line)]
        assert len(dividers) == 1, lines
        after = [line for line in lines[dividers[0] + 1 :] if line.strip()]
        assert "unread 0" in after[1], lines
        assert not any("↓" in line for line in lines)

        # Scrolled back, new messages are counted at the bottom of the pane.
        bob.node.send_message([ann], "one more")
        bob.node.send_message([ann], "and another")
        await ui.until(lambda: len(ui.rows()) == 23)
        await pilot.pause(0.1)
        assert "↓ 2 new" in pane_lines(ui)[-1]
        log = ui.chat_pane
        log.scroll_to(y=log.max_scroll_y, animate=False)  # read down to them
        await pilot.pause(0.1)
        assert not any("↓" in line for line in pane_lines(ui))
        assert "and another" in "".join(pane_lines(ui))


async def test_few_unread_messages_open_at_the_end_with_their_divider(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    ann = ("127.0.0.1", lan.port_of("Ann"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed(KEY)
        for text in ("first", "second"):
            bob.node.send_message([ann], text)
        await ui.until(lambda: ui.contact(KEY).unread == 2)
        await pilot.press("down")
        await pilot.pause(0.1)
        log = ui.chat_pane
        assert log.scroll_offset.y == log.max_scroll_y
        lines = [line.strip() for line in log.plain_lines()]
        divider = next(i for i, line in enumerate(lines) if is_divider(line))
        assert "first" in " ".join(lines[divider:]) and "first" not in " ".join(lines[:divider])


async def test_ctrl_n_jumps_to_the_next_unread_conversation(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    await lan.peer("Dave", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol", "Dave"), retry_count=20)
    ann = ("127.0.0.1", lan.port_of("Ann"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(4)
        await pilot.press("tab", *"half a note")  # typing to Everyone
        carol.node.send_message([ann], "from carol")
        bob.node.send_message([ann], "from bob")
        await ui.until(lambda: ui.unread_total() == 2)
        await pilot.press("ctrl+n")  # from the input box, in list order: Bob, then Carol
        assert ui.open_key == KEY and ui.highlighted() == KEY
        assert ui.messages() == ["from bob"]
        await pilot.press("ctrl+n")
        assert ui.open_key == "carol@carol-pc"
        assert ui.unread_total() == 0
        await pilot.press("ctrl+n")  # none left: it says so and stays
        assert ui.open_key == "carol@carol-pc"
        await ui.until(lambda: any("No unread" in text for text in ui.toasts()))
        ui.chat_with(EVERYONE)
        assert ui.draft() == "half a note"  # the draft waited
