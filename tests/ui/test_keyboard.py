"""Keyboard details: the composer, the filter, moving between the panes."""

from __future__ import annotations

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import EVERYONE

from .conftest import Lan
from .driver import SIZE, Ui


async def test_enter_sends_ctrl_j_breaks_the_line_and_empty_input_sends_nothing(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("down", "tab")
        assert ui.focus == "input"
        await ui.press("enter", "space", "enter")  # nothing to send
        await ui.press("backspace", *"first line", "ctrl+j", *"second line", "enter")
        await ui.until(lambda: bob.texts() == ["first line\nsecond line"])
        assert ui.messages() == ["first line\nsecond line"]
        lines = ui.chat_lines()
        assert "  first line" in lines and "  second line" in lines  # indented under the header


async def test_up_and_down_in_an_empty_input_recall_what_was_sent(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("down", "enter", *"one", "enter", *"two", "enter")
        await ui.until(lambda: bob.texts() == ["one", "two"])
        await ui.press("up")
        assert ui.draft() == "two"
        await ui.press("up")
        assert ui.draft() == "one"
        await ui.press("up")  # the oldest stays
        assert ui.draft() == "one"
        await ui.press("down")
        assert ui.draft() == "two"
        await ui.press("down")
        assert ui.draft() == ""
        await ui.press(*"draft", "up")  # with text of one's own, Up is just the cursor
        assert ui.draft() == "draft"
        await ui.press("end", "ctrl+u", "up", "enter")  # resend a recalled text
        await ui.until(lambda: bob.texts() == ["one", "two", "two"])


async def test_the_list_stops_at_its_ends_and_up_from_the_top_goes_to_the_filter(
    lan: Lan,
) -> None:
    await lan.peer("Bob", knows=("Ann",), group="Ops")
    await lan.peer("Carol", knows=("Ann",), group="Design")
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        await ui.press("down", "down", "down", "down")  # headers are skipped, no wrap
        assert ui.open_key == "bob@bob-pc"  # Design: Carol, then Ops: Bob
        await ui.press("up", "up")
        assert ui.open_key == EVERYONE
        await ui.press("up")
        assert ui.focus == "filter"
        await ui.press("down")
        assert ui.focus == "sidebar"


async def test_escape_tab_and_shift_tab_move_between_list_input_and_messages(lan: Lan) -> None:
    app = await lan.app("Ann")
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await pilot.pause()
        assert ui.focus == "sidebar"
        await ui.press("tab")
        assert ui.focus == "input"
        await ui.press("shift+tab")
        assert ui.focus == "messages"
        await ui.press("escape")  # from the messages too: back to the list, never the box
        assert ui.focus == "sidebar"
        await ui.press("tab", "escape")
        assert ui.focus == "sidebar"


async def test_escape_from_the_messages_then_up_recalls_nothing(lan: Lan) -> None:
    """Escape in the messages once led to the input box, where ↑ recalled the last message
    sent: one Enter more and it went again, or to another conversation."""
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.open("bob@bob-pc")
        await ui.press("tab", *"meeting moved to 3", "enter")
        await ui.until(lambda: "meeting moved to 3" in bob.texts())
        await ui.press("shift+tab", "up", "escape", "up")
        assert ui.focus == "sidebar"
        assert ui.draft() == ""
        assert ui.open_key == "*"  # ↑ on the list moved to the row above Bob


async def test_slash_filters_the_list_and_enter_writes_to_the_match(lan: Lan) -> None:
    await lan.peer("Bob", knows=("Ann",), group="Ops")
    carol = await lan.peer("Carol", knows=("Ann",), group="Design")
    await lan.peer("Caspar", knows=("Ann",), group="Design", nick="卡斯帕")
    app = await lan.app("Ann", knows=("Bob", "Carol", "Caspar"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(4)
        headers = ui.headers()
        assert headers == ["Design 2", "Ops 1"]  # grouped, groups sorted
        await ui.press("slash")
        assert ui.focus == "filter"
        await ui.press(*"ca")
        assert ui.listed() == ["carol@carol-pc", "caspar@caspar-pc"]  # Carol, then 卡斯帕
        await ui.press("r", "o")
        assert ui.listed() == ["carol@carol-pc"]
        assert ui.open_key == "carol@carol-pc"
        await ui.press("enter")
        assert ui.focus == "input"
        await ui.press(*"found you", "enter")
        await ui.until(lambda: carol.texts() == ["found you"])
        await ui.press("escape", "slash", "escape")  # Escape clears the filter
        assert ui.filter_text() == ""
        assert ui.focus == "sidebar"
        assert len(ui.listed()) == 4
        await ui.press("slash", *"-pc")  # matches user@host too
        assert len(ui.listed()) == 3
        await ui.press("ctrl+u", *"everyone")
        assert ui.listed() == [EVERYONE]


async def test_a_draft_stays_with_its_conversation(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        await ui.press("down", *"half a thought for Bob", "escape", "down")
        assert ui.open_key == "carol@carol-pc"
        assert ui.draft() == ""  # Carol does not get Bob's words
        await ui.press(*"hi Carol", "enter")
        await ui.press("escape", "up")
        assert ui.draft() == "half a thought for Bob"
        await ui.press("tab", "end", *" (finished)", "enter")
        await ui.until(lambda: bob.texts() == ["half a thought for Bob (finished)"])
        assert carol.texts() == ["hi Carol"]


async def test_a_fast_burst_typed_on_the_list_is_sent_whole(lan: Lan) -> None:
    """As a terminal delivers keys typed quickly (or injected by tmux): all queued at once."""
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("down")
        ui.burst(*"quick", "space", *"hello", "enter")
        await ui.until(lambda: bob.texts() == ["quick hello"])
        assert ui.focus == "input" and ui.draft() == ""
        # In the input box too, a new line and Enter keep their place among the characters.
        ui.burst("a", "b", "ctrl+j", "c", "d", "enter")
        await ui.until(lambda: bob.texts()[1:] == ["ab\ncd"])


async def test_a_sidebar_rebuild_does_not_undo_a_move_not_handled_yet(lan: Lan) -> None:
    """Under churn the list is rebuilt every few moments: one that comes between a move in
    the list and the handling of that move must keep the row just chosen."""
    await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        assert ui.open_key == EVERYONE
        ui.highlight("bob@bob-pc")  # handled as a message ...
        ui.churn(Peer(("127.0.0.9", 2425), "zed", "zed-pc", "Zed"))  # ... a rebuild runs first
        await pilot.pause()
        assert ui.open_key == "bob@bob-pc" and ui.highlighted() == "bob@bob-pc"


async def test_a_fast_slash_and_name_filter_the_list_and_send_nothing(lan: Lan) -> None:
    """A slash, "bob" and Enter typed quickly on the list (queued at once, as tmux or a fast
    typist delivers them): the name filters, Enter opens Bob; nothing goes to everyone."""
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        ui.burst("slash", *"bob", "enter")
        await ui.until(lambda: ui.open_key == "bob@bob-pc")
        await ui.until(lambda: ui.focus == "input")
        assert ui.draft() == ""
        await ui.press(*"hi", "enter")
        await ui.until(lambda: bob.texts() == ["hi"])
        assert carol.texts() == []  # the name typed after "/" was never sent to everyone


async def test_recall_stays_in_its_conversation_and_a_sealed_text_comes_back_sealed(
    lan: Lan,
) -> None:
    """Issue 11.1: a sealed message to Bob, recalled in Everyone, was one Enter away from
    being broadcast to the LAN unsealed."""
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("down", "enter", "ctrl+s", *"for your eyes", "enter")
        await ui.until(lambda: bob.texts() == ["for your eyes"])
        assert ui.draft_note() == ""  # the seal was for that one message
        await ui.press("escape", "up", "enter")  # to Everyone
        assert ui.open_key == EVERYONE
        await ui.press("up")
        assert ui.draft() == ""  # nothing sent here: nothing to recall
        await ui.press("escape", "down", "enter")  # back to Bob
        await ui.press("up")
        assert ui.draft() == "for your eyes"
        assert "sealed" in ui.draft_note()
        await ui.press("enter")
        await ui.until(lambda: len(bob.texts()) == 2)
        assert all(m.sealed for m in bob.of(ev.MessageReceived))
