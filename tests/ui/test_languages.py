"""The app in 简体中文 and 日本語 at 60×20: double-width labels still fit, nothing is cut."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from rich.cells import cell_len

from ipmsg_tui import i18n
from ipmsg_tui.ui.screens.attach import HELP as ATTACH_HELP
from ipmsg_tui.ui.screens.confirm_quit import ConfirmQuit
from ipmsg_tui.ui.screens.transfers import EMPTY as TRANSFERS_EMPTY

from .conftest import Lan, wait_for
from .driver import Ui, screen_lines

SMALL = (60, 20)
# What each language must show: the footer's keys, the sidebar's "Everyone", the status.
EXPECTED = {
    "zh_CN": {"footer": ["聊天", "退出", "离开", "信息", "按键", "^p 命令"], "all": "所有人"},
    "ja": {"footer": ["会話", "終了", "離席", "情報", "キー", "^p コマンド"], "all": "全員"},
}


@pytest.fixture(params=["zh_CN", "ja"])
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    i18n.install(request.param)
    yield request.param
    i18n.install(i18n.ENGLISH)


def text_of(app: Any) -> str:
    return "\n".join(screen_lines(app))


async def test_the_main_screen_fits_at_60_by_20(lan: Lan, language: str) -> None:
    await lan.peer("Bob", knows=("Ann",), nick="阿明")
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SMALL) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        ui.focus_on("input")  # the footer follows the focus
        await pilot.pause(0.1)
        ui.focus_on("sidebar")
        palette = EXPECTED[language]["footer"][-1]
        await wait_for(pilot, lambda: palette in screen_lines(app)[-1])
        lines = screen_lines(app)
        assert all(cell_len(line) <= SMALL[0] for line in lines)
        footer = lines[-1]
        for label in EXPECTED[language]["footer"]:
            assert label in footer, (label, footer)
        assert footer.rstrip().endswith(EXPECTED[language]["footer"][-1]), footer
        sidebar = ui.region("sidebar")
        shown = [line[sidebar.x : sidebar.right] for line in lines[sidebar.y : sidebar.bottom]]
        assert any(EXPECTED[language]["all"] in row for row in shown), shown
        assert any("阿明" in row for row in shown), shown
        assert i18n._("● online") in lines[0], lines[0]
        # The keys of the input box, in the footer once it has the focus.
        ui.focus_on("input")
        send, seal = i18n._("Send"), i18n._("Seal")
        await wait_for(pilot, lambda: send in screen_lines(app)[-1])
        assert seal in screen_lines(app)[-1], screen_lines(app)[-1]


@pytest.mark.parametrize(
    ("key", "title", "ending"),
    [
        ("f3", "Peer info · ", "Escape to close"),
        ("ctrl+t", "Transfers", TRANSFERS_EMPTY),
        ("ctrl+f", "Attach files or folders for {name}", ATTACH_HELP),
    ],
    ids=["peer-info", "transfers", "attach"],
)
async def test_dialogs_fit_at_60_by_20(
    lan: Lan, language: str, key: str, title: str, ending: str
) -> None:
    await lan.peer("Bob", knows=("Ann",), nick="阿明")
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SMALL) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        ui.chat_with("bob@bob-pc")
        await pilot.pause(0.1)
        await pilot.press(key)
        await pilot.pause(0.3)
        text = text_of(app)
        wanted_title = i18n._(title).format(name="阿明").strip()
        assert wanted_title in text, text
        # The dialog's last line of help is not cut off: it ends on screen as it should.
        tail = "".join(i18n._(ending).split())[-4:]
        assert tail in "".join(text.split()), (tail, text)


async def test_the_quit_question_fits(lan: Lan, language: str) -> None:
    app = await lan.app("Ann")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmQuit("1 download"))
        await pilot.pause(0.2)
        text = text_of(app)
        for label in ("Quit ipmsg-tui?", "Quit (y)", "Stay (n)", "Escape: stay"):
            assert i18n._(label) in text, (label, text)


async def test_the_keys_panel_leaves_the_footer_whole(lan: Lan, language: str) -> None:
    """F1 at 60 columns: the panel lies over the conversation, the footer keeps its
    double-width labels, and the panel's own words are translated and whole."""
    await lan.peer("Bob", knows=("Ann",), nick="阿明")
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SMALL) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        ui.focus_on("sidebar")
        await pilot.press("f1")
        await ui.until(lambda: bool(app.screen.query("HelpPanel")))
        await pilot.pause(0.3)
        lines = screen_lines(app)
        assert all(cell_len(line) <= SMALL[0] for line in lines)
        footer = lines[-1]
        for label in EXPECTED[language]["footer"]:
            assert label in footer, (label, footer)
        panel = app.screen.query_one("HelpPanel").region
        shown = "\n".join(line[panel.x : panel.right] for line in lines[panel.y : -1])
        for words in ("Page Up", "Page Down", "Scroll Left", "Scroll Right", "First"):
            assert i18n._(words) in shown, (words, shown)
        assert "…" not in shown, shown
        assert not re.search(r"[A-Z][a-z]+ [A-Z][a-z]+", shown), shown  # no English keys
        await pilot.press("f1")
        await ui.until(lambda: not app.screen.query("HelpPanel"))


def _fits(app: Any) -> str:
    lines = screen_lines(app)
    assert all(cell_len(line) <= SMALL[0] for line in lines), lines
    return "\n".join(lines)


async def test_the_dialogs_added_late_speak_the_language(lan: Lan, language: str) -> None:
    """Search, forget and remove-host, found in the palette by their translated names: in
    the language, whole, at 60×20."""
    await lan.peer("Bob", knows=("Ann",), nick="阿明")
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SMALL) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        ui.chat_with("bob@bob-pc")
        await pilot.pause(0.1)

        await pilot.press("ctrl+g")
        await ui.until(lambda: i18n._("Search the history") in _fits(app))
        await pilot.press(*"午饭")
        nothing = i18n._("Nothing found for {query}").format(query=repr("午饭"))
        await ui.until(lambda: nothing in _fits(app))
        await pilot.press("escape")

        await ui.command(i18n._("Forget this conversation"))
        question = i18n._("Forget the conversation with {name}?").format(name="阿明")
        await ui.until(lambda: question in _fits(app))
        text = _fits(app)
        for words in ("Keep (n)", "Escape: keep"):
            assert i18n._(words) in text, (words, text)
        assert f"{i18n._('Forget')} (y)" in text, text
        await pilot.press("escape")

        lan.service("Ann").add_target("127.0.0.1:9", broadcast=False)  # loopback, nobody
        await ui.command(i18n._("Remove host…"))
        title = i18n._("Remove a host or broadcast address")
        await ui.until(lambda: title in _fits(app))
        assert i18n._("host  {address}").format(address="127.0.0.1:9") in _fits(app)
        await pilot.press("escape")
        await ui.until(lambda: title not in _fits(app))
        # Nothing English is left on screen but names, addresses and keys.
        assert not re.search(r"\b[a-z]{3,} [a-z]{3,} [a-z]{3,}\b", _fits(app)), _fits(app)
