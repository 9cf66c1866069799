"""What the commands share: their error, and waiting on the event loop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable


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
        try:
            await asyncio.wait_for(changed.wait(), remaining)
        except TimeoutError:
            return predicate()
    return True


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
