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
ADDRESS_WAIT = 1.0
# Asking an encrypting peer for its key comes before the first send (and its retries).
KEY_EXCHANGE_WAIT = KEY_REQUEST_TRIES * KEY_REQUEST_INTERVAL


@dataclass
class _Delivery:
    """Receipts awaited, as (recipient, packet number), and the recipients that failed."""

    waiting: set[tuple[Addr, int]]
    failed: set[Addr]


class _TargetMissing(CommandError):
    """No peer by that name answered."""


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

    await wait_until(known, changed, ADDRESS_WAIT if by_address else NAME_WAIT)
    addr = _resolve(node, target, port)
    if addr is None:
        raise _TargetMissing(
            f"no peer named {target!r} answered within {NAME_WAIT:g} s; "
            "see `ipmsg-tui who`, or give its IP address"
        )
    return addr


async def _find_targets(
    node: Node, targets: Sequence[str], port: int, changed: asyncio.Event
) -> tuple[list[Addr], list[str]]:
    """The addresses of the TARGETs found (each once), and a line for each not found. With
    a single TARGET, not finding it is the error."""
    found = await asyncio.gather(
        *(_find_target(node, target, port, changed) for target in targets),
        return_exceptions=True,
    )
    addrs: list[Addr] = []
    missing: list[str] = []
    for result in found:
        if isinstance(result, _TargetMissing):
            missing.append(str(result))
        elif isinstance(result, BaseException):
            raise result
        elif result not in addrs:
            addrs.append(result)
    if not addrs:
        raise CommandError(missing[-1])
    return addrs, missing


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
    (MULTICASTOPT) and each one that did not get it has a line on stderr."""
    targets = list(dict.fromkeys([target, *also]))
    changed = asyncio.Event()
    delivery = _Delivery(set(), set())
    recorder = HistoryRecorder(store) if store is not None else None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout if timeout is not None else None

    def listener(event: ev.Event) -> None:
        if recorder is not None:
            recorder.on_event(event)
        match event:
            case ev.MessageDelivered(addr=addr, packet_no=number):
                delivery.waiting.discard((addr, number))
            case ev.MessageFailed(addr=addr, packet_no=number):
                if (addr, number) in delivery.waiting:
                    delivery.waiting.discard((addr, number))
                    delivery.failed.add(addr)
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

    # Announce ourselves directly to addressed targets, as to a --host.
    addressed = tuple(t for t in targets if is_address(t))
    if addressed:
        settings = replace(settings, hosts=(*settings.hosts, *addressed))
    node = build_node(settings, [listener])
    if store is not None:
        node.engine.load_pins(store.pinned_keys())
    service = build_file_service(settings, node) if paths else None
    if service is not None:  # TCP first: a busy port fails before anyone hears from us
        service.listeners.append(lambda event: changed.set())
        await service.start()
    await node.start()
    try:
        addrs, missing = await _find_targets(node, targets, settings.port, changed)
        peers = [node.engine.peers.get(addr) for addr in addrs]
        names = {
            addr: peer.name if peer is not None else f"{addr[0]}:{addr[1]}"
            for addr, peer in zip(addrs, peers, strict=True)
        }
        offered: SentFiles | None = None
        if service is not None:
            try:
                offered = await service.send(addrs, text, paths, sealed=sealed)
            except OfferError as error:
                raise CommandError(str(error), 2) from None
            sent = offered.messages
        else:
            try:
                sent = node.send_message(addrs, text, sealed=sealed)
            except EngineError as error:
                raise CommandError(str(error)) from None
        if recorder is not None:
            attachments = offered.attachments if offered is not None else ()
            recorder.record_sent(
                sent,
                peers,
                settings.display_nick,
                time.time(),
                sealed=sealed,
                attachments=attachments,
            )
        delivery.waiting.update((addr, part.packet_no) for part in sent for addr in addrs)
        limit = (
            timeout
            if timeout is not None
            else settings.retry_interval * settings.retry_count + 1 + KEY_EXCHANGE_WAIT
        )
        await wait_until(lambda: not delivery.waiting, changed, limit)
        missed = [addr for addr in addrs if _missed(addr, delivery)]
        problems = [*missing, *(_not_acknowledged(names[addr], addr) for addr in missed)]
        if problems:
            for line in problems[:-1]:
                print(f"ipmsg-tui: {line}", file=sys.stderr)
            raise CommandError(problems[-1])
        name = ", ".join(names.values())
        if len(sent) > 1:
            print(f"delivered to {name} in {len(sent)} parts (too long for one packet)")
        if service is not None and offered is not None:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            await _until_fetched(service, offered, names, changed, remaining, timeout)
        return 0
    finally:
        if service is not None:
            await service.stop()
        await node.stop()


def _missed(addr: Addr, delivery: _Delivery) -> bool:
    return addr in delivery.failed or any(waited == addr for waited, _ in delivery.waiting)


def _not_acknowledged(name: str, addr: Addr) -> str:
    return f"{name} did not acknowledge the message (offline, or UDP port {addr[1]} blocked)"


async def _until_fetched(
    service: FileService,
    offered: SentFiles,
    names: dict[Addr, str],
    changed: asyncio.Event,
    remaining: float | None,
    timeout: float | None,
) -> None:
    """Serve until every recipient has every file; CommandError (a line before it for each
    other recipient) if one declines or time runs out."""
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
    if stop.is_set() and not offer.complete:
        raise CommandError("interrupted before the files were fetched", 130)
    left_in = {recipient.addr for recipient in offer.recipients}
    problems = [f"{name} declined the files" for addr, name in names.items() if addr not in left_in]
    if not offer.complete and offer.recipients:
        assert not done and timeout is not None
        for recipient in offer.recipients:
            left = len(offer.required - offer.fetched.get(recipient, set()))
            if left:
                name = names.get(recipient.addr, f"{recipient.addr[0]}:{recipient.addr[1]}")
                problems.append(
                    f"{name} did not fetch the files within {timeout:g} s ({left} left)"
                )
    if problems:
        for line in problems[:-1]:
            print(f"ipmsg-tui: {line}", file=sys.stderr)
        raise CommandError(problems[-1])
