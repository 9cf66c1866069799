"""Thousands of peers: real BR_ENTRY datagrams from as many loopback addresses."""

from __future__ import annotations

import socket
import time

from ipmsg_tui.protocol.constants import Command, EntryOpt
from ipmsg_tui.protocol.entry import build_entry
from ipmsg_tui.protocol.packet import format_packet

from .conftest import Lan
from .driver import Ui
from .test_story import SIZE

PEERS = 3000


def announce(index: int, to: tuple[str, int]) -> None:
    """peer-N says hello from its own address (127.0.x.y: all of 127/8 is loopback)."""
    user, host = f"peer-{index}", f"host-{index}"
    group = f"team-{index % 7}"
    entry = build_entry(f"Peer {index:04d}", group, user, host, "utf-8")
    command = Command.BR_ENTRY | EntryOpt.CAPUTF8OPT | EntryOpt.UTF8OPT
    packet = format_packet(b"1", 1000 + index, user.encode(), host.encode(), command, entry)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind((f"127.0.{1 + index // 250}.{1 + index % 250}", 0))
        sender.sendto(packet, to)


async def test_the_sidebar_copes_with_thousands_of_peers(lan: Lan) -> None:
    app = await lan.app("Ann")
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await pilot.pause()
        started = time.perf_counter()
        for index in range(PEERS):
            announce(index, ui.addr)
            if index % 250 == 249:
                await pilot.pause()  # let the app read its socket as a LAN would
        await ui.until(lambda: len(ui.listed()) == PEERS + 1, timeout=30)
        joined = time.perf_counter() - started
        assert joined < 20, f"{PEERS} peers took {joined:.1f} s to list"
        assert len(ui.headers()) == 7  # group headers
        assert ui.online_count() == PEERS

        # Moving through the list stays quick.
        started = time.perf_counter()
        await pilot.press("end")
        await pilot.press(*["up"] * 20)
        moved = time.perf_counter() - started
        assert moved < 5, f"moving took {moved:.1f} s"
        assert ui.open_key is not None and ui.open_key.startswith("peer-")

        # So does filtering down to one of them.
        started = time.perf_counter()
        await pilot.press("slash", *"peer-2345@")
        assert ui.listed() == ["peer-2345@host-2345"]
        assert time.perf_counter() - started < 5
