"""Two machines with one ``user@host`` (cloned PCs, one account on two laptops): two contacts.

Real nodes on 127.0.0.1 (another port stands for another machine); the namespace LAN
version, with USER/LOGNAME and the shared host name, is tests/lan/test_namesakes_lan.py.
"""

from __future__ import annotations

from ipmsg_tui.store import EVERYONE

from .conftest import Lan, Peer
from .driver import Ui

SIZE = (100, 30)
BOB = "bob@bob-pc"


async def bob_at(lan: Lan, name: str) -> Peer:
    """A machine whose login and host name are Bob's."""
    return await lan.peer(name, knows=("Ann",), nick="Bob", user="bob", host="bob-pc")


async def test_two_peers_sharing_user_at_host_are_listed_reached_and_kept_apart(
    lan: Lan,
) -> None:
    first = await bob_at(lan, "Bob")
    app = await lan.app("Ann", knows=("Bob", "Bob2"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until(lambda: BOB in ui.listed())
        second = await bob_at(lan, "Bob2")
        twin = f"{BOB} (127.0.0.1:{second.settings.port})"
        await ui.until(lambda: twin in ui.listed())
        assert ui.listed() == [EVERYONE, BOB, twin]
        # The list tells them apart by address.
        assert f"127.0.0.1:{first.settings.port}" in ui.row(BOB)
        assert f"127.0.0.1:{second.settings.port}" in ui.row(twin)

        ann = ui.addr
        first.node.send_message([ann], "from the first")
        second.node.send_message([ann], "from the second")
        await ui.until(lambda: ui.contact(BOB).unread == ui.contact(twin).unread == 1)

        await pilot.press("down", "enter", *"to the first", "enter")
        assert ui.open_key == BOB
        await ui.until(lambda: first.texts() == ["to the first"])
        assert ui.messages() == ["from the first", "to the first"]
        assert f":{first.settings.port} " in ui.header()
        assert f":{second.settings.port} " not in ui.header()

        ui.focus_on("sidebar")
        await pilot.press("down", "enter", *"to the second", "enter")
        assert ui.open_key == twin
        await ui.until(lambda: second.texts() == ["to the second"])
        assert ui.messages() == ["from the second", "to the second"]
        assert f":{second.settings.port} " in ui.header()
        # The history names the sender with its address too.
        stored = lan.service("Ann").store.messages(twin, limit=10)
        senders = {row.sender for row in stored if row.incoming}
        assert senders == {f"Bob (127.0.0.1:{second.settings.port})"}
        assert first.texts() == ["to the first"]  # nothing of the second's leaked to the first

        # The first leaves: the second stays itself, and the first's row loses the address.
        await first.stop()
        await ui.until(lambda: ui.row(BOB) == "○ Bob bob-pc")
        assert ui.contact(twin).is_online


async def test_the_first_of_two_namesakes_keeps_its_conversation_at_a_new_address(
    lan: Lan,
) -> None:
    first = await bob_at(lan, "Bob")
    second = await bob_at(lan, "Bob2")
    app = await lan.app("Ann", knows=("Bob", "Bob2", "Bob3"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until(lambda: len(ui.listed()) == 3)
        twin = next(key for key in ui.listed() if key not in (EVERYONE, BOB))
        plain_one, twin_one = (
            (first, second)
            if twin.endswith(f":{second.settings.port})")
            else (
                second,
                first,
            )
        )
        plain_one.node.send_message([ui.addr], "before the move")
        await ui.until(lambda: ui.contact(BOB).unread == 1)
        await plain_one.stop()
        # Same machine, a new lease: it comes back as the plain user@host.
        moved = await bob_at(lan, "Bob3")
        await ui.until(lambda: moved.addr in ui.contact(BOB).online)
        assert ui.listed() == [EVERYONE, BOB, twin]
        await pilot.press("down", "enter", *"welcome back", "enter")
        await ui.until(lambda: moved.texts() == ["welcome back"])
        assert ui.messages() == ["before the move", "welcome back"]
        assert twin_one.texts() == []


async def test_a_namesake_seen_before_gets_its_own_conversation_back_after_a_restart(
    lan: Lan,
) -> None:
    await bob_at(lan, "Bob")
    app = await lan.app("Ann", knows=("Bob", "Bob2"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until(lambda: BOB in ui.listed())
        second = await bob_at(lan, "Bob2")
        twin = f"{BOB} (127.0.0.1:{second.settings.port})"
        await ui.until(lambda: twin in ui.listed())
        second.node.send_message([ui.addr], "I am the other one")
        await ui.until(lambda: ui.contact(twin).unread == 1)
    await lan.started[0].stop()  # the first machine is off today

    # Restarted with only the second one online: it is still the twin, not the first.
    again = await lan.app("Ann", knows=("Bob", "Bob2"))
    async with again.run_test(size=SIZE) as pilot:
        ui = Ui(again, pilot)
        await ui.until(lambda: twin in ui.listed() and ui.contact(twin).online)
        assert BOB not in ui.contacts()  # no history with the first, and not online
        assert ui.listed()[:2] == [EVERYONE, twin]
        await pilot.press("down")
        assert ui.open_key == twin
        assert ui.messages() == ["I am the other one"]
