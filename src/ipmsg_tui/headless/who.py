"""``ipmsg-tui who``: announce, collect answers, print who is online, leave."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import TextIO

from ..config import Settings
from ..protocol import events as ev
from ..session import build_node
from .common import stop_on_signals
from .output import format_peer_table, peer_record, write_line


async def run_who(settings: Settings, wait: float, as_json: bool, out: TextIO = sys.stdout) -> int:
    loop = asyncio.get_running_loop()

    def ask_keys(event: ev.Event) -> None:
        # Encrypting peers are asked for their key, so --json can show its fingerprint.
        if isinstance(event, ev.PeerJoined | ev.PeerChanged):
            loop.call_soon(node.request_key, event.peer.addr)

    node = build_node(settings, [ask_keys])
    await node.start()
    stop = asyncio.Event()
    stop_on_signals(stop)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), wait)
    peers = sorted(node.peers, key=lambda p: (p.group.casefold(), p.name.casefold(), p.ip))
    await node.stop()
    if as_json:
        records = [peer_record(p, node.engine.peer_fingerprint(p.addr)) for p in peers]
        write_line(out, json.dumps(records, ensure_ascii=False))
    elif peers:
        write_line(out, format_peer_table(peers))
    else:
        write_line(out, f"nobody answered within {wait:g} s")
    return 0
