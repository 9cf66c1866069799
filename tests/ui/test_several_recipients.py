"""A message sent to several peers in the app: shown once in each recipient's conversation
with who got it, and resent by a click to the one that did not, alone."""

from __future__ import annotations

from ipmsg_tui.history import HistoryRecorder
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.engine import OutgoingMessage
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import HistoryStore, MessageState
from ipmsg_tui.ui.chatlog import ChatLog

from .conftest import Lan, wait_for
from .test_story import SIZE, listed, states


async def test_a_message_to_several_is_shown_once_and_resent_to_the_one_that_missed_it(
    lan: Lan,
) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    settings = lan.settings("Ann", knows=("Bob", "Carol"))
    # Sent earlier (by `send Bob ... --to Carol`, say): Bob got it, Carol did not.
    store = HistoryStore(settings.history_path)
    recorder = HistoryRecorder(store)
    peers = [
        Peer(bob.addr, "bob", "bob-pc", nick="Bob"),
        Peer(carol.addr, "carol", "carol-pc", nick="Carol"),
    ]
    part = OutgoingMessage(4242, "stand-up in 5", (bob.addr, carol.addr))
    recorder.record_sent([part], peers, "Ann", 1_800_000_000.0)
    recorder.on_event(ev.MessageDelivered(bob.addr, 4242))
    recorder.on_event(ev.MessageFailed(carol.addr, 4242))
    store.close()

    app = lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        await pilot.press("down", "down")  # Everyone, Bob, Carol
        assert app.open_key == "carol@carol-pc"
        await wait_for(pilot, lambda: states(app) == [("stand-up in 5", MessageState.FAILED)])
        text = "\n".join(app.chat_log.plain_lines())
        assert "to Bob, Carol" in text and "✗ 1/2 · not to Carol" in text
        await pilot.click(ChatLog, offset=(5, 2))
        await wait_for(pilot, lambda: states(app) == [("stand-up in 5", MessageState.DELIVERED)])
        assert "✓ 2/2" in "\n".join(app.chat_log.plain_lines())
        (got,) = carol.of(ev.MessageReceived)
        assert got.text == "stand-up in 5" and got.multicast
        assert bob.texts() == []  # Bob had it already: not sent again
        app.open_conversation("bob@bob-pc")  # the same message, once, in Bob's too
        await wait_for(pilot, lambda: states(app) == [("stand-up in 5", MessageState.DELIVERED)])
