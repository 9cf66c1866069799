"""``ipmsg-tui who``: announce, collect answers, print who is online, leave."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import TextIO

from ..config import Settings
from ..i18n import _
from ..protocol.peers import Peer
from ..service import Messenger
from ..service import events as news
from .common import stop_on_signals, warn_if_nick_shortened
from .output import format_peer_table, peer_record, write_line
from .remote import who_through_app


async def run_who(settings: Settings, wait: float, as_json: bool, out: TextIO = sys.stdout) -> int:
    """Print who is online: the running app's list if it runs on our port (no wait), else
    those who answer within ``wait`` seconds."""
    known = await who_through_app(settings)
    if known is None:
        known = await _ask_the_lan(settings, wait)
    peers = sorted(
        (peer for peer, _ in known), key=lambda p: (p.group.casefold(), p.name.casefold(), p.ip)
    )
    if as_json:
        fingerprints = {peer.addr: fingerprint for peer, fingerprint in known}
        records = [peer_record(p, fingerprints.get(p.addr)) for p in peers]
        write_line(out, json.dumps(records, ensure_ascii=False))
    elif peers:
        write_line(out, format_peer_table(peers))
    else:
        write_line(out, _("nobody answered within {seconds:g} s").format(seconds=wait))
    return 0


async def _ask_the_lan(settings: Settings, wait: float) -> list[tuple[Peer, str | None]]:
    loop = asyncio.get_running_loop()
    # Nothing is kept (the history stays in memory), no file service (offers go unanswered).
    messenger = Messenger(settings, files=False)
    warn_if_nick_shortened(settings.nick, messenger.fitting_nick(settings.nick))

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
        known = [(p, messenger.fingerprint(p.addr)) for p in messenger.peers]
        await messenger.stop()
    finally:
        messenger.close()
    return known
