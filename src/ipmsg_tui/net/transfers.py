"""One file or folder moving to or from a peer: state, progress, speed, and its controls.

A :class:`Transfer` is what a transfers panel shows and what a script waits on. The
:class:`~ipmsg_tui.net.files.FileService` creates and drives them; the UI reads their fields,
subscribes to changes, and calls :meth:`Transfer.cancel` and :meth:`Transfer.retry`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path

from ..protocol.attachments import Attachment
from ..protocol.direction import Direction as Direction  # re-exported: one type, both layers
from ..protocol.peers import Addr
from ..protocol.progress import RateMeter, eta
from ..reasons import Reason

log = logging.getLogger(__name__)

# Progress notifications at most this often; state changes are always notified.
NOTIFY_INTERVAL = 0.1
_ids = itertools.count(1)


class TransferState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (TransferState.DONE, TransferState.FAILED, TransferState.CANCELLED)


class Failure(Enum):
    """Why an attempt failed, for code that acts on it (``Transfer.error`` says it in words)."""

    UNREACHABLE = "unreachable"  # no TCP connection to the sender
    REFUSED = "refused"  # the sender hung up without a byte: it no longer offers the file
    BROKEN = "broken"  # the stream was short, long, stalled or malformed, or the peer left
    SAVE = "save"  # we could not write what arrived


@dataclass(frozen=True, slots=True)
class Controls:
    """What cancel and retry do; supplied by the service that runs the transfer."""

    cancel: Callable[[Transfer], None]
    retry: Callable[[Transfer], None] | None = None


Subscriber = Callable[["Transfer"], None]


class Transfer:
    def __init__(
        self,
        direction: Direction,
        addr: Addr,
        peer_name: str,
        attachment: Attachment,
        packet_no: int,
        *,
        path: Path | None = None,
        total: int | None = None,
        controls: Controls | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = next(_ids)
        self.direction = direction
        self.addr = addr
        self.peer_name = peer_name
        self.attachment = attachment
        self.packet_no = packet_no
        self.path = path  # downloads: where it was (or will be) saved; uploads: the source
        self.total = total
        self.done = 0
        self.offset = 0  # where the current attempt started (> 0: resumed)
        self.files_done = 0  # files completed inside a folder
        self.attempts = 0
        self.state = TransferState.QUEUED
        # Why the attempt failed, in English (JSON, the transfer log) and as a Reason the
        # front ends show in the chosen language (None: only the English is known).
        self.error: str | None = None
        self.why: Reason | None = None
        self.failure: Failure | None = None  # set when an attempt ends FAILED
        self.sha256: str | None = None
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._controls = controls
        self._clock = clock
        self._meter = RateMeter()
        self._subscribers: list[Subscriber] = []
        self._notified_at = 0.0
        self._changed = asyncio.Event()
        self._trailing: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        progress = f"{self.done}/{self.total}"
        return f"<Transfer {self.id} {self.direction} {self.name!r} {self.state} {progress}>"

    # ------------------------------------------------------------------ reading

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else self.attachment.name

    @property
    def is_folder(self) -> bool:
        return self.attachment.is_dir

    @property
    def speed(self) -> float:
        """Bytes per second over the last few seconds (0 when idle)."""
        return self._meter.rate if self.state == TransferState.RUNNING else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, if the total and a speed are known."""
        return (
            eta(self.done, self.total, self.speed) if self.state == TransferState.RUNNING else None
        )

    @property
    def fraction(self) -> float | None:
        if self.state == TransferState.DONE:
            return 1.0
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    @property
    def can_cancel(self) -> bool:
        return not self.state.finished and self._controls is not None

    @property
    def can_retry(self) -> bool:
        return (
            self.state in (TransferState.FAILED, TransferState.CANCELLED)
            and self._controls is not None
            and self._controls.retry is not None
        )

    # ------------------------------------------------------------------ controls

    def cancel(self) -> None:
        if self.can_cancel and self._controls is not None:
            self._controls.cancel(self)

    def retry(self) -> None:
        """Download again; from the bytes already saved when the peer is ipmsg-tui."""
        if not self.can_retry or self._controls is None or self._controls.retry is None:
            raise RuntimeError(f"transfer {self.id} cannot be retried ({self.state})")
        self._controls.retry(self)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(transfer)`` on changes; returns the unsubscribe function."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    async def wait(self) -> TransferState:
        """Until this attempt ends (done, failed or cancelled)."""
        while not self.state.finished:
            self._changed.clear()
            await self._changed.wait()
        return self.state

    # ------------------------------------------------------------------ driving (service)

    def begin(self, offset: int = 0) -> None:
        self.attempts += 1
        self.offset = offset
        self.done = offset
        self.files_done = 0
        self.fail_because(None)
        self.sha256 = None
        self.started_at = self._clock()
        self.finished_at = None
        self._meter.reset()
        self._meter.update(self.done, self.started_at)
        self._set_state(TransferState.RUNNING)

    def queue(self) -> None:
        self.fail_because(None)
        self._set_state(TransferState.QUEUED)

    def advance(self, count: int) -> None:
        self.done += count
        now = self._clock()
        if now - self._notified_at >= NOTIFY_INTERVAL:
            self._meter.update(self.done, now)
            self._notify(now)
        elif self._trailing is None:
            # Throttled: report this progress a little later anyway, in case no more comes
            # (a stalled sender must not leave the panel showing old numbers).
            delay = NOTIFY_INTERVAL - (now - self._notified_at)
            self._trailing = asyncio.get_running_loop().call_later(delay, self._flush)

    def _flush(self) -> None:
        self._trailing = None
        now = self._clock()
        self._meter.update(self.done, now)
        self._notify(now)

    def fail_because(self, why: Reason | str | None, failure: Failure | None = None) -> None:
        """Set ``error`` and ``why`` (a plain string: English words without a template)."""
        self.why = Reason.plain(why) if isinstance(why, str) else why
        self.error = str(why) if why is not None else None
        self.failure = failure

    def end(
        self,
        state: TransferState,
        error: Reason | str | None = None,
        failure: Failure | None = None,
    ) -> None:
        self.fail_because(error, failure)
        error = self.error
        self.finished_at = self._clock()
        if error:
            log.info("transfer %d (%s) %s: %s", self.id, self.name, state, error)
        self._set_state(state)

    def _set_state(self, state: TransferState) -> None:
        if self._trailing is not None:
            self._trailing.cancel()
            self._trailing = None
        self.state = state
        self._notify(self._clock())

    def _notify(self, now: float) -> None:
        self._notified_at = now
        self._changed.set()
        for subscriber in list(self._subscribers):
            try:
                subscriber(self)
            except Exception:
                log.exception("transfer subscriber failed")
