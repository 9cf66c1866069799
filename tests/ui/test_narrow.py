"""Narrow terminals: long names keep the unread count in sight, the footer draws clean."""

from __future__ import annotations

import pytest

from .conftest import Lan
from .driver import Ui

LONG_NICK = "Bartholomew Fitzgerald-Montgomery III"  # 37 characters; peers get up to 39
WIDE_NICK = "阿明的超级长的名字用来测试宽字符是否丢失"


def sidebar_lines(ui: Ui) -> list[str]:
    region = ui.region("sidebar")
    return [line[region.x : region.right] for line in ui.screen_lines()[region.y : region.bottom]]


@pytest.mark.parametrize("nick", [LONG_NICK, WIDE_NICK], ids=["latin", "cjk"])
@pytest.mark.parametrize("width", [60, 100, 140])
async def test_a_long_nick_leaves_the_unread_count_in_sight(
    lan: Lan, nick: str, width: int
) -> None:
    bob = await lan.peer("Bob", knows=("Ann",), nick=nick)
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=(width, 24)) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        for count in range(1, 4):
            bob.node.send_message([ui.addr], f"hello {count}")
        await ui.until(lambda: ui.contact("bob@bob-pc").unread == 3)
        await ui.until(lambda: any(nick[:4] in line for line in sidebar_lines(ui)))
        await pilot.pause(0.1)
        row = next(line for line in sidebar_lines(ui) if nick[:4] in line)
        assert " 3 " in row, row  # the whole badge
        # The same after a resize.
        await pilot.resize_terminal(width - 7, 24)
        await pilot.pause(0.2)
        row = next(line for line in sidebar_lines(ui) if nick[:4] in line)
        assert " 3 " in row, row  # the whole badge


async def test_the_footer_ends_with_the_palette_hint_and_nothing_after_it(lan: Lan) -> None:
    app = await lan.app("Ann")
    async with app.run_test(size=(100, 24)) as pilot:
        ui = Ui(app, pilot)
        await pilot.pause()
        for pane in ("sidebar", "input"):
            ui.focus_on(pane)
            for width in range(60, 39, -1):
                await pilot.resize_terminal(width, 24)
                await ui.until(lambda: "^p palette" in ui.screen_lines()[-1])
                footer = ui.screen_lines()[-1]
                assert footer.rstrip().endswith("^p palette"), (width, footer)


@pytest.mark.parametrize("nick", ["Mo [i] 阿明 [b]王[/b]", WIDE_NICK], ids=["brackets", "cjk"])
async def test_the_input_title_shows_the_name_as_it_is(lan: Lan, nick: str) -> None:
    """A name is text, never markup: "[i]" in it must not vanish (nor a CJK letter)."""
    await lan.peer("Bob", knows=("Ann",), nick=nick)
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=(120, 24)) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await pilot.press("down")
        for width in (120, 60):
            await pilot.resize_terminal(width, 24)
            await pilot.pause(0.1)
            region = ui.region("input")
            title = ui.screen_lines()[region.y][region.x : region.right]
            shown = title.split("To ", 1)[1].rsplit(" ─", 1)[0].strip("─ ")
            assert nick.startswith(shown.rstrip("…").rstrip()), (width, title)
            assert len(shown) >= 8, (width, title)


async def test_a_long_cjk_name_in_the_input_title_loses_only_its_end(lan: Lan) -> None:
    """At 60 columns and below Textual cut the title inside a two-cell character and left a
    blank where a character should be: the title is now fitted by cell widths first."""
    await lan.peer("Bob", knows=("Ann",), nick=WIDE_NICK)
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=(60, 24)) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await pilot.press("down")
        for width in range(60, 39, -1):
            await pilot.resize_terminal(width, 24)
            await pilot.pause(0.05)
            region = ui.region("input")
            title = ui.screen_lines()[region.y][region.x : region.right]
            shown = title.split("To ", 1)[1].rsplit(" ─", 1)[0]
            assert shown.endswith("…") and WIDE_NICK.startswith(shown[:-1]), (width, title)
            assert len(shown) >= 4, (width, title)
