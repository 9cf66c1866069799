"""Keyboard details: the composer, the filter, moving between the panes."""

from __future__ import annotations

from textual import events

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import EVERYONE
from ipmsg_tui.ui.chatlog import ChatLog
from ipmsg_tui.ui.composer import Composer
from ipmsg_tui.ui.sidebar import PeerFilter, PeerList

from .conftest import Lan, wait_for
from .test_story import SIZE, listed


async def test_enter_sends_ctrl_j_breaks_the_line_and_empty_input_sends_nothing(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down", "tab")
        assert isinstance(app.focused, Composer)
        await pilot.press("enter", "space", "enter")  # nothing to send
        await pilot.press("backspace", *"first line", "ctrl+j", *"second line", "enter")
        await wait_for(pilot, lambda: bob.texts() == ["first line\nsecond line"])
        assert [row.text for row in app.chat_log.rows] == ["first line\nsecond line"]
        lines = app.chat_log.plain_lines()
        assert "  first line" in lines and "  second line" in lines  # indented under the header


async def test_up_and_down_in_an_empty_input_recall_what_was_sent(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down", "enter", *"one", "enter", *"two", "enter")
        await wait_for(pilot, lambda: bob.texts() == ["one", "two"])
        composer = app.composer
        await pilot.press("up")
        assert composer.text == "two"
        await pilot.press("up")
        assert composer.text == "one"
        await pilot.press("up")  # the oldest stays
        assert composer.text == "one"
        await pilot.press("down")
        assert composer.text == "two"
        await pilot.press("down")
        assert composer.text == ""
        await pilot.press(*"draft", "up")  # with text of one's own, Up is just the cursor
        assert composer.text == "draft"
        await pilot.press("end", "ctrl+u", "up", "enter")  # resend a recalled text
        await wait_for(pilot, lambda: bob.texts() == ["one", "two", "two"])


async def test_the_list_stops_at_its_ends_and_up_from_the_top_goes_to_the_filter(
    lan: Lan,
) -> None:
    await lan.peer("Bob", knows=("Ann",), group="Ops")
    await lan.peer("Carol", knows=("Ann",), group="Design")
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        await pilot.press("down", "down", "down", "down")  # headers are skipped, no wrap
        assert app.open_key == "bob@bob-pc"  # Design: Carol, then Ops: Bob
        await pilot.press("up", "up")
        assert app.open_key == EVERYONE
        await pilot.press("up")
        assert isinstance(app.focused, PeerFilter)
        await pilot.press("down")
        assert isinstance(app.focused, PeerList)


async def test_escape_tab_and_shift_tab_move_between_list_input_and_messages(lan: Lan) -> None:
    app = await lan.app("Ann")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, PeerList)
        await pilot.press("tab")
        assert isinstance(app.focused, Composer)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, ChatLog)
        await pilot.press("escape")  # from the messages too: back to the list, never the box
        assert isinstance(app.focused, PeerList)
        await pilot.press("tab", "escape")
        assert isinstance(app.focused, PeerList)


async def test_escape_from_the_messages_then_up_recalls_nothing(lan: Lan) -> None:
    """Escape in the messages once led to the input box, where ↑ recalled the last message
    sent: one Enter more and it went again, or to another conversation."""
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        app.commands.chat_with("bob@bob-pc")
        await pilot.press(*"meeting moved to 3", "enter")
        await wait_for(pilot, lambda: "meeting moved to 3" in bob.texts())
        await pilot.press("shift+tab", "up", "escape", "up")
        assert isinstance(app.focused, PeerList)
        assert app.composer.text == ""
        assert app.open_key == "*"  # ↑ on the list moved to the row above Bob


async def test_slash_filters_the_list_and_enter_writes_to_the_match(lan: Lan) -> None:
    await lan.peer("Bob", knows=("Ann",), group="Ops")
    carol = await lan.peer("Carol", knows=("Ann",), group="Design")
    await lan.peer("Caspar", knows=("Ann",), group="Design", nick="卡斯帕")
    app = await lan.app("Ann", knows=("Bob", "Carol", "Caspar"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 4)
        headers = [str(o.prompt) for o in app.peer_list.options if o.disabled]
        assert headers == ["Design 2", "Ops 1"]  # grouped, groups sorted
        await pilot.press("slash")
        assert isinstance(app.focused, PeerFilter)
        await pilot.press(*"ca")
        assert listed(app) == ["carol@carol-pc", "caspar@caspar-pc"]  # Carol, then 卡斯帕
        await pilot.press("r", "o")
        assert listed(app) == ["carol@carol-pc"]
        assert app.open_key == "carol@carol-pc"
        await pilot.press("enter")
        assert isinstance(app.focused, Composer)
        await pilot.press(*"found you", "enter")
        await wait_for(pilot, lambda: carol.texts() == ["found you"])
        await pilot.press("escape", "slash", "escape")  # Escape clears the filter
        assert app.query_one(PeerFilter).value == ""
        assert isinstance(app.focused, PeerList)
        assert len(listed(app)) == 4
        await pilot.press("slash", *"-pc")  # matches user@host too
        assert len(listed(app)) == 3
        await pilot.press("ctrl+u", *"everyone")
        assert listed(app) == [EVERYONE]


async def test_a_draft_stays_with_its_conversation(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        await pilot.press("down", *"half a thought for Bob", "escape", "down")
        assert app.open_key == "carol@carol-pc"
        assert app.composer.text == ""  # Carol does not get Bob's words
        await pilot.press(*"hi Carol", "enter")
        await pilot.press("escape", "up")
        assert app.composer.text == "half a thought for Bob"
        await pilot.press("tab", "end", *" (finished)", "enter")
        await wait_for(pilot, lambda: bob.texts() == ["half a thought for Bob (finished)"])
        assert carol.texts() == ["hi Carol"]


async def test_a_fast_burst_typed_on_the_list_is_sent_whole(lan: Lan) -> None:
    """As a terminal delivers keys typed quickly (or injected by tmux): all queued at once."""
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down")
        for char in "quick hello":
            app.post_message(events.Key("space" if char == " " else char, char))
        app.post_message(events.Key("enter", "\r"))
        await wait_for(pilot, lambda: bob.texts() == ["quick hello"])
        assert isinstance(app.focused, Composer) and app.composer.text == ""
        # In the input box too, a new line and Enter keep their place among the characters.
        for key in ("a", "b", "ctrl+j", "c", "d", "enter"):
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await wait_for(pilot, lambda: bob.texts()[1:] == ["ab\ncd"])


async def test_a_sidebar_rebuild_does_not_undo_a_move_not_handled_yet(lan: Lan) -> None:
    """Under churn the list is rebuilt every few moments: one that comes between a move in
    the list and the handling of that move must keep the row just chosen."""
    await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        assert app.open_key == EVERYONE
        peers = app.peer_list
        peers.highlighted = peers.get_option_index("bob@bob-pc")  # handled as a message ...
        app.roster.peer_online(Peer(("127.0.0.9", 2425), "zed", "zed-pc", "Zed"))  # churn
        app.rebuild_sidebar()  # ... and a rebuild of the changed list runs first
        await pilot.pause()
        assert app.open_key == "bob@bob-pc" and peers.highlighted_key == "bob@bob-pc"


async def test_a_fast_slash_and_name_filter_the_list_and_send_nothing(lan: Lan) -> None:
    """A slash, "bob" and Enter typed quickly on the list (queued at once, as tmux or a fast
    typist delivers them): the name filters, Enter opens Bob; nothing goes to everyone."""
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        for key, char in [("slash", "/"), ("b", "b"), ("o", "o"), ("b", "b"), ("enter", "\r")]:
            app.post_message(events.Key(key, char))
        await wait_for(pilot, lambda: app.open_key == "bob@bob-pc")
        await wait_for(pilot, lambda: isinstance(app.focused, Composer))
        assert app.composer.text == ""
        await pilot.press(*"hi", "enter")
        await wait_for(pilot, lambda: bob.texts() == ["hi"])
        assert carol.texts() == []  # the name typed after "/" was never sent to everyone


async def test_recall_stays_in_its_conversation_and_a_sealed_text_comes_back_sealed(
    lan: Lan,
) -> None:
    """Issue 11.1: a sealed message to Bob, recalled in Everyone, was one Enter away from
    being broadcast to the LAN unsealed."""
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down", "enter", "ctrl+s", *"for your eyes", "enter")
        await wait_for(pilot, lambda: bob.texts() == ["for your eyes"])
        assert app.composer.border_subtitle == ""  # the seal was for that one message
        await pilot.press("escape", "up", "enter")  # to Everyone
        assert app.open_key == EVERYONE
        await pilot.press("up")
        assert app.composer.text == ""  # nothing sent here: nothing to recall
        await pilot.press("escape", "down", "enter")  # back to Bob
        await pilot.press("up")
        assert app.composer.text == "for your eyes"
        assert "sealed" in str(app.composer.border_subtitle)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(bob.texts()) == 2)
        assert all(m.sealed for m in bob.of(ev.MessageReceived))
