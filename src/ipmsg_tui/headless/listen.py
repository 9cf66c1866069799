"""``ipmsg-tui listen``: stay online headless, print events, take commands on stdin."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ..config import Settings
from ..history import HistoryRecorder
from ..net.files import (
    FileEvent,
    OfferReceived,
    TransferEnded,
)
from ..net.node import Node
from ..net.saving import SaveError, prepare_folder
from ..net.transfers import Direction
from ..protocol import events as ev
from ..session import build_file_service, build_node
from ..store import HistoryStore, MessageState
from .commands import CommandRunner
from .common import CommandError, stop_on_signals
from .output import event_line, event_record, file_record, write_line


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
    checksum: bool = False,
) -> int:
    recorder = HistoryRecorder(store) if store is not None else None
    node_ref: list[Node] = []
    if accept_files:
        try:
            save_dir = prepare_folder(save_dir or settings.download_dir)
        except SaveError as error:
            raise CommandError(str(error), 2) from None

    def emit(record: dict[str, Any]) -> None:
        write_line(out, json.dumps(record, ensure_ascii=False))

    def show(event: ev.Event | FileEvent) -> None:
        if as_json:
            record = event_record(event) if isinstance(event, ev.Event) else file_record(event)
            if record is not None:
                emit(record)
        else:
            line = event_line(event, time.time())
            if line is not None:
                write_line(out, line)

    def listener(event: ev.Event) -> bool | None:
        if store is not None and isinstance(event, ev.KeyLearned):  # pinned on first use
            store.pin_key(event.identity, event.public_der, event.fingerprint, time.time())
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
            store.set_state(event.addr, event.packet_no, Direction.IN, MessageState.OPENED)

    def on_file_event(event: FileEvent) -> None:
        if isinstance(event, OfferReceived) and accept_files:
            service.download_all(event.offer, save_dir)
        elif isinstance(event, TransferEnded) and event.transfer.direction == Direction.IN:
            show(event)

    node = build_node(settings, [listener])
    if store is not None:  # namesakes seen before keep their own conversations
        node.engine.peers.remember_twins(store.twin_keys())
    if store is not None:
        node.engine.load_pins(store.pinned_keys())
    node_ref.append(node)
    service = build_file_service(settings, node, checksum=checksum)
    service.listeners.append(on_file_event)
    await service.start(serve=False)  # listen offers nothing, so it serves nothing
    # Ready for Ctrl+C/SIGTERM before anyone can hear of us: a signal that arrives right
    # after our BR_ENTRY must still end in a clean BR_EXIT.
    stop = asyncio.Event()
    stop_on_signals(stop)
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
