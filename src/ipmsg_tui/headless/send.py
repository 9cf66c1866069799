"""``ipmsg-tui send``: one message (and files), waiting for its receipt (and downloads)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Settings
from ..history import HistoryRecorder
from ..net.files import (
    FileService,
    OfferError,
    SentFiles,
)
from ..net.node import Node
from ..protocol import events as ev
from ..protocol.engine import EngineError
from ..protocol.keyring import KEY_REQUEST_INTERVAL, KEY_REQUEST_TRIES
from ..protocol.peers import Addr
from ..session import build_file_service, build_node
from ..store import HistoryStore
from ..targets import AmbiguousTarget, UnknownTarget, is_address, resolve_target
from .common import CommandError, stop_on_signals, wait_until

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


def _resolve(node: Node, target: str, default_port: int) -> Addr | None:
    """The address TARGET names, or None while it is unknown."""
    try:
        return resolve_target(node.engine.peers, target, default_port)
    except UnknownTarget:
        return None
    except AmbiguousTarget as error:
        raise CommandError(str(error)) from None


async def _find_target(node: Node, target: str, port: int, changed: asyncio.Event) -> Addr:
    """Wait for discovery to name TARGET's address (an address needs no discovery, but its
    ANSENTRY tells us the peer's code page, so it gets a short wait too)."""
    by_address = is_address(target)

    def known() -> bool:
        addr = _resolve(node, target, port)
        return addr is not None and (not by_address or node.engine.peers.get(addr) is not None)

    found = await wait_until(known, changed, ADDRESS_WAIT if by_address else NAME_WAIT)
    if found and not by_address:
        await asyncio.sleep(NAME_SETTLE)
    addr = _resolve(node, target, port)
    if addr is None:
        raise CommandError(
            f"no peer named {target!r} answered within {NAME_WAIT:g} s; "
            "see `ipmsg-tui who`, or give its IP address"
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
    delivery = _Delivery(set(), set())
    recorder = HistoryRecorder(store) if store is not None else None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout if timeout is not None else None

    def listener(event: ev.Event) -> None:
        if recorder is not None:
            recorder.on_event(event)
        match event:
            case ev.MessageDelivered(packet_no=number):
                delivery.waiting.discard(number)
            case ev.MessageFailed(packet_no=number):
                delivery.waiting.discard(number)
                delivery.failed.add(number)
            case ev.KeyLearned() if store is not None:  # pinned on first use
                store.pin_key(event.identity, event.public_der, event.fingerprint, time.time())
            case ev.KeyChanged(identity=identity):
                print(
                    f"ipmsg-tui: WARNING: the key of {identity} changed from "
                    f"{event.old_fingerprint} to {event.new_fingerprint}",
                    file=sys.stderr,
                )
            case ev.KeyMissing(addr=addr, sent_in_clear=clear):
                done = "sent unencrypted" if clear else "not sent (encryption required)"
                print(f"ipmsg-tui: {done}: no key from {addr[0]}:{addr[1]}", file=sys.stderr)
        changed.set()

    if is_address(target):  # announce ourselves to it directly, as to a --host
        settings = replace(settings, hosts=(*settings.hosts, target))
    node = build_node(settings, [listener])
    if store is not None:  # namesakes seen before keep their own conversations
        node.engine.peers.remember_twins(store.twin_keys())
    if store is not None:
        node.engine.load_pins(store.pinned_keys())
    service = build_file_service(settings, node) if paths else None
    if service is not None:  # TCP first: a busy port fails before anyone hears from us
        service.listeners.append(lambda event: changed.set())
        await service.start()
    await node.start()
    try:
        addr = await _find_target(node, target, settings.port, changed)
        peer = node.engine.peers.get(addr)
        name = peer.name if peer is not None else f"{addr[0]}:{addr[1]}"
        offered: SentFiles | None = None
        if service is not None:
            try:
                offered = await service.send([addr], text, paths, sealed=sealed)
            except OfferError as error:
                raise CommandError(str(error), 2) from None
            sent = offered.messages
        else:
            try:
                sent = node.send_message([addr], text, sealed=sealed)
            except EngineError as error:
                raise CommandError(str(error)) from None
        if recorder is not None:
            attachments = offered.attachments if offered is not None else ()
            recorder.record_sent(
                sent,
                [peer],
                settings.display_nick,
                time.time(),
                sealed=sealed,
                attachments=attachments,
            )
        delivery.waiting.update(part.packet_no for part in sent)
        limit = (
            timeout
            if timeout is not None
            else settings.retry_interval * settings.retry_count + 1 + KEY_EXCHANGE_WAIT
        )
        done = await wait_until(lambda: not delivery.waiting, changed, limit)
        if delivery.failed or not done:
            raise CommandError(
                f"{name} did not acknowledge the message (offline, or UDP port {addr[1]} blocked)"
            )
        if len(sent) > 1:
            print(f"delivered to {name} in {len(sent)} parts (too long for one packet)")
        if service is not None and offered is not None:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            await _until_fetched(service, offered, name, changed, remaining, timeout)
        return 0
    finally:
        if service is not None:
            await service.stop()
        await node.stop()


async def _until_fetched(
    service: FileService,
    offered: SentFiles,
    name: str,
    changed: asyncio.Event,
    remaining: float | None,
    timeout: float | None,
) -> None:
    """Serve until the peer has every file; CommandError if it declines or time runs out."""
    offer = offered.offer
    stop = asyncio.Event()
    stop_on_signals(stop)
    stop_waiter = asyncio.ensure_future(stop.wait())
    stop_waiter.add_done_callback(lambda _: changed.set())

    def finished() -> bool:
        return offer.complete or not offer.recipients or stop.is_set()

    try:
        done = await wait_until(finished, changed, remaining)
    finally:
        stop_waiter.cancel()
    if offer.complete:
        return
    if not offer.recipients:
        raise CommandError(f"{name} declined the files")
    if stop.is_set():
        raise CommandError("interrupted before the files were fetched", 130)
    assert not done and timeout is not None
    left = len(offer.required - offer.fetched.get(offer.recipients[0], set()))
    raise CommandError(f"{name} did not fetch the files within {timeout:g} s ({left} left)")
