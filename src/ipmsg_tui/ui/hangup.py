"""Leaving when the terminal closes (SIGHUP) or we are told to stop (SIGTERM), always.

The normal way out is the app's own quit: goodbye (BR_EXIT), then Textual restores the
terminal. Two things could keep that from ever finishing once the terminal is gone:

* a hangup comes with SIGCONT, and Textual answers SIGCONT by restarting its output: a second
  writer thread that dies on its first write to the dead terminal, after which the app's
  writes (and Textual's own shutdown) wait forever for room in its queue;
* any other write to a terminal that went away may block.

So the hangup handler stops Textual's SIGCONT handling first, and every such signal arms a
watchdog thread that does not depend on the event loop: if the app has not said goodbye
within ``goodbye_grace`` seconds it says it itself, and ``exit_grace`` seconds after the
signal it closes the history (every write is already committed) and ends the process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

GOODBYE_SIGNALS = (signal.SIGHUP, signal.SIGTERM)
GOODBYE_GRACE = 1.0  # seconds the app has to say goodbye before the watchdog does it
EXIT_GRACE = 2.0  # seconds from the signal to the end of the process, whatever happens
_STEP_LIMIT = 0.3  # a last step (goodbye, closing the history) may not take longer than this


def _bounded(step: Callable[[], None], what: str) -> None:
    """Run ``step`` in a thread of its own and wait for it a little: a lock held by a stuck
    thread must not stop the watchdog."""

    def quietly() -> None:
        try:
            step()
        except Exception as error:  # the process ends next; the log is all that is left
            log.warning("%s failed while leaving: %s", what, error)

    worker = threading.Thread(target=quietly, name=f"leaving: {what}", daemon=True)
    worker.start()
    worker.join(_STEP_LIMIT)


class ExitWatchdog:
    """Armed once by a goodbye signal; ends the process ``exit_grace`` seconds later."""

    def __init__(
        self,
        goodbye: Callable[[], None],
        close_history: Callable[[], None],
        *,
        goodbye_grace: float = GOODBYE_GRACE,
        exit_grace: float = EXIT_GRACE,
        end_process: Callable[[int], Any] = os._exit,
    ) -> None:
        self._goodbye = goodbye
        self._close_history = close_history
        self.goodbye_grace = goodbye_grace
        self.exit_grace = exit_grace
        self._end_process = end_process
        self.said_goodbye = threading.Event()  # set by the app once its BR_EXIT went out
        self._thread: threading.Thread | None = None

    @property
    def armed(self) -> bool:
        return self._thread is not None

    def arm(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="exit-watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        armed_at = time.monotonic()
        if not self.said_goodbye.wait(self.goodbye_grace):
            _bounded(self._goodbye, "goodbye")
        time.sleep(max(0.0, armed_at + self.exit_grace - time.monotonic()))
        # Still here: the app's shutdown is stuck (a terminal that went away). Leave anyway.
        _bounded(self._close_history, "closing the history")
        _bounded(lambda: log.warning("the app did not end in time after a signal"), "log")
        self._end_process(0)


class GoodbyeSignals:
    """SIGHUP and SIGTERM: arm the watchdog, then ask the app to quit on its loop.

    A plain ``signal.signal`` handler rather than ``loop.add_signal_handler``: it runs in the
    main thread even while the loop is blocked, which is what the watchdog is for."""

    def __init__(self, watchdog: ExitWatchdog, quit_app: Callable[[], None]) -> None:
        self.watchdog = watchdog
        self._quit_app = quit_app
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[int, Any] = {}

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        for signum in GOODBYE_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            # The terminal is gone: Textual must not restart its output on the SIGCONT that
            # the kernel sends with the hangup (it would block the app's writes for good).
            signal.signal(signal.SIGCONT, signal.SIG_DFL)
        self.watchdog.arm()
        if self._loop is not None:
            with suppress(RuntimeError):  # a loop already closed: the watchdog ends us
                self._loop.call_soon_threadsafe(self._quit_app)
