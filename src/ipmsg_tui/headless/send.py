"""``ipmsg-tui send``: one message (and files), waiting for its receipt (and downloads)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Settings
from ..i18n import _
from ..net.files import FileService, OfferError, SentFiles
from ..net.notsent import not_sent, not_sent_note
from ..protocol import events as ev
from ..protocol.engine import EngineError
from ..protocol.keyring import KEY_REQUEST_INTERVAL, KEY_REQUEST_TRIES
from ..protocol.peers import Addr
from ..service import FilesOffered, Messenger
from ..service import events as news
from ..store import HistoryStore
from ..targets import AmbiguousTarget, UnknownTarget, is_address
from .common import INTERRUPTED, CommandError, interrupt_on_signals, wait_until

PROG = "ipmsg-tui"

# How long `send` waits for a named peer, and for an addressed peer's ANSENTRY (which tells
# us its code page and whether it reads UTF-8).
NAME_WAIT = 2.0
# After the first answer to a name, how long others may still answer to it (another
# machine with the same nick or user@host): a name must name one peer, not the fastest.
NAME_SETTLE = 0.5
ADDRESS_WAIT = 1.0
# Asking an encrypting peer for its key comes before the first send (and its retries).
KEY_EXCHANGE_WAIT = KEY_REQUEST_TRIES * KEY_REQUEST_INTERVAL


@dataclass
class _Delivery:
    waiting: set[int]
    failed: set[int]
    left: set[Addr]  # peers that said goodbye (BR_EXIT) meanwhile


def _resolve(messenger: Messenger, target: str) -> Addr | None:
    """The address TARGET names, or None while it is unknown."""
    try:
        return messenger.resolve(target)
    except UnknownTarget:
        return None
    except AmbiguousTarget as error:
        raise CommandError(str(error)) from None


async def _find_target(messenger: Messenger, target: str, changed: asyncio.Event) -> Addr:
    """Wait for discovery to name TARGET's address (an address needs no discovery, but its
    ANSENTRY tells us the peer's code page, so it gets a short wait too)."""
    by_address = is_address(target)

    def known() -> bool:
        addr = _resolve(messenger, target)
        return addr is not None and (not by_address or messenger.peer(addr) is not None)

    found = await wait_until(known, changed, ADDRESS_WAIT if by_address else NAME_WAIT)
    if found and not by_address:  # a second machine of the same name may answer a moment later
        await asyncio.sleep(NAME_SETTLE)
    addr = _resolve(messenger, target)
    if addr is None:
        raise CommandError(
            _(
                "no peer named {name} answered within {seconds:g} s; "
                "see `ipmsg-tui who`, or give its IP address"
            ).format(name=repr(target), seconds=NAME_WAIT)
        )
    return addr


async def run_send(
    settings: Settings,
    target: str,
    text: str,
    *,
    sealed: bool = False,
    timeout: float | None = None,
    store: HistoryStore | None = None,
    paths: Sequence[Path] = (),
) -> int:
    """Send a message (offering ``paths``); 0 once acknowledged and, with files, fetched."""
    changed = asyncio.Event()
    delivery = _Delivery(set(), set(), set())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout if timeout is not None else None

    def follow(event: news.News) -> None:
        match event:
            case news.MessagesChanged(source=ev.MessageDelivered(packet_no=number)):
                delivery.waiting.discard(number)
            case news.MessagesChanged(source=ev.MessageFailed(packet_no=number)):
                delivery.waiting.discard(number)
                delivery.failed.add(number)
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
            case news.SecurityNotice(source=ev.KeyMissing(addr=addr, sent_in_clear=clear)):
                done = _("sent unencrypted") if clear else _("not sent (encryption required)")
                where = f"{addr[0]}:{addr[1]}"
                print(
                    "ipmsg-tui: " + _("{done}: no key from {addr}").format(done=done, addr=where),
                    file=sys.stderr,
                )
            case news.PeerOffline(peer=peer, reason="exit"):
                delivery.left.add(peer.addr)
        changed.set()

    if is_address(target):  # announce ourselves to it directly, as to a --host
        settings = replace(settings, hosts=(*settings.hosts, target))
    messenger = Messenger(settings, store=store, remember_transfers=False)
    messenger.subscribe(follow)
    stage = "before the message was sent"
    try:
        await messenger.start(serve_files=bool(paths), keys=True)
        interrupt_on_signals()  # Ctrl+C and SIGTERM end the waits; `finally` says goodbye
        addr = await _find_target(messenger, target, changed)
        peer = messenger.peer(addr)
        name = peer.name if peer is not None else f"{addr[0]}:{addr[1]}"
        offered: FilesOffered | None = None
        if paths:
            try:
                offered = await messenger.send_files([addr], text, paths, sealed=sealed)
            except OfferError as error:
                raise CommandError(str(error), 2) from None
            sent = offered.rows
        else:
            try:
                sent = messenger.send([addr], text, sealed=sealed)
            except EngineError as error:
                raise CommandError(str(error)) from None
        delivery.waiting.update(row.packet_no for row in sent)
        # Only now may the loop run again: a receipt handled earlier would be lost.
        skipped = await asyncio.to_thread(not_sent, paths) if paths else []
        if skipped:  # links and devices inside a folder are left out: say so
            print(f"{PROG}: {not_sent_note(skipped)}", file=sys.stderr)
        if timeout == 0:  # sent; the caller asked not to wait for the receipt
            return 0
        stage = _("before the receipt came")
        limit = (
            timeout
            if timeout is not None
            else settings.retry_interval * settings.retry_count + 1 + KEY_EXCHANGE_WAIT
        )
        done = await wait_until(lambda: not delivery.waiting, changed, limit)
        if delivery.failed or not done:
            raise CommandError(
                _(
                    "{name} did not acknowledge the message (offline, or UDP port {port} blocked)"
                ).format(name=name, port=addr[1])
            )
        if len(sent) > 1:
            print(
                _("delivered to {name} in {count} parts (too long for one packet)").format(
                    name=name, count=len(sent)
                )
            )
        if offered is not None:
            stage = _("before the files were fetched")
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            await _until_fetched(
                messenger.files,
                offered.sent,
                name,
                changed,
                remaining,
                timeout,
                lambda: addr in delivery.left,
            )
        return 0
    except asyncio.CancelledError:
        raise CommandError(_("interrupted {stage}").format(stage=stage), INTERRUPTED) from None
    finally:
        await messenger.stop()
        messenger.close()


async def _until_fetched(
    service: FileService,
    offered: SentFiles,
    name: str,
    changed: asyncio.Event,
    remaining: float | None,
    timeout: float | None,
    gone: Callable[[], bool],
) -> None:
    """Serve until the peer has every file; CommandError if it declines, quits (BR_EXIT) or
    time runs out."""
    offer = offered.offer

    def finished() -> bool:
        return offer.complete or not offer.recipients or gone()

    done = await wait_until(finished, changed, remaining)
    if offer.complete:
        return
    if not offer.recipients:
        raise CommandError(_("{name} declined the files").format(name=name))
    if gone():
        raise CommandError(
            _("{name} left before fetching the files (it quit: BR_EXIT)").format(name=name)
        )
    assert not done and timeout is not None
    left = len(offer.required - offer.fetched.get(offer.recipients[0], set()))
    raise CommandError(
        _("{name} did not fetch the files within {seconds:g} s ({left} left)").format(
            name=name, seconds=timeout, left=left
        )
    )
