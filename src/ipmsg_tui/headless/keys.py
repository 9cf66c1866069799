"""``ipmsg-tui keys``: our fingerprint and the peers' pinned keys; ``keys accept PEER`` pins
the key a peer gives us now, after a changed-key warning, so the warning stops (through the
running app, if one holds the port: the warning goes there at once)."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import replace
from typing import TextIO

from ..config import Settings
from ..i18n import _
from ..keystore import load_keys
from ..protocol.pubkey import fingerprint
from ..service import KeyNotKnown, Messenger
from ..service.delivery import KEY_EXCHANGE_WAIT
from ..service.finding import TargetNotFound, find_target
from ..store import HistoryStore
from ..targets import is_address
from .common import INTERRUPTED, CommandError, interrupt_on_signals
from .remote import accept_key_through_app


def run_keys_list(settings: Settings, store: HistoryStore, out: TextIO = sys.stdout) -> int:
    """Reads the key files and the history only: no network, works beside the app."""
    keys = load_keys(settings.data_dir)  # never made here: that is the app's and commands' job
    if keys is None:
        print(_("our fingerprint: none yet (keys are made on the first run)"), file=out)
    else:
        ours = fingerprint(keys.key_2048.public_key())
        print(_("our fingerprint: {fingerprint}").format(fingerprint=ours), file=out)
    pins = store.pins()
    if not pins:
        print(_("no pinned peer keys"), file=out)
        return 0
    width = max(len(identity) for identity, _, _ in pins)
    print(f"{'PEER':<{width}}  {'FINGERPRINT':<49}  PINNED", file=out)
    for identity, print_, pinned_at in pins:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(pinned_at))
        print(f"{identity:<{width}}  {print_:<49}  {when}", file=out)
    return 0


async def run_keys_accept(
    settings: Settings, target: str, store: HistoryStore, out: TextIO = sys.stdout
) -> int:
    """Find PEER, ask for its key, pin it: 0 done; 1 not found, cannot encrypt or no key."""
    pinned = await accept_key_through_app(settings, target)
    if pinned is not None:
        line = _("pinned the key of {identity}: {fingerprint}")
        print(line.format(identity=pinned[0], fingerprint=pinned[1]), file=out)
        return 0
    changed = asyncio.Event()
    if is_address(target):  # announce ourselves to it directly, as `send` does
        settings = replace(settings, hosts=(*settings.hosts, target))
    messenger = Messenger(settings, store=store, files=False)
    messenger.subscribe(lambda event: changed.set())
    try:
        await messenger.start(serve_files=False, keys=True)
        interrupt_on_signals()
        try:
            addr = await find_target(messenger, target, changed)
        except TargetNotFound as error:
            raise CommandError(str(error), error.status) from None
        messenger.request_key(addr)
        # A known key makes no news: look until the answer is in (or the requests ran out).
        deadline = time.monotonic() + KEY_EXCHANGE_WAIT + 1
        while messenger.fingerprint(addr) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if messenger.fingerprint(addr) is None:
            raise CommandError(
                _(
                    "{addr} gave no key within {seconds} s "
                    "(it cannot encrypt, or encryption is off here)"
                ).format(addr=f"{addr[0]}:{addr[1]}", seconds=f"{KEY_EXCHANGE_WAIT + 1:g}")
            )
        try:
            identity, print_ = messenger.pin_current_key(addr)
        except KeyNotKnown as error:
            raise CommandError(str(error)) from None
        print(
            _("pinned the key of {identity}: {fingerprint}").format(
                identity=identity, fingerprint=print_
            ),
            file=out,
        )
        return 0
    except asyncio.CancelledError:
        raise CommandError(_("interrupted before the key came"), INTERRUPTED) from None
    finally:
        await messenger.stop()
        messenger.close()
