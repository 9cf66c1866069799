"""``ipmsg-tui listen``: stay online headless, print events, take commands on stdin."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ..config import Settings
from ..i18n import english
from ..net.files import FileEvent, OfferReceived, TransferEnded
from ..net.saving import SaveError, prepare_folder
from ..net.transfers import Direction
from ..protocol import events as ev
from ..service import Messenger
from ..service import events as news
from ..service.control import ControlServer
from ..store import HistoryStore
from .commands import CommandRunner
from .common import CommandError, shortened_nick, stop_on_signals, warn_if_nick_shortened
from .output import event_line, event_record, file_record, write_line

# Printed from the protocol event they came from (the JSON lines scripts read).
_SHOWN_AS_THEY_CAME = (
    news.MessagesChanged,
    news.PeerOnline,
    news.PeerOffline,
    news.PeerNotice,
    news.FilesReleased,
    news.SecurityNotice,
)


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
    if accept_files:
        try:
            save_dir = prepare_folder(save_dir or settings.download_dir)
        except SaveError as error:
            raise CommandError(error.why.text(), 2) from None
    messenger = Messenger(settings, store=store, checksum=checksum)

    def emit(record: dict[str, Any]) -> None:
        write_line(out, json.dumps(record, ensure_ascii=False))

    def show(event: ev.Event | FileEvent) -> None:
        if as_json:
            record = event_record(event) if isinstance(event, ev.Event) else file_record(event)
            if record is not None:
                emit(record)
        else:
            line = event_line(event, time.time(), sealed_text=open_sealed)
            if line is not None:
                write_line(out, line)

    def follow(event: news.News) -> None:
        if isinstance(event, news.MessageArrived):
            show(event.source)
            if open_sealed and event.source.sealed:
                # After this step's RECVMSG has gone out: READMSG must not overtake it.
                asyncio.get_running_loop().call_soon(messenger.open_sealed, event.row)
        elif isinstance(event, OfferReceived) and accept_files:
            messenger.accept(event.offer, save_dir)
        elif isinstance(event, TransferEnded) and event.transfer.direction == Direction.IN:
            show(event)
        elif isinstance(event, _SHOWN_AS_THEY_CAME):
            show(event.source)

    messenger.subscribe(follow)
    seen_as = messenger.fitting_nick(settings.nick)
    if as_json:
        with english():  # a JSON value: never translated
            warning = shortened_nick(settings.nick, seen_as)
        if warning is not None:
            emit({"event": "warning", "warning": warning, "nick": seen_as})
    elif not as_json:
        warn_if_nick_shortened(settings.nick, seen_as)
    reader = None
    control = ControlServer(messenger)  # `send` and `who` beside it come through it
    # Ready for Ctrl+C/SIGTERM before anyone can hear of us: a signal that arrives right
    # after our BR_ENTRY must still end in a clean BR_EXIT.
    stop = asyncio.Event()
    stop_on_signals(stop)
    try:
        # It serves files: a `send --file` beside it offers them through it (control socket).
        await messenger.start(keys=True)
        await control.start()
        if accept_files:  # what we were downloading when we last quit goes on from its .part
            messenger.files.resume_interrupted()
        if commands:
            runner = CommandRunner(messenger, emit)
            reader = asyncio.create_task(_read_commands(runner))
        await stop.wait()
    finally:
        if reader is not None:
            reader.cancel()
        await control.stop()
        await messenger.stop()
        messenger.close()
    return 0


async def _read_commands(runner: CommandRunner) -> None:
    """Feed stdin lines to ``runner``; at end of input keep listening."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        runner.handle_line(line.decode("utf-8", errors="replace"))
