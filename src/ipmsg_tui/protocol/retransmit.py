"""Datagrams sent again every so often until their answer arrives, then given up on."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from .peers import Addr


class RetryKind(Enum):
    """What a retried datagram is, and so which answer ends its retries."""

    MESSAGE = "msg"  # SENDMSG, answered by RECVMSG
    READ_NOTICE = "read"  # READMSG, by ANSREADMSG
    VERSION_INFO = "version"  # GETINFO, by SENDINFO
    ABSENCE_INFO = "absence"  # GETABSENCEINFO, by SENDABSENCEINFO

    @classmethod
    def info(cls, kind: str) -> RetryKind:
        """The request for ``kind`` of information ("version" or "absence")."""
        return cls.VERSION_INFO if kind == "version" else cls.ABSENCE_INFO

    @property
    def info_kind(self) -> str | None:
        """The kind of information asked ("version", "absence"), as events name it; None for
        the others."""
        return self.value if self in (RetryKind.VERSION_INFO, RetryKind.ABSENCE_INFO) else None


class RetryKey(NamedTuple):
    """One awaited answer: from ``addr``, of ``kind``, naming ``packet_no`` (0: names none).
    A named tuple: one is made for every message sent and every answer heard."""

    addr: Addr
    kind: RetryKind
    packet_no: int = 0


@dataclass(slots=True)
class Pending:
    key: RetryKey
    datagram: bytes
    reported_no: int  # the packet number events about it carry
    sends: int
    due: float

    @property
    def addr(self) -> Addr:
        return self.key.addr

    @property
    def kind(self) -> RetryKind:
        return self.key.kind


class Retransmissions:
    def __init__(self, interval: float, max_sends: Callable[[RetryKind], int]) -> None:
        self.interval = interval
        self.max_sends = max_sends  # sends in all, per kind, the first included
        self._pending: dict[RetryKey, Pending] = {}
        self._timers: list[tuple[float, int, RetryKey]] = []  # a heap; stale entries skipped
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, key: RetryKey, datagram: bytes, now: float, reported_no: int = 0) -> None:
        """``datagram`` was just sent once; send it again until :meth:`resolve` is called."""
        due = now + self.interval
        self._pending[key] = Pending(key, datagram, reported_no or key.packet_no, 1, due)
        heapq.heappush(self._timers, (due, next(self._sequence), key))

    def resolve(self, key: RetryKey) -> Pending | None:
        """The answer came: stop sending; the pending entry, or None if it was not waited for."""
        return self._pending.pop(key, None)

    def clear(self) -> None:
        self._pending.clear()
        self._timers.clear()

    def next_due(self) -> float | None:
        while self._timers and self._is_stale(self._timers[0]):
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def due(self, now: float) -> tuple[list[Pending], list[Pending]]:
        """What to send again now, and what has run out of sends (now forgotten)."""
        again: list[Pending] = []
        given_up: list[Pending] = []
        while self._timers and self._timers[0][0] <= now:
            entry = heapq.heappop(self._timers)
            if self._is_stale(entry):
                continue
            pending = self._pending[entry[2]]
            if pending.sends >= self.max_sends(pending.kind):
                del self._pending[pending.key]
                given_up.append(pending)
                continue
            pending.sends += 1
            pending.due = now + self.interval
            heapq.heappush(self._timers, (pending.due, next(self._sequence), pending.key))
            again.append(pending)
        return again, given_up

    def _is_stale(self, entry: tuple[float, int, RetryKey]) -> bool:
        pending = self._pending.get(entry[2])
        return pending is None or pending.due != entry[0]
