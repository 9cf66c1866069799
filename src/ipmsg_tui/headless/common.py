"""What the commands share: their error, and waiting on the event loop."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
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


async def wait_until(
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
        # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation (Ctrl+C, SIGTERM)
        # that comes as the event fires, and the command would go on waiting.
        waiter = asyncio.ensure_future(changed.wait())
        try:
            done, _ = await asyncio.wait({waiter}, timeout=remaining)
        finally:
            waiter.cancel()
        if not done:
            return predicate()
    return True


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
