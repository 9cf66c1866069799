"""Remove host…: a saved host or broadcast address is picked from a list, then no longer
announced to (the engine's targets) nor saved (the config file)."""

from __future__ import annotations

import socket

from ipmsg_tui.ui.screens.choose import ChoicePrompt

from .conftest import Lan, wait_for
from .driver import Ui, saved
from .test_commands import run_command
from .test_story import SIZE, listed


def drain(sock: socket.socket) -> int:
    """How many datagrams wait on ``sock`` (read and dropped)."""
    count = 0
    while True:
        try:
            sock.recv(65536)
        except BlockingIOError:
            return count
        count += 1


async def test_a_saved_host_and_broadcast_address_are_removed(lan: Lan) -> None:
    carol = await lan.peer("Carol")  # nobody knows her
    app = await lan.app("Ann")
    spare = f"127.0.0.1:{lan.port_of('Dave')}"  # nobody listens there: loopback only
    host = f"127.0.0.1:{carol.settings.port}"
    # What is announced to the "broadcast address" lands here (loopback only).
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", lan.port_of("Dave")))
    listener.setblocking(False)
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        messenger = lan.service("Ann")
        assert messenger.add_target(host, broadcast=False).problem is None
        assert messenger.add_target(spare, broadcast=True).problem is None
        await wait_for(pilot, lambda: "carol@carol-pc" in listed(app))
        assert saved(app)["hosts"] == [host] and saved(app)["broadcast"] == [spare]
        config = lambda: messenger.node.engine.config  # noqa: E731
        ui.refresh()  # announced to while it is a target
        await wait_for(pilot, lambda: drain(listener) > 0)

        await run_command(pilot, "remove host")
        choice = await ui.until_dialog(ChoicePrompt)
        assert choice.items == [f"host  {host}", f"broadcast  {spare}"]
        await pilot.press("down", "enter")  # the broadcast address
        await ui.until_closed(ChoicePrompt)
        assert saved(app)["broadcast"] == [] and saved(app)["hosts"] == [host]
        assert ("127.0.0.1", lan.port_of("Dave")) not in config().broadcast_targets
        assert messenger.settings.broadcast == ()
        await pilot.pause(0.3)
        drain(listener)  # what was on its way before
        ui.refresh()  # no longer announced to
        await pilot.pause(0.3)
        assert drain(listener) == 0

        await run_command(pilot, "remove host")
        await ui.until_dialog(ChoicePrompt)
        await pilot.press("enter")
        await ui.until_closed(ChoicePrompt)
        assert saved(app)["hosts"] == []
        assert carol.addr not in config().unicast_targets
        assert messenger.settings.hosts == ()
        assert "carol@carol-pc" in listed(app)  # found through it: listed until she leaves

        await run_command(pilot, "remove host")  # nothing left: said, no dialog
        await pilot.pause(0.2)
        assert not ui.showing(ChoicePrompt)
    listener.close()
