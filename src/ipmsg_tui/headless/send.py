"""``ipmsg-tui send``: one message (and files), waiting for its receipt (and downloads)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..config import Settings
from ..i18n import _
from ..protocol import events as ev
from ..protocol.engine import EngineError
from ..service import FilesOffered, Messenger
from ..service import events as news
from ..service.delivery import KEY_EXCHANGE_WAIT, Delivery, name_of, until_fetched
from ..service.finding import TargetNotFound, find_all
from ..store import HistoryStore
from ..targets import is_address
from .common import (
    INTERRUPTED,
    CommandError,
    interrupt_on_signals,
    warn_if_nick_shortened,
)
from .output import key_missing_reason
from .remote import note_left_out, send_through_app

PROG = "ipmsg-tui"

LEAVE_POLL = 0.02  # seconds between looks at what still waits for a key (--timeout 0)


async def run_send(
    settings: Settings,
    target: str,
    text: str,
    *,
    also: Sequence[str] = (),
    sealed: bool = False,
    timeout: float | None = None,
    store: HistoryStore | None = None,
    paths: Sequence[Path] = (),
) -> int:
    """Send a message (offering ``paths``) to TARGET and the ``also`` ones; 0 once every one
    acknowledged it and, with files, fetched them. With several, it is one message to all
    (MULTICASTOPT) and each one that did not get it has a line on stderr. With the app
    running on our port, the app sends it (and shows it)."""
    targets = list(dict.fromkeys([target, *also]))
    status = await send_through_app(
        settings, targets, text, sealed=sealed, timeout=timeout, paths=paths
    )
    if status is not None:
        return status
    changed = asyncio.Event()
    delivery = Delivery()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout if timeout is not None else None

    def follow(event: news.News) -> None:
        delivery.note(event)
        match event:
            case news.SecurityNotice(source=ev.KeyChanged(identity=identity) as changed_key):
                print(
                    "ipmsg-tui: "
                    + _("WARNING: the key of {identity} changed from {old} to {new}").format(
                        identity=identity,
                        old=changed_key.old_fingerprint,
                        new=changed_key.new_fingerprint,
                    ),
                    file=sys.stderr,
                )
            case news.SecurityNotice(source=ev.KeyMissing(sent_in_clear=clear) as note):
                done = _("sent unencrypted") if clear else _("not sent (encryption required)")
                print(f"ipmsg-tui: {done}: {key_missing_reason(note)}", file=sys.stderr)
        changed.set()

    # Announce ourselves directly to addressed targets, as to a --host.
    addressed = tuple(t for t in targets if is_address(t))
    if addressed:
        settings = replace(settings, hosts=(*settings.hosts, *addressed))
    messenger = Messenger(settings, store=store, remember_transfers=False, files=bool(paths))
    warn_if_nick_shortened(settings.nick, messenger.fitting_nick(settings.nick))
    messenger.subscribe(follow)
    stage = _("before the message was sent")
    try:
        # Before announcing ourselves: a signal that comes during the start still says goodbye.
        interrupt_on_signals()  # Ctrl+C and SIGTERM end the waits; `finally` says goodbye
        await messenger.start(serve_files=bool(paths), keys=True)
        try:
            addrs, missing = await find_all(messenger, targets, changed)
        except TargetNotFound as error:
            raise CommandError(str(error), error.status) from None
        names = {addr: name_of(messenger, addr) for addr in addrs}
        offered: FilesOffered | None = None
        if paths:
            from ..net.files import OfferError

            try:
                offered = await messenger.send_files(addrs, text, paths, sealed=sealed)
            except OfferError as error:
                raise CommandError(str(error), 2) from None
            sent = offered.rows
        else:
            try:
                sent = messenger.send(addrs, text, sealed=sealed)
            except EngineError as error:
                raise CommandError(str(error)) from None
        delivery.waiting.update((addr, row.packet_no) for row in sent for addr in addrs)
        # Only now may the loop run again: a receipt handled earlier would be lost.
        await note_left_out(paths)  # links and devices inside a folder: a line says so
        if timeout == 0:  # the caller asked not to wait for the receipt: only for it to leave
            await _until_left(messenger, loop.time() + KEY_EXCHANGE_WAIT)
            return 0
        stage = _("before the receipt came")
        unacknowledged = await delivery.until_acknowledged(names, changed, timeout, settings)
        _fail_with([*missing, *unacknowledged])
        name = ", ".join(names.values())
        if len(sent) > 1:
            print(
                _("delivered to {name} in {count} parts (too long for one packet)").format(
                    name=name, count=len(sent)
                )
            )
        if offered is not None:
            stage = _("before the files were fetched")
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            offer = offered.sent.offer
            _fail_with(
                await until_fetched(offer, names, delivery.left, changed, remaining, timeout)
            )
        return 0
    except asyncio.CancelledError:
        raise CommandError(_("interrupted {stage}").format(stage=stage), INTERRUPTED) from None
    finally:
        await messenger.stop()
        messenger.close()


def _fail_with(problems: list[str]) -> None:
    """CommandError with the last problem, after a line on stderr for each other one."""
    if problems:
        for line in problems[:-1]:
            print(f"{PROG}: {line}", file=sys.stderr)
        raise CommandError(problems[-1])


async def _until_left(messenger: Messenger, deadline: float) -> None:
    """Until no message of ours waits for its recipient's key (it is then sent, encrypted or,
    the key never coming, in clear), or ``deadline``."""
    loop = asyncio.get_running_loop()
    while messenger.sends_waiting_for_keys() and loop.time() < deadline:
        await asyncio.sleep(LEAVE_POLL)
