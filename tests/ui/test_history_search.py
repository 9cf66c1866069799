"""History search in the app (ctrl+g, `/` in the messages, the palette): hits from every
conversation on a real SQLite history; Enter opens the conversation on the page around the
hit, with the hit chosen."""

from __future__ import annotations

from ipmsg_tui.protocol.events import MessageReceived
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import HistoryStore
from ipmsg_tui.ui.chatlog import ChatLog
from ipmsg_tui.ui.screens.history_search import HistorySearchScreen

from .conftest import Lan
from .driver import Ui
from .test_story import SIZE

T0 = 1_800_000_000.0
BOB = Peer(("127.0.0.1", 2430), "bob", "bob-pc", nick="Bob")
WANG = Peer(("127.0.0.1", 2431), "wang", "wang-pc", nick="小王")


def fill(store: HistoryStore) -> int:
    """Bob: 300 messages, the one to find far back (not on the latest page); Wang: a Chinese
    one, and a sealed one not opened yet. The id of the one to find."""
    found = 0
    for n in range(300):
        text = "Lunch at NOON, the usual place?" if n == 150 else f"status report {n}"
        row = store.record_incoming(MessageReceived(BOB, n + 1, text, T0 + n))
        assert row is not None
        found = row.id if n == 150 else found
    store.record_incoming(MessageReceived(WANG, 1, "今天午饭吃什么", T0 + 400))
    store.record_incoming(MessageReceived(WANG, 2, "秘密的午饭 noon", T0 + 401, sealed=True))
    store.mark_read(BOB.key)
    store.mark_read(WANG.key)
    return found


def search_screen(ui: Ui) -> HistorySearchScreen:
    screen = ui.screen
    assert isinstance(screen, HistorySearchScreen)
    return screen


async def test_a_hit_far_back_opens_its_conversation_on_the_page_around_it(lan: Lan) -> None:
    settings = lan.settings("Ann")
    store = HistoryStore(settings.history_path)
    wanted = fill(store)
    store.close()
    app = await lan.app_with(settings)
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await pilot.press("ctrl+g")
        await ui.until_dialog(HistorySearchScreen)
        await pilot.press(*"noon")  # Latin: case does not matter
        screen = search_screen(ui)
        await ui.until(lambda: screen.searched == "noon")
        # the sealed one, never opened, is not found
        assert [h.message.id for h in screen.hits] == [wanted]
        snippet = screen.hits[0].snippet
        assert snippet.text[snippet.start : snippet.end] == "NOON"
        await pilot.press("enter")
        await ui.until_closed(HistorySearchScreen)
        assert ui.open_key == BOB.key
        log = ui.chat_pane
        assert log.cursor_row is not None and log.cursor_row.id == wanted
        assert log.has_focus
        window = log.window
        assert window is not None and window.has_newer and window.has_older
        # the hit is on screen
        top = log.scroll_offset.y
        start = log._starts[log.cursor or 0]
        assert top <= start < top + log.scrollable_content_region.height
        assert ui.highlighted() == BOB.key


async def test_two_chinese_characters_find_the_message_from_the_messages_pane(lan: Lan) -> None:
    settings = lan.settings("Ann")
    store = HistoryStore(settings.history_path)
    fill(store)
    store.close()
    app = await lan.app_with(settings)
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        ui.focus_on("messages")
        await pilot.press("slash")  # `/` in the messages pane
        await ui.until_dialog(HistorySearchScreen)
        screen = search_screen(ui)
        screen.query_one("#query").insert_text_at_cursor("午饭")  # type: ignore[attr-defined]
        await ui.until(lambda: screen.searched == "午饭")
        assert [h.message.text for h in screen.hits] == ["今天午饭吃什么"]
        rendered = str(screen.query_one("#hits").get_option_at_index(0).prompt)  # type: ignore[attr-defined]
        assert "from 小王" in rendered and "今天午饭吃什么" in rendered
        await pilot.press("down", "enter")  # into the list, then choose
        await ui.until(lambda: ui.open_key == WANG.key)
        row = ui.chat_pane.cursor_row
        assert row is not None and row.text == "今天午饭吃什么"


async def test_the_palette_opens_the_search_and_escape_leaves_things_as_they_were(
    lan: Lan,
) -> None:
    app = await lan.app("Ann")
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await pilot.press("ctrl+p", *"search history", "enter")
        await ui.until_dialog(HistorySearchScreen)
        await pilot.press(*"nothing here")
        screen = search_screen(ui)
        await ui.until(lambda: screen.searched == "nothing here")
        assert screen.hits == []
        status = str(screen.query_one("#search-status").render())
        assert "Nothing found" in status
        await pilot.press("escape")
        await ui.until_closed(HistorySearchScreen)
        assert ui.open_key == "*"
        assert isinstance(ui.pane("messages"), ChatLog)
