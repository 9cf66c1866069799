"""``ipmsg-tui who``: announce, collect answers, print who is online, leave."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import TextIO

from ..config import Settings
from ..i18n import _
from ..service import Messenger
from ..service import events as news
from .common import stop_on_signals
from .output import format_peer_table, peer_record, write_line


async def run_who(settings: Settings, wait: float, as_json: bool, out: TextIO = sys.stdout) -> int:
    loop = asyncio.get_running_loop()
    messenger = Messenger(settings)  # nothing is kept: the history stays in memory

    def ask_keys(event: news.News) -> None:
        # Encrypting peers are asked for their key, so --json can show its fingerprint.
        if isinstance(event, news.PeerOnline):
            loop.call_soon(messenger.request_key, event.peer.addr)

    messenger.subscribe(ask_keys)
    try:
        await messenger.start(serve_files=False, keys=True)
        stop = asyncio.Event()
        stop_on_signals(stop)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        peers = sorted(messenger.peers, key=lambda p: (p.group.casefold(), p.name.casefold(), p.ip))
        await messenger.stop()
    finally:
        messenger.close()
    if as_json:
        records = [peer_record(p, messenger.fingerprint(p.addr)) for p in peers]
        write_line(out, json.dumps(records, ensure_ascii=False))
    elif peers:
        write_line(out, format_peer_table(peers))
    else:
        write_line(out, _("nobody answered within {seconds:g} s").format(seconds=wait))
    return 0
