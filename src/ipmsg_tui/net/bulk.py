"""File bytes on a thread of their own, while the event loop keeps control of the transfer.

The loop connects, sends or reads the request, and decides what the outcome means; a thread
moves the bytes with system calls that let go of the GIL (``sendfile`` out, ``recv_into``
and ``write`` in), so a gigabyte costs the loop nothing but a glance at the counters every
``NOTIFY_INTERVAL``. The socket stays non-blocking: the thread waits in ``poll`` in short
steps and looks at its stop flag between them, so a cancel is seen within ``POLL_STEP``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from .transfers import NOTIFY_INTERVAL

POLL_STEP = 0.1  # seconds between looks at the stop flag while the socket is not ready
_T = TypeVar("_T")


class Stopped(Exception):
    """The loop asked the thread to stop (the transfer was cancelled)."""


class Stalled(TimeoutError):
    """Nothing could be sent or received for the idle timeout."""


class Broken(ConnectionError):
    """The connection failed under the thread (reset, refused, gone)."""


class Pipe:
    """One connection as the thread sees it: blocking-style calls on a non-blocking socket,
    and counters the loop reads (``moved``: file bytes, ``files``: files completed)."""

    def __init__(self, sock: socket.socket, idle_timeout: float | None = None) -> None:
        self.sock = sock
        self.idle_timeout = idle_timeout
        self.stopped = False  # set by the loop; read by the thread
        self.moved = 0
        self.files = 0
        self._readable = select.poll()
        self._readable.register(sock.fileno(), select.POLLIN)
        self._writable = select.poll()
        self._writable.register(sock.fileno(), select.POLLOUT)

    def _wait(self, poller: select.poll, timeout: float | None) -> bool:
        """Until the socket is ready (True) or ``timeout`` passed (False); Stopped if told."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.stopped:
                raise Stopped
            step = POLL_STEP
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                step = min(step, left)
            if poller.poll(step * 1000):
                return True

    def _ready(self, poller: select.poll) -> None:
        if not self._wait(poller, self.idle_timeout):
            raise Stalled(f"nothing moved for {self.idle_timeout:g} s")

    def send(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            if self.stopped:
                raise Stopped
            try:
                sent = self.sock.send(view)
            except BlockingIOError:
                self._ready(self._writable)
                continue
            except OSError as error:
                raise Broken(error.strerror or str(error)) from None
            view = view[sent:]

    def sendfile(self, fd: int, offset: int, count: int) -> int:
        """Up to ``count`` bytes of ``fd`` from ``offset``; fewer only if the file ended."""
        sent = 0
        out = self.sock.fileno()
        while sent < count:
            if self.stopped:
                raise Stopped
            try:
                done = os.sendfile(out, fd, offset + sent, count - sent)
            except BlockingIOError:
                self._ready(self._writable)
                continue
            except (BrokenPipeError, ConnectionError) as error:
                raise Broken(error.strerror or str(error)) from None
            if done == 0:
                break  # the file is shorter than it was
            sent += done
            self.moved += done
        return sent

    def recv_into(self, view: memoryview) -> int:
        """What arrived (0: the sender closed); Stalled after the idle timeout."""
        while True:
            if self.stopped:
                raise Stopped
            try:
                return self.sock.recv_into(view)
            except BlockingIOError:
                self._ready(self._readable)
            except OSError as error:
                raise Broken(error.strerror or str(error)) from None

    def ends_within(self, grace: float) -> bool:
        """After the last expected byte: False if more bytes come; True if the peer closes
        or stays silent for ``grace`` seconds (it may keep the connection open)."""
        if not self._wait(self._readable, grace):
            return True
        try:
            return not self.sock.recv(64)
        except BlockingIOError:
            return True
        except OSError:
            return True  # a reset after everything arrived loses nothing


async def run(work: Callable[[], _T], pipe: Pipe, report: Callable[[], None]) -> _T:
    """``work()`` on a thread of its own; ``report()`` on the loop every NOTIFY_INTERVAL and
    at the end. Cancelling stops the thread and waits for it: the caller may then close
    what the thread was using."""
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[_T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not finished.done():
            outcome()

    def target() -> None:
        try:
            result = work()
        except BaseException as error:  # handed to the loop, raised there
            caught = error
            call = lambda: settle(lambda: finished.set_exception(caught))  # noqa: E731
        else:
            call = lambda: settle(lambda: finished.set_result(result))  # noqa: E731
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(call)

    threading.Thread(target=target, name="ipmsg-tui-bulk", daemon=True).start()
    try:
        while not finished.done():
            await asyncio.wait({finished}, timeout=NOTIFY_INTERVAL)
            report()
    except asyncio.CancelledError:
        pipe.stopped = True
        while not finished.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({finished})
        with contextlib.suppress(BaseException):
            finished.result()  # retrieved: the thread's Stopped is expected here
        report()
        raise
    return finished.result()
