"""The user story end to end: real nodes on 127.0.0.1, the app driven by keyboard and mouse."""

from __future__ import annotations

from typing import Any

from textual.notifications import Notify

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.store import EVERYONE, MessageState
from ipmsg_tui.ui.chatlog import ChatLog
from ipmsg_tui.ui.sidebar import PeerList

from .conftest import Lan, wait_for
from .driver import SIZE, Ui, count_bells, listed, quiet_start_off

__all__ = ["SIZE", "listed"]  # helpers other tests import from here


async def test_a_peer_appears_is_chosen_by_arrow_and_gets_a_delivered_message(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        assert ui.focus == "sidebar"  # the sidebar has focus at start
        assert ui.open_key == EVERYONE
        await ui.press("down")
        assert ui.open_key == "bob@bob-pc"
        assert "online" in ui.header()
        await ui.press("enter")  # to the input box
        assert ui.focus == "input"
        await ui.press(*"hello bob", "enter")
        await ui.until(lambda: ui.states() == [("hello bob", MessageState.DELIVERED)])
        assert bob.texts() == ["hello bob"]
        assert "✓ delivered" in ui.chat_text()
        assert ui.draft() == ""


async def test_a_click_selects_a_peer_and_starting_to_type_writes_to_it(lan: Lan) -> None:
    carol = await lan.peer("Carol", knows=("Ann",))
    await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        assert ui.listed() == [EVERYONE, "bob@bob-pc", "carol@carol-pc"]
        # Rows: the filter box, then Everyone, Bob, Carol.
        await pilot.click(PeerList, offset=(3, 2))
        assert ui.open_key == "carol@carol-pc"
        assert ui.focus == "input"  # a click on a peer is "write to it"
        await ui.press("escape")
        assert ui.focus == "sidebar"
        await ui.press("up")
        assert ui.open_key == "bob@bob-pc"
        await ui.press("down")
        await ui.press(*"hi carol")  # typing on the list goes to the input box
        assert ui.focus == "input"
        assert ui.draft() == "hi carol"
        await ui.press("enter")
        await wait_for(pilot, lambda: carol.texts() == ["hi carol"])


async def test_a_reply_elsewhere_raises_the_unread_count_rings_and_toasts(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    notes: list[Notify] = []
    app = await lan.app("Ann", knows=("Bob",))
    rings = count_bells(app)

    def hook(message: Any) -> None:
        if isinstance(message, Notify):
            notes.append(message)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        assert ui.open_key == EVERYONE  # Bob's conversation is not open
        bob.node.send_message([ui.addr], "lunch? 🍜")
        await ui.until(lambda: ui.unread("bob@bob-pc") == 1)
        await ui.until(lambda: " 1 " in ui.row("bob@bob-pc"))
        assert rings == [True]
        assert any(n.notification.message == "lunch? 🍜" for n in notes)
        assert "lunch? 🍜" in ui.toasts()
        assert lan.service("Ann").store.unread_counts() == {"bob@bob-pc": 1}
        assert "1 unread" in ui.presence()
        await ui.press("down")  # opening it reads it
        assert ui.open_key == "bob@bob-pc"
        assert ui.messages() == ["lunch? 🍜"]
        await ui.until(lambda: " 1 " not in ui.row("bob@bob-pc"))
        assert lan.service("Ann").store.unread_counts() == {}
        bob.node.send_message([ui.addr], "on screen now")
        await ui.until(lambda: len(ui.messages()) == 2)
        assert ui.unread("bob@bob-pc") == 0
        assert rings == [True]  # no bell for the conversation on screen


async def test_a_peer_that_leaves_disappears_unless_its_conversation_is_open(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        await bob.stop()  # BR_EXIT
        await ui.until(lambda: ui.listed() == [EVERYONE, "carol@carol-pc"])
        await ui.press("down")
        assert ui.open_key == "carol@carol-pc"
        await carol.stop()
        await ui.until(lambda: not ui.online("carol@carol-pc"))
        await ui.until(lambda: "○" in ui.row("carol@carol-pc"))
        assert ui.listed() == [EVERYONE, "carol@carol-pc"]  # still readable, marked offline
        assert "offline" in ui.header()
        await ui.press("up")  # leaving it lets it go: it has no history
        await ui.until(lambda: ui.listed() == [EVERYONE])


async def test_history_and_unread_counts_survive_a_restart(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    first = await lan.app("Ann", knows=("Bob",))
    async with first.run_test(size=SIZE) as pilot:
        ui = Ui(first, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("down", "enter", *"see you tomorrow", "enter")
        await ui.until(lambda: ui.states() == [("see you tomorrow", MessageState.DELIVERED)])
        await ui.press("escape", "up")  # back to Everyone
        bob.node.send_message([ui.addr], "bye!")
        await ui.until(lambda: ui.unread("bob@bob-pc") == 1)
    await wait_for_exit(bob, "bob@bob-pc")
    await bob.stop()  # Bob is gone too: yesterday's conversation must still be there

    second = await lan.app("Ann", knows=("Bob",))
    async with second.run_test(size=SIZE) as pilot:
        ui = Ui(second, pilot)
        await pilot.pause()
        assert "bob@bob-pc" in ui.listed()  # offline, but with history and unread
        assert " 1 " in ui.row("bob@bob-pc")
        assert lan.service("Ann").store.unread_counts() == {"bob@bob-pc": 1}
        await ui.press("down")
        assert ui.open_key == "bob@bob-pc"
        assert ui.states() == [
            ("see you tomorrow", MessageState.DELIVERED),
            ("bye!", MessageState.RECEIVED),
        ]
        assert lan.service("Ann").store.unread_counts() == {}


async def wait_for_exit(peer: Any, key: str) -> None:
    """Bob saw Ann's BR_EXIT when her app closed."""
    import asyncio

    for _ in range(200):
        if any(isinstance(e, ev.PeerLeft) and e.peer.key == "ann@ann-pc" for e in peer.events):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the app did not say goodbye (BR_EXIT)")


async def test_two_apps_talk_to_each_other(lan: Lan) -> None:
    ann = await lan.app("Ann", knows=("Bob",))
    bob = await lan.app("Bob", knows=("Ann",))
    async with ann.run_test(size=SIZE) as ann_pilot, bob.run_test(size=SIZE) as bob_pilot:
        at_ann, at_bob = Ui(ann, ann_pilot), Ui(bob, bob_pilot)
        await at_ann.until_listed("bob@bob-pc")
        await at_bob.until_listed("ann@ann-pc")
        await at_ann.open("bob@bob-pc")
        await at_ann.send("你好 Bob")
        await at_ann.until(lambda: at_ann.states() == [("你好 Bob", MessageState.DELIVERED)])
        await at_bob.until(lambda: at_bob.unread("ann@ann-pc") == 1)
        await at_bob.open("ann@ann-pc")
        await at_bob.send("hi Ann")
        assert at_bob.messages() == ["你好 Bob", "hi Ann"]
        await at_ann.until(lambda: at_ann.messages()[-1:] == ["hi Ann"])
        await at_bob.until(lambda: at_bob.states()[-1] == ("hi Ann", MessageState.DELIVERED))


async def test_sealed_messages_stay_sealed_until_opened_then_readmsg_goes_out(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("down")
        bob.node.send_message([ui.addr], "the secret", sealed=True)
        await ui.until(lambda: len(ui.messages()) == 1)
        assert ui.states() == [("the secret", MessageState.SEALED)]
        assert "the secret" not in ui.chat_text() and "sealed" in ui.chat_text()
        await ui.press("enter", "shift+tab")  # into the messages
        assert ui.focus == "messages"
        await ui.press("enter")  # open it
        assert ui.states() == [("the secret", MessageState.OPENED)]
        assert "the secret" in ui.chat_text()
        await ui.until(lambda: bob.of(ev.MessageOpened))
        assert lan.service("Ann").store.messages("bob@bob-pc")[0].state is MessageState.OPENED

        # and the other way round: ours is shown opened once Bob reads it
        await ui.press("escape", "tab", "ctrl+s", *"for your eyes", "enter")
        await ui.until(lambda: ui.states()[-1] == ("for your eyes", MessageState.DELIVERED))
        (received,) = [m for m in bob.of(ev.MessageReceived) if m.sealed]
        bob.node.open_sealed(received.addr, received.packet_no, received.read_check)
        await ui.until(lambda: ui.states()[-1] == ("for your eyes", MessageState.OPENED))
        assert "✓✓ opened" in ui.chat_text()


async def test_a_message_not_delivered_can_be_resent_by_click(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("down")
        # Bob's machine goes quiet without a goodbye: nobody acknowledges.
        bob.node._transport.close()  # type: ignore[union-attr]
        bob.node._transport = None
        await ui.press("enter", *"are you there?", "enter")
        await ui.until(lambda: ui.states() == [("are you there?", MessageState.FAILED)])
        assert "not delivered" in ui.chat_text()
        back = await lan.peer("Bob", knows=("Ann",))
        await ui.until(lambda: ui.online("bob@bob-pc"))
        # Click the message (first line of the log: the start banner, then the day rule).
        await pilot.click(ChatLog, offset=(5, 2))
        await ui.until(lambda: ui.states() == [("are you there?", MessageState.DELIVERED)])
        assert back.texts() == ["are you there?"]
        stored = lan.service("Ann").store.messages("bob@bob-pc")
        assert len(stored) == 1  # resent in place, not duplicated


async def test_everyone_sends_one_broadcast_to_all(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        assert ui.open_key == EVERYONE
        await ui.send("cake in the kitchen")
        await ui.until(lambda: bob.texts() == carol.texts() == ["cake in the kitchen"])
        assert all(m.broadcast for m in bob.of(ev.MessageReceived))
        assert ui.states() == [("cake in the kitchen", MessageState.DELIVERED)]
        assert "→ everyone" in ui.chat_text()


async def test_people_one_talks_to_come_and_go_as_quiet_toasts(lan: Lan) -> None:
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    quiet_start_off(app)
    store = lan.service("Ann").store  # Ann talked with Bob yesterday; Carol is a stranger
    store.record_outgoing("bob@bob-pc", ("127.0.0.1", 9), 1, "hi", 1_700_000_000.0, sender="Ann")
    notes: list[str] = []

    def hook(message: Any) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification.message)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        ui = Ui(app, pilot)
        await pilot.pause()
        bob = await lan.peer("Bob", knows=("Ann",))
        await lan.peer("Carol", knows=("Ann",))
        await ui.until_count(3)
        await ui.until(lambda: "Bob is online" in notes)
        await bob.stop()
        await ui.until(lambda: "Bob went offline" in notes)
        assert not any("Carol" in note for note in notes)
        assert "bob@bob-pc" in ui.listed()  # offline, kept for its history


async def test_a_peer_at_a_new_address_keeps_its_conversation(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Bob2"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        bob.node.send_message([ui.addr], "from my desk")
        await ui.until(lambda: ui.unread("bob@bob-pc") == 1)
        await bob.stop()
        # Same user@host, another address (a new DHCP lease, another port here).
        moved = await lan.peer("Bob2", knows=("Ann",), nick="Bob", user="bob", host="bob-pc")
        await ui.until(lambda: ui.online("bob@bob-pc"))
        assert ui.listed() == [EVERYONE, "bob@bob-pc"]
        await ui.open("bob@bob-pc")
        await ui.send("welcome back")
        await ui.until(lambda: moved.texts() == ["welcome back"])
        assert ui.messages() == ["from my desk", "welcome back"]
        assert f":{moved.settings.port}" in ui.header()
