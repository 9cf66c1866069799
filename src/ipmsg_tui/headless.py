"""The commands for scripts: ``who``, ``send`` and ``listen``, on the same engine as the app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from .config import Settings
from .history import HistoryRecorder
from .net.files import (
    FileEvent,
    FileService,
    OfferError,
    OfferReceived,
    SentFiles,
    TransferEnded,
)
from .net.node import Node
from .net.saving import SaveError, prepare_folder
from .net.transfers import Direction, Transfer
from .net.transfers import State as TransferState
from .protocol import events as ev
from .protocol.peers import Addr, Peer
from .session import build_file_service, build_node
from .stdin_commands import CommandRunner
from .store import HistoryStore, State
from .targets import AmbiguousTarget, UnknownTarget, is_address, resolve_target

# How long `send` waits for a named peer, and for an addressed peer's ANSENTRY (which tells
# us its code page and whether it reads UTF-8).
NAME_WAIT = 2.0
ADDRESS_WAIT = 1.0


class CommandError(Exception):
    """A failure to report in one line; ``status`` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------------- output


def peer_record(peer: Peer) -> dict[str, Any]:
    return {
        "ip": peer.ip,
        "port": peer.port,
        "user": peer.user,
        "host": peer.host,
        "nick": peer.nick,
        "group": peer.group,
        "away": peer.away,
        "away_text": peer.away_text,
        "version": peer.version,
        "key": peer.key,
        "announced": peer.announced,
    }


def event_record(event: ev.Event) -> dict[str, Any] | None:
    """The JSON object ``listen --json`` prints for an event, or None for internal ones."""
    match event:
        case ev.PeerJoined(peer=peer):
            return {"event": "peer_joined", **peer_record(peer)}
        case ev.PeerChanged(peer=peer):
            return {"event": "peer_changed", **peer_record(peer)}
        case ev.PeerLeft(peer=peer, reason=reason):
            return {"event": "peer_left", **peer_record(peer), "reason": reason}
        case ev.MessageReceived(peer=peer):
            return {
                "event": "message",
                "ip": peer.ip,
                "port": peer.port,
                "user": peer.user,
                "host": peer.host,
                "nick": peer.nick,
                "text": event.text,
                "sealed": event.sealed,
                "packet_no": event.packet_no,
                "timestamp": event.timestamp,
                "broadcast": event.broadcast,
                "multicast": event.multicast,
                "auto_reply": event.auto_reply,
                "encrypted": event.encrypted,
                "attachments": [
                    {
                        "id": a.file_id,
                        "name": a.name,
                        "size": a.size,
                        "mtime": a.mtime,
                        "dir": a.is_dir,
                    }
                    for a in event.attachments
                ],
            }
        case ev.MessageDelivered(addr=addr, packet_no=packet_no):
            return _about_message("message_delivered", addr, packet_no)
        case ev.MessageFailed(addr=addr, packet_no=packet_no):
            return _about_message("message_failed", addr, packet_no)
        case ev.MessageOpened(addr=addr, packet_no=packet_no):
            return _about_message("message_opened", addr, packet_no)
        case ev.FilesReleased(addr=addr, packet_no=packet_no):
            return _about_message("files_released", addr, packet_no)
        case ev.UnsupportedPacket(addr=addr, reason=reason):
            return {"event": "unsupported", "ip": addr[0], "port": addr[1], "reason": reason}
    return None


def _about_message(kind: str, addr: Addr, packet_no: int) -> dict[str, Any]:
    return {"event": kind, "ip": addr[0], "port": addr[1], "packet_no": packet_no}


def file_record(event: FileEvent) -> dict[str, Any] | None:
    """``file_received`` / ``file_failed`` for a finished download, or None."""
    if not isinstance(event, TransferEnded) or event.transfer.direction != Direction.IN:
        return None
    transfer = event.transfer
    peer = _transfer_peer(transfer)
    if transfer.state == TransferState.DONE:
        record: dict[str, Any] = {
            "event": "file_received",
            "path": str(transfer.path),
            "name": transfer.name,
            "size": transfer.done,
            "dir": transfer.is_folder,
        }
        if transfer.is_folder:
            record["files"] = transfer.files_done
        else:
            record["sha256"] = transfer.sha256
            record["resumed_from"] = transfer.offset
    else:
        record = {
            "event": "file_failed",
            "name": transfer.attachment.name,
            "dir": transfer.is_folder,
            "state": str(transfer.state),
            "error": transfer.error or "",
            "bytes_saved": transfer.done,
        }
    return {
        **record,
        **peer,
        "packet_no": transfer.packet_no,
        "file_id": transfer.attachment.file_id,
    }


def _transfer_peer(transfer: Transfer) -> dict[str, Any]:
    return {"ip": transfer.addr[0], "port": transfer.addr[1], "nick": transfer.peer_name}


def _clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))


def _who(peer: Peer) -> str:
    group = f" ({peer.group})" if peer.group else ""
    away = " [away]" if peer.away else ""
    return f"{peer.name}{group}{away} {peer.key} {peer.ip}:{peer.port}"


def event_line(event: ev.Event | FileEvent, now: float) -> str | None:
    """A human-readable line for ``listen``, or None."""
    stamp = _clock(now)
    match event:
        case TransferEnded(transfer=transfer) if transfer.direction == Direction.IN:
            source = f"{transfer.peer_name} [{transfer.addr[0]}:{transfer.addr[1]}]"
            if transfer.state == TransferState.DONE:
                return f"{stamp} received {transfer.path} ({transfer.done} bytes) from {source}"
            return f"{stamp} failed   {transfer.attachment.name} from {source}: {transfer.error}"
        case ev.PeerJoined(peer=peer):
            return f"{stamp} joined   {_who(peer)}"
        case ev.PeerChanged(peer=peer):
            return f"{stamp} changed  {_who(peer)}"
        case ev.PeerLeft(peer=peer, reason=reason):
            return f"{stamp} left     {_who(peer)} ({reason})"
        case ev.MessageReceived(peer=peer):
            kind = "sealed message" if event.sealed else "message"
            if event.broadcast:
                kind = "broadcast"
            files = "".join(f"\n    [file] {a.name} ({a.size} bytes)" for a in event.attachments)
            text = event.text.replace("\n", "\n    ")
            return f"{stamp} {kind} from {peer.name} [{peer.ip}:{peer.port}]: {text}{files}"
        case ev.MessageDelivered(addr=addr, packet_no=packet_no):
            return f"{stamp} delivered message {packet_no} to {addr[0]}:{addr[1]}"
        case ev.MessageFailed(addr=addr, packet_no=packet_no):
            return f"{stamp} NOT delivered: message {packet_no} to {addr[0]}:{addr[1]}"
        case ev.MessageOpened(addr=addr, packet_no=packet_no):
            return f"{stamp} opened   {addr[0]}:{addr[1]} opened message {packet_no}"
        case ev.UnsupportedPacket(addr=addr, reason=reason):
            return f"{stamp} notice   {addr[0]}:{addr[1]}: {reason}"
    return None


def _emit(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()


def format_peer_table(peers: list[Peer]) -> str:
    rows = [("NICK", "GROUP", "USER@HOST", "ADDRESS", "AWAY")]
    for peer in peers:
        rows.append(
            (peer.name, peer.group, peer.key, f"{peer.ip}:{peer.port}", "away" if peer.away else "")
        )
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in rows
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---------------------------------------------------------------------- helpers


async def _until(
    predicate: Callable[[], bool], changed: asyncio.Event, timeout: float | None
) -> bool:
    """Wait until ``predicate()`` holds, re-checking whenever ``changed`` fires."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while not predicate():
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            return False
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), remaining)
        except TimeoutError:
            return predicate()
    return True


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


# ---------------------------------------------------------------------- who


async def run_who(settings: Settings, wait: float, as_json: bool, out: TextIO = sys.stdout) -> int:
    node = build_node(settings)
    await node.start()
    stop = asyncio.Event()
    _stop_on_signals(stop)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), wait)
    peers = sorted(node.peers, key=lambda p: (p.group.casefold(), p.name.casefold(), p.ip))
    await node.stop()
    if as_json:
        _emit(out, json.dumps([peer_record(p) for p in peers], ensure_ascii=False))
    elif peers:
        _emit(out, format_peer_table(peers))
    else:
        _emit(out, f"nobody answered within {wait:g} s")
    return 0


# ---------------------------------------------------------------------- send


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

    await _until(known, changed, ADDRESS_WAIT if by_address else NAME_WAIT)
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
        changed.set()

    if is_address(target):  # announce ourselves to it directly, as to a --host
        settings = replace(settings, hosts=(*settings.hosts, target))
    node = build_node(settings, [listener])
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
            sent = node.send_message([addr], text, sealed=sealed)
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
            timeout if timeout is not None else settings.retry_interval * settings.retry_count + 1
        )
        done = await _until(lambda: not delivery.waiting, changed, limit)
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
    _stop_on_signals(stop)
    stop_waiter = asyncio.ensure_future(stop.wait())
    stop_waiter.add_done_callback(lambda _: changed.set())

    def finished() -> bool:
        return offer.complete or not offer.recipients or stop.is_set()

    try:
        done = await _until(finished, changed, remaining)
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


# ---------------------------------------------------------------------- listen


async def run_listen(
    settings: Settings,
    *,
    as_json: bool,
    open_sealed: bool = False,
    commands: bool = False,
    store: HistoryStore | None = None,
    out: TextIO = sys.stdout,
    accept_files: bool = False,
    save_dir: Path | None = None,
) -> int:
    recorder = HistoryRecorder(store) if store is not None else None
    node_ref: list[Node] = []
    if accept_files:
        try:
            save_dir = prepare_folder(save_dir or settings.download_dir)
        except SaveError as error:
            raise CommandError(str(error), 2) from None

    def emit(record: dict[str, Any]) -> None:
        _emit(out, json.dumps(record, ensure_ascii=False))

    def show(event: ev.Event | FileEvent) -> None:
        if as_json:
            record = event_record(event) if isinstance(event, ev.Event) else file_record(event)
            if record is not None:
                emit(record)
        else:
            line = event_line(event, time.time())
            if line is not None:
                _emit(out, line)

    def listener(event: ev.Event) -> bool | None:
        # The history write comes first: it must succeed before the RECVMSG leaves.
        if recorder is not None and recorder.on_event(event) is None:
            return False  # a retransmission of a message we already kept
        show(event)
        if open_sealed and isinstance(event, ev.MessageReceived) and event.sealed:
            # After this step's RECVMSG has gone out: READMSG must not overtake it.
            asyncio.get_running_loop().call_soon(_open, event)
        return None

    def _open(event: ev.MessageReceived) -> None:
        node_ref[0].open_sealed(event.addr, event.packet_no, event.read_check)
        if store is not None:
            store.set_state(event.addr, event.packet_no, "in", State.OPENED)

    def on_file_event(event: FileEvent) -> None:
        if isinstance(event, OfferReceived) and accept_files:
            service.download_all(event.offer, save_dir)
        elif isinstance(event, TransferEnded) and event.transfer.direction == Direction.IN:
            show(event)

    node = build_node(settings, [listener])
    node_ref.append(node)
    service = build_file_service(settings, node)
    service.listeners.append(on_file_event)
    await service.start(serve=False)  # listen offers nothing, so it serves nothing
    # Ready for Ctrl+C/SIGTERM before anyone can hear of us: a signal that arrives right
    # after our BR_ENTRY must still end in a clean BR_EXIT.
    stop = asyncio.Event()
    _stop_on_signals(stop)
    await node.start()
    reader = None
    if commands:
        runner = CommandRunner(node, emit, settings.port, recorder, settings.display_nick)
        reader = asyncio.create_task(_read_commands(runner))
    try:
        await stop.wait()
    finally:
        if reader is not None:
            reader.cancel()
        await service.stop()
        await node.stop()
    return 0


async def _read_commands(runner: CommandRunner) -> None:
    """Feed stdin lines to ``runner``; at end of input keep listening."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        runner.handle_line(line.decode("utf-8", errors="replace"))
