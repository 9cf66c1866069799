"""Two machines with one ``user@host`` (cloned PCs, one account on two laptops): two contacts.

Real nodes on 127.0.0.1 (another port stands for another machine); the namespace LAN
version, with USER/LOGNAME and the shared host name, is tests/lan/test_namesakes_lan.py.
"""

from __future__ import annotations

from ipmsg_tui.store import EVERYONE
from ipmsg_tui.ui.app import MessengerApp

from .conftest import Lan, Peer, wait_for

SIZE = (100, 30)
BOB = "bob@bob-pc"


def listed(app: MessengerApp) -> list[str]:
    return [o.id for o in app.peer_list.options if o.id and not o.disabled]


def prompt_of(app: MessengerApp, key: str) -> str:
    return str(app.peer_list.get_option(key).prompt)


def header(app: MessengerApp) -> str:
    return str(app.query_one("#chat-header").render())


def texts(app: MessengerApp) -> list[str]:
    return [row.text for row in app.chat_log.rows]


async def bob_at(lan: Lan, name: str) -> Peer:
    """A machine whose login and host name are Bob's."""
    return await lan.peer(name, knows=("Ann",), nick="Bob", user="bob", host="bob-pc")


async def test_two_peers_sharing_user_at_host_are_listed_reached_and_kept_apart(
    lan: Lan,
) -> None:
    first = await bob_at(lan, "Bob")
    app = await lan.app("Ann", knows=("Bob", "Bob2"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: BOB in listed(app))
        second = await bob_at(lan, "Bob2")
        twin = f"{BOB} (127.0.0.1:{second.settings.port})"
        await wait_for(pilot, lambda: twin in listed(app))
        assert listed(app) == [EVERYONE, BOB, twin]
        # The list tells them apart by address.
        assert f"127.0.0.1:{first.settings.port}" in prompt_of(app, BOB)
        assert f"127.0.0.1:{second.settings.port}" in prompt_of(app, twin)

        ann = ("127.0.0.1", app.settings.port)
        first.node.send_message([ann], "from the first")
        second.node.send_message([ann], "from the second")
        contacts = app.roster.contacts
        await wait_for(pilot, lambda: contacts[BOB].unread == contacts[twin].unread == 1)

        await pilot.press("down", "enter", *"to the first", "enter")
        assert app.open_key == BOB
        await wait_for(pilot, lambda: first.texts() == ["to the first"])
        assert texts(app) == ["from the first", "to the first"]
        assert f":{first.settings.port} " in header(app)
        assert f":{second.settings.port} " not in header(app)

        app.peer_list.focus()
        await pilot.press("down", "enter", *"to the second", "enter")
        assert app.open_key == twin
        await wait_for(pilot, lambda: second.texts() == ["to the second"])
        assert texts(app) == ["from the second", "to the second"]
        assert f":{second.settings.port} " in header(app)
        # The history names the sender with its address too.
        senders = {row.sender for row in app.store.messages(twin, limit=10) if row.incoming}
        assert senders == {f"Bob (127.0.0.1:{second.settings.port})"}
        assert first.texts() == ["to the first"]  # nothing of the second's leaked to the first

        # The first leaves: the second stays itself, and the first's row loses the address.
        await first.stop()
        await wait_for(pilot, lambda: prompt_of(app, BOB) == "○ Bob bob-pc")
        assert contacts[twin].is_online


async def test_the_first_of_two_namesakes_keeps_its_conversation_at_a_new_address(
    lan: Lan,
) -> None:
    first = await bob_at(lan, "Bob")
    second = await bob_at(lan, "Bob2")
    app = await lan.app("Ann", knows=("Bob", "Bob2", "Bob3"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(listed(app)) == 3)
        twin = next(key for key in listed(app) if key not in (EVERYONE, BOB))
        plain_one, twin_one = (
            (first, second)
            if twin.endswith(f":{second.settings.port})")
            else (
                second,
                first,
            )
        )
        plain_one.node.send_message([("127.0.0.1", app.settings.port)], "before the move")
        await wait_for(pilot, lambda: app.roster.contacts[BOB].unread == 1)
        await plain_one.stop()
        # Same machine, a new lease: it comes back as the plain user@host.
        moved = await bob_at(lan, "Bob3")
        await wait_for(pilot, lambda: moved.addr in app.roster.contacts[BOB].online)
        assert listed(app) == [EVERYONE, BOB, twin]
        await pilot.press("down", "enter", *"welcome back", "enter")
        await wait_for(pilot, lambda: moved.texts() == ["welcome back"])
        assert texts(app) == ["before the move", "welcome back"]
        assert twin_one.texts() == []


async def test_a_namesake_seen_before_gets_its_own_conversation_back_after_a_restart(
    lan: Lan,
) -> None:
    await bob_at(lan, "Bob")
    app = await lan.app("Ann", knows=("Bob", "Bob2"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: BOB in listed(app))
        second = await bob_at(lan, "Bob2")
        twin = f"{BOB} (127.0.0.1:{second.settings.port})"
        await wait_for(pilot, lambda: twin in listed(app))
        second.node.send_message([("127.0.0.1", app.settings.port)], "I am the other one")
        await wait_for(pilot, lambda: app.roster.contacts[twin].unread == 1)
    await lan.started[0].stop()  # the first machine is off today

    # Restarted with only the second one online: it is still the twin, not the first.
    again = await lan.app("Ann", knows=("Bob", "Bob2"))
    async with again.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: twin in listed(again) and again.roster.contacts[twin].online)
        assert BOB not in again.roster.contacts  # no history with the first, and not online
        assert listed(again)[:2] == [EVERYONE, twin]
        await pilot.press("down")
        assert again.open_key == twin
        assert texts(again) == ["I am the other one"]
