"""A message sent to several peers in the app: shown once in each recipient's conversation
with who got it, and resent by a click to the one that did not, alone."""

from __future__ import annotations

from ipmsg_tui.history import HistoryRecorder
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.engine import OutgoingMessage
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import HistoryStore, MessageState
from ipmsg_tui.ui.chatlog import ChatLog
from ipmsg_tui.ui.sidebar import PeerList

from .conftest import Lan
from .driver import SIZE, Ui


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

    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        await pilot.press("down", "down")  # Everyone, Bob, Carol
        assert ui.open_key == "carol@carol-pc"
        await ui.until(lambda: ui.states() == [("stand-up in 5", MessageState.FAILED)])
        text = ui.chat_text()
        assert "to Bob, Carol" in text and "✗ 1/2 · not to Carol" in text
        await pilot.click(ChatLog, offset=(5, 2))
        await ui.until(lambda: ui.states() == [("stand-up in 5", MessageState.DELIVERED)])
        assert "✓ 2/2" in ui.chat_text()
        (got,) = carol.of(ev.MessageReceived)
        assert got.text == "stand-up in 5" and got.multicast
        assert bob.texts() == []  # Bob had it already: not sent again
        ui.show("bob@bob-pc")  # the same message, once, in Bob's too
        await ui.until(lambda: ui.states() == [("stand-up in 5", MessageState.DELIVERED)])


async def test_marked_peers_get_one_message_shown_once(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        await pilot.press("down", "down", "space")  # Carol marked
        assert ui.marked() == {"carol@carol-pc"}
        assert "☑" in ui.row("carol@carol-pc")
        await pilot.press("up")  # Bob's conversation, Carol still marked
        assert ui.open_key == "bob@bob-pc"
        assert ui.draft_title() == "To Bob, Carol"  # who it will go to
        await pilot.press(*"team lunch?", "enter")
        await ui.until(lambda: ui.states() == [("team lunch?", MessageState.DELIVERED)])
        assert "to Bob, Carol  ✓ 2/2" in ui.chat_text()
        (to_bob,) = bob.of(ev.MessageReceived)
        (to_carol,) = carol.of(ev.MessageReceived)
        assert to_bob.multicast and to_carol.multicast
        assert to_bob.packet_no == to_carol.packet_no
        assert ui.marked() == set()  # sent: the marks are cleared
        assert "☑" not in ui.row("carol@carol-pc")
        assert ui.draft_title() == "To Bob"
        ui.show("carol@carol-pc")
        await ui.until(lambda: ui.states() == [("team lunch?", MessageState.DELIVERED)])
        # A single message again afterwards.
        ui.focus_on("input")
        await pilot.press(*"just you", "enter")
        await ui.until(lambda: carol.texts() == ["team lunch?", "just you"])
        assert not carol.of(ev.MessageReceived)[-1].multicast


async def test_a_click_on_a_group_header_marks_the_whole_group(lan: Lan) -> None:
    await lan.peer("Bob", knows=("Ann",), group="研发")
    await lan.peer("Carol", knows=("Ann",), group="研发")
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        options = ui.option_ids()
        header = next(i for i, row_id in enumerate(options) if "研发" in row_id)
        await pilot.click(PeerList, offset=(3, header))
        assert ui.marked() == {"bob@bob-pc", "carol@carol-pc"}
        await pilot.click(PeerList, offset=(3, header))
        assert ui.marked() == set()
        await pilot.click(PeerList, offset=(3, header + 1), control=True)
        assert ui.marked() == {options[header + 1]}
