"""A conversation can be forgotten (a mistyped address's ghost), and a peer that went
silent (crashed, cable pulled) leaves the list of those online."""

from __future__ import annotations

import socket
from dataclasses import replace

from ipmsg_tui.service import Messenger
from ipmsg_tui.session import engine_config
from ipmsg_tui.ui.app import MessengerApp
from ipmsg_tui.ui.screens.confirm import Confirm

from .conftest import Lan, wait_for
from .driver import Ui, quiet_start_off
from .test_commands import run_command
from .test_story import SIZE, listed


def unused_port() -> int:
    """A loopback UDP port where nobody listens (a mistyped address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_mistyped_address_can_be_forgotten_after_asking(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    ghost_addr = ("127.0.0.1", unused_port())
    ghost = f"?@{ghost_addr[0]}:{ghost_addr[1]}"
    ann = lan.service("Ann")
    ann.send([ghost_addr], "hello? anybody?")  # as `send 127.0.0.1:PORT` does
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed(ghost, "bob@bob-pc")
        ui.chat_with(ghost)
        await run_command(pilot, "forget this")
        await ui.until_dialog(Confirm)
        await pilot.press("escape")  # kept: nothing happens without a yes
        await pilot.pause()
        assert ghost in listed(app) and ann.store.count(ghost) == 1
        await run_command(pilot, "forget this")
        await ui.until_dialog(Confirm)
        await pilot.press("y")
        await wait_for(pilot, lambda: ghost not in listed(app))
        assert ann.store.conversation(ghost) is None and ann.store.count(ghost) == 0
        assert ui.open_key == "*"
        # An online peer's history goes, the peer stays listed.
        ui.chat_with("bob@bob-pc")
        await pilot.press(*"hi bob", "enter")
        await wait_for(pilot, lambda: "hi bob" in bob.texts())
        await run_command(pilot, "forget this")
        await ui.until_dialog(Confirm)
        await pilot.press("y")
        await wait_for(pilot, lambda: ann.store.count("bob@bob-pc") == 0)
        assert "bob@bob-pc" in ui.listed() and ui.open_key == "bob@bob-pc"
        assert ui.rows() == []
    # Gone for good: not back after a restart.
    assert ghost not in [c.key for c in ann.store.conversations()]


async def test_a_peer_gone_silent_is_shown_offline(lan: Lan) -> None:
    settings = lan.settings("Ann")
    config, plan = engine_config(settings)
    quick = replace(config, silent_after=0.3, probe_answer_within=0.6)
    messenger = Messenger.keeping_history(settings, engine=(quick, plan))
    messenger.node.engine._silence.sweep_every = 0.2  # every 15 s in real life
    lan.messengers.append(messenger)
    await messenger.start()
    app = MessengerApp(messenger)
    quiet_start_off(app)
    # A peer that announces itself and then crashes: it never answers again.
    crashed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    crashed.bind(("127.0.0.1", 0))
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            entry = b"1:77:dave:dave-pc:1:Dave\0\0"  # BR_ENTRY
            crashed.sendto(entry, ("127.0.0.1", settings.port))
            ui = Ui(app, pilot)
            await ui.until_listed("dave@dave-pc")
            assert ui.online_count() == 1
            await ui.until(lambda: ui.online_count() == 0, timeout=6)
            # No history with him: he leaves the list.
            await wait_for(pilot, lambda: "dave@dave-pc" not in listed(app))
    finally:
        crashed.close()
