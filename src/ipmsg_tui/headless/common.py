"""What the commands share: their error, signals, and the warning about a shortened nick."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TextIO

from ..i18n import _


def shortened_nick(nick: str, seen_as: str) -> str | None:
    """The warning when peers receive less of ``nick`` than was asked for, else None."""
    if seen_as == nick:
        return None
    return _("nick too long for IP Messenger (79 bytes): others see you as {nick}").format(
        nick=seen_as
    )


def warn_if_nick_shortened(nick: str, seen_as: str, err: TextIO = sys.stderr) -> None:
    """One line on stderr when the nick (the config's or --nick) is cut for the wire."""
    warning = shortened_nick(nick, seen_as)
    if warning is not None:
        print("ipmsg-tui: " + _("warning: {text}").format(text=warning), file=err)


# Ctrl+C or SIGTERM ended a command before it was done: 128 + SIGINT, as shells report it.
INTERRUPTED = 130


class CommandError(Exception):
    """A failure to report in one line; ``status`` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


def interrupt_on_signals() -> None:
    """Ctrl+C and SIGTERM cancel the running command's task (its ``finally`` still runs)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
