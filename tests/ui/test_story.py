"""The user story end to end: real nodes on 127.0.0.1, the app driven by keyboard and mouse."""

from __future__ import annotations

from typing import Any

from textual.notifications import Notify

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.store import EVERYONE, MessageState
from ipmsg_tui.ui.app import MessengerApp
from ipmsg_tui.ui.chatlog import ChatLog
from ipmsg_tui.ui.composer import Composer
from ipmsg_tui.ui.sidebar import PeerList

from .conftest import Lan, wait_for

SIZE = (100, 30)


def listed(app: MessengerApp) -> list[str]:
    """Contact keys in the sidebar, top to bottom (headers left out)."""
    return [o.id for o in app.peer_list.options if o.id and not o.disabled]


def prompt_of(app: MessengerApp, key: str) -> str:
    return str(app.peer_list.get_option(key).prompt)


def states(app: MessengerApp) -> list[tuple[str, MessageState]]:
    return [(row.text, row.state) for row in app.chat_log.rows]


async def test_a_peer_appears_is_chosen_by_arrow_and_gets_a_delivered_message(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        assert isinstance(app.focused, PeerList)  # the sidebar has focus at start
        assert app.open_key == EVERYONE
        await pilot.press("down")
        assert app.open_key == "bob@bob-pc"
        assert "online" in str(app.query_one("#chat-header").render())
        await pilot.press("enter")  # to the input box
        assert isinstance(app.focused, Composer)
        await pilot.press(*"hello bob", "enter")
        await wait_for(pilot, lambda: states(app) == [("hello bob", MessageState.DELIVERED)])
        assert bob.texts() == ["hello bob"]
        assert "✓ delivered" in "\n".join(app.chat_log.plain_lines())
        assert app.composer.text == ""


async def test_a_click_selects_a_peer_and_starting_to_type_writes_to_it(lan: Lan) -> None:
    carol = await lan.peer("Carol", knows=("Ann",))
    await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        assert listed(app) == [EVERYONE, "bob@bob-pc", "carol@carol-pc"]
        # Rows: the filter box, then Everyone, Bob, Carol.
        await pilot.click(PeerList, offset=(3, 2))
        assert app.open_key == "carol@carol-pc"
        assert isinstance(app.focused, Composer)  # a click on a peer is "write to it"
        await pilot.press("escape")
        assert isinstance(app.focused, PeerList)
        await pilot.press("up")
        assert app.open_key == "bob@bob-pc"
        await pilot.press("down")
        await pilot.press(*"hi carol")  # typing on the list goes to the input box
        assert isinstance(app.focused, Composer)
        assert app.composer.text == "hi carol"
        await pilot.press("enter")
        await wait_for(pilot, lambda: carol.texts() == ["hi carol"])


async def test_a_reply_elsewhere_raises_the_unread_count_rings_and_toasts(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    notes: list[Notify] = []
    app = await lan.app("Ann", knows=("Bob",))
    rings: list[bool] = []
    ring = app.bell
    app.bell = lambda: (rings.append(True), ring())[-1]  # type: ignore[method-assign]

    def hook(message: Any) -> None:
        if isinstance(message, Notify):
            notes.append(message)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        assert app.open_key == EVERYONE  # Bob's conversation is not open
        bob.node.send_message([("127.0.0.1", app.settings.port)], "lunch? 🍜")
        await wait_for(pilot, lambda: app.roster.contacts["bob@bob-pc"].unread == 1)
        await wait_for(pilot, lambda: " 1 " in prompt_of(app, "bob@bob-pc"))
        assert rings == [True]
        assert any(n.notification.message == "lunch? 🍜" for n in notes)
        assert app.store.unread_counts() == {"bob@bob-pc": 1}
        assert "1 unread" in str(app.query_one("#presence").render())
        await pilot.press("down")  # opening it reads it
        assert app.open_key == "bob@bob-pc"
        assert [row.text for row in app.chat_log.rows] == ["lunch? 🍜"]
        await wait_for(pilot, lambda: " 1 " not in prompt_of(app, "bob@bob-pc"))
        assert app.store.unread_counts() == {}
        bob.node.send_message([("127.0.0.1", app.settings.port)], "on screen now")
        await wait_for(pilot, lambda: len(app.chat_log.rows) == 2)
        assert app.roster.contacts["bob@bob-pc"].unread == 0
        assert rings == [True]  # no bell for the conversation on screen


async def test_a_peer_that_leaves_disappears_unless_its_conversation_is_open(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        await bob.stop()  # BR_EXIT
        await wait_for(pilot, lambda: listed(app) == [EVERYONE, "carol@carol-pc"])
        await pilot.press("down")
        assert app.open_key == "carol@carol-pc"
        await carol.stop()
        await wait_for(pilot, lambda: not app.roster.contacts["carol@carol-pc"].is_online)
        await wait_for(pilot, lambda: "○" in prompt_of(app, "carol@carol-pc"))
        assert listed(app) == [EVERYONE, "carol@carol-pc"]  # still readable, marked offline
        assert "offline" in str(app.query_one("#chat-header").render())
        await pilot.press("up")  # leaving it lets it go: it has no history
        await wait_for(pilot, lambda: listed(app) == [EVERYONE])


async def test_history_and_unread_counts_survive_a_restart(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    first = await lan.app("Ann", knows=("Bob",))
    async with first.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(first))
        await pilot.press("down", "enter", *"see you tomorrow", "enter")
        await wait_for(
            pilot, lambda: states(first) == [("see you tomorrow", MessageState.DELIVERED)]
        )
        await pilot.press("escape", "up")  # back to Everyone
        bob.node.send_message([("127.0.0.1", first.settings.port)], "bye!")
        await wait_for(pilot, lambda: first.roster.contacts["bob@bob-pc"].unread == 1)
    await wait_for_exit(bob, "bob@bob-pc")
    await bob.stop()  # Bob is gone too: yesterday's conversation must still be there

    second = await lan.app("Ann", knows=("Bob",))
    async with second.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "bob@bob-pc" in listed(second)  # offline, but with history and unread
        assert " 1 " in prompt_of(second, "bob@bob-pc")
        assert second.store.unread_counts() == {"bob@bob-pc": 1}
        await pilot.press("down")
        assert second.open_key == "bob@bob-pc"
        assert states(second) == [
            ("see you tomorrow", MessageState.DELIVERED),
            ("bye!", MessageState.RECEIVED),
        ]
        assert second.store.unread_counts() == {}


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
        await wait_for(ann_pilot, lambda: "bob@bob-pc" in listed(ann))
        await wait_for(bob_pilot, lambda: "ann@ann-pc" in listed(bob))
        await ann_pilot.press("down", "enter", *"你好 Bob", "enter")
        await wait_for(ann_pilot, lambda: states(ann) == [("你好 Bob", MessageState.DELIVERED)])
        await wait_for(bob_pilot, lambda: bob.roster.contacts["ann@ann-pc"].unread == 1)
        await bob_pilot.press("down", "enter", *"hi Ann", "enter")
        assert [r.text for r in bob.chat_log.rows] == ["你好 Bob", "hi Ann"]
        await wait_for(ann_pilot, lambda: [r.text for r in ann.chat_log.rows][-1:] == ["hi Ann"])
        await wait_for(bob_pilot, lambda: states(bob)[-1] == ("hi Ann", MessageState.DELIVERED))


async def test_sealed_messages_stay_sealed_until_opened_then_readmsg_goes_out(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down")
        bob.node.send_message([("127.0.0.1", app.settings.port)], "the secret", sealed=True)
        await wait_for(pilot, lambda: len(app.chat_log.rows) == 1)
        assert states(app) == [("the secret", MessageState.SEALED)]
        shown = "\n".join(app.chat_log.plain_lines())
        assert "the secret" not in shown and "sealed" in shown
        await pilot.press("enter", "shift+tab")  # into the messages
        assert isinstance(app.focused, ChatLog)
        await pilot.press("enter")  # open it
        assert states(app) == [("the secret", MessageState.OPENED)]
        assert "the secret" in "\n".join(app.chat_log.plain_lines())
        await wait_for(pilot, lambda: bob.of(ev.MessageOpened))
        assert app.store.messages("bob@bob-pc")[0].state is MessageState.OPENED

        # and the other way round: ours is shown opened once Bob reads it
        await pilot.press("escape", "tab", "ctrl+s", *"for your eyes", "enter")
        await wait_for(pilot, lambda: states(app)[-1] == ("for your eyes", MessageState.DELIVERED))
        (received,) = [m for m in bob.of(ev.MessageReceived) if m.sealed]
        bob.node.open_sealed(received.addr, received.packet_no, received.read_check)
        await wait_for(pilot, lambda: states(app)[-1] == ("for your eyes", MessageState.OPENED))
        assert "✓✓ opened" in "\n".join(app.chat_log.plain_lines())


async def test_a_message_not_delivered_can_be_resent_by_click(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down")
        # Bob's machine goes quiet without a goodbye: nobody acknowledges.
        bob.node._transport.close()  # type: ignore[union-attr]
        bob.node._transport = None
        await pilot.press("enter", *"are you there?", "enter")
        await wait_for(pilot, lambda: states(app) == [("are you there?", MessageState.FAILED)])
        assert "not delivered" in "\n".join(app.chat_log.plain_lines())
        back = await lan.peer("Bob", knows=("Ann",))
        await wait_for(pilot, lambda: app.roster.contacts["bob@bob-pc"].is_online)
        # Click the message (first line of the log: the start banner, then the day rule).
        await pilot.click(ChatLog, offset=(5, 2))
        await wait_for(pilot, lambda: states(app) == [("are you there?", MessageState.DELIVERED)])
        assert back.texts() == ["are you there?"]
        assert len(app.store.messages("bob@bob-pc")) == 1  # resent in place, not duplicated


async def test_everyone_sends_one_broadcast_to_all(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        assert app.open_key == EVERYONE
        await pilot.press("enter", *"cake in the kitchen", "enter")
        await wait_for(pilot, lambda: bob.texts() == carol.texts() == ["cake in the kitchen"])
        assert all(m.broadcast for m in bob.of(ev.MessageReceived))
        assert states(app) == [("cake in the kitchen", MessageState.DELIVERED)]
        assert "→ everyone" in "\n".join(app.chat_log.plain_lines())


async def test_people_one_talks_to_come_and_go_as_quiet_toasts(lan: Lan) -> None:
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    app.quiet_start = 0
    store = app.store  # Ann talked with Bob yesterday; Carol is a stranger
    store.record_outgoing("bob@bob-pc", ("127.0.0.1", 9), 1, "hi", 1_700_000_000.0, sender="Ann")
    notes: list[str] = []

    def hook(message: Any) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification.message)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.pause()
        bob = await lan.peer("Bob", knows=("Ann",))
        await lan.peer("Carol", knows=("Ann",))
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        await wait_for(pilot, lambda: "Bob is online" in notes)
        await bob.stop()
        await wait_for(pilot, lambda: "Bob went offline" in notes)
        assert not any("Carol" in note for note in notes)
        assert "bob@bob-pc" in listed(app)  # offline, kept for its history


async def test_a_peer_at_a_new_address_keeps_its_conversation(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Bob2"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        bob.node.send_message([("127.0.0.1", app.settings.port)], "from my desk")
        await wait_for(pilot, lambda: app.roster.contacts["bob@bob-pc"].unread == 1)
        await bob.stop()
        # Same user@host, another address (a new DHCP lease, another port here).
        moved = await lan.peer("Bob2", knows=("Ann",), nick="Bob", user="bob", host="bob-pc")
        await wait_for(pilot, lambda: app.roster.contacts["bob@bob-pc"].is_online)
        assert listed(app) == [EVERYONE, "bob@bob-pc"]
        await pilot.press("down", "enter", *"welcome back", "enter")
        await wait_for(pilot, lambda: moved.texts() == ["welcome back"])
        assert [row.text for row in app.chat_log.rows] == ["from my desk", "welcome back"]
        assert f":{moved.settings.port}" in str(app.query_one("#chat-header").render())
