"""Noticing peers that went away without a goodbye (a crash, a pulled cable).

IPMSG has no keep-alive: a peer that crashed stays listed until someone refreshes. So every
``sweep_every`` seconds the peers silent for ``silent_after`` seconds are asked, by a unicast
BR_ENTRY (a live peer answers ANSENTRY, which counts as hearing from it), whether they are
still there; one more ask half-way through ``answer_within`` covers a lost datagram; a peer
still silent ``answer_within`` seconds after the first ask is dropped. One pass over the peer
table per sweep and a packet per silent peer every ``silent_after``: cheap even at the cap.
Sans-IO: the caller passes the time and sends the probes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .peers import Addr, Peer

SILENT_AFTER = 600.0  # ten minutes without a packet
ANSWER_WITHIN = 30.0
SWEEP_EVERY = 15.0


@dataclass
class _Asked:
    first_at: float
    times: int


class SilenceWatch:
    def __init__(
        self,
        silent_after: float = SILENT_AFTER,
        answer_within: float = ANSWER_WITHIN,
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self.silent_after = silent_after
        self.answer_within = answer_within
        self.sweep_every = sweep_every
        self._asked: dict[Addr, _Asked] = {}
        self._next_sweep: float | None = None

    def start(self, now: float) -> None:
        self._next_sweep = now + self.sweep_every

    def stop(self) -> None:
        self._next_sweep = None
        self._asked.clear()

    def next_due(self) -> float | None:
        return self._next_sweep

    def sweep(self, now: float, peers: Iterable[Peer]) -> tuple[list[Addr], list[Peer]]:
        """(addresses to ask now, peers to drop), when a sweep is due; else nothing."""
        if self._next_sweep is None or now < self._next_sweep:
            return [], []
        self._next_sweep = now + self.sweep_every
        ask: list[Addr] = []
        drop: list[Peer] = []
        still_asked: dict[Addr, _Asked] = {}  # only silent peers: the memory stays small
        for peer in peers:
            if now - peer.last_seen < self.silent_after:
                continue
            asked = self._asked.get(peer.addr)
            if asked is None or asked.first_at < peer.last_seen:  # new silence
                still_asked[peer.addr] = _Asked(now, 1)
                ask.append(peer.addr)
            elif now - asked.first_at >= self.answer_within:
                drop.append(peer)
            else:
                if asked.times == 1 and now - asked.first_at >= self.answer_within / 2:
                    asked.times = 2  # once more, in case the first ask was lost
                    ask.append(peer.addr)
                still_asked[peer.addr] = asked
        self._asked = still_asked
        return ask, drop
