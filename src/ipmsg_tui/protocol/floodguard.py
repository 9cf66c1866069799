"""Keeping senders we cannot verify cheap: the engine's defences against floods.

UDP source addresses can be forged, so a sender heard from only once may not exist. Such
senders get their messages and answers within a budget:

* messages from senders that never announced themselves are taken at a limited rate;
  beyond it a first copy is dropped unacknowledged and remembered, and its retransmission
  is taken (a real sender retries, a flood of spoofed senders does not);
* answers to senders heard only once are rate limited: datagrams to hosts that do not
  exist wait for ARP in our send queue and would hold up answers to real peers;
* decryptions (RSA) for senders heard only once are rate limited: a flood of forged
  encrypted datagrams must not cost more than a flood of garbage;
* entry answers (ANSENTRY) beyond that rate wait in a bounded queue, so a LAN where
  thousands start at once still gets every answer within seconds (Windows itself delays
  its answers up to 4 s), while a flood only ever fills the queue. The newest are answered
  first: a client that just started is waiting now (``who`` for 2 s), one heard seconds ago
  may have given up, and a flood's backlog must not hold up the first real client after it.
"""

from __future__ import annotations

from collections import deque

from .dedup import DedupCache
from .peers import Addr
from .ratelimit import TokenBucket

_OWED_ANSWER_BATCH = 16


class FloodGuard:
    def __init__(
        self,
        stranger_message_rate: float,
        answer_rate: float,
        max_owed_answers: int,
        memory_size: int,
        memory_ttl: float,
        unconfirmed_decrypt_rate: float = 20.0,
    ) -> None:
        self.max_owed_answers = max_owed_answers
        self._stranger_budget = TokenBucket(stranger_message_rate, stranger_message_rate * 2)
        self._knocks: DedupCache[tuple[Addr, int]] = DedupCache(memory_size, memory_ttl)
        self._answer_budget = TokenBucket(answer_rate, answer_rate * 2)
        self._owed: deque[Addr] = deque()
        # RSA work costs about a thousand packet parses: unconfirmed senders share a budget.
        self._decrypt_budget = TokenBucket(unconfirmed_decrypt_rate, unconfirmed_decrypt_rate)

    def admit_stranger_message(self, addr: Addr, packet_no: int, now: float) -> bool:
        return self._stranger_budget.take(now) or self._knocks.check_and_add((addr, packet_no), now)

    def admit_decryption(self, confirmed: bool, now: float) -> bool:
        return confirmed or self._decrypt_budget.take(now)

    def may_answer(self, confirmed: bool, now: float) -> bool:
        return confirmed or self._answer_budget.take(now)

    def answer_entry_now(self, confirmed: bool, now: float) -> bool:
        """True: answer now. False: call :meth:`owe_entry_answer`."""
        return confirmed or (not self._owed and self._answer_budget.take(now))

    def owe_entry_answer(self, addr: Addr) -> bool:
        """Queue an entry answer for later; True if the oldest owed one had to go for it."""
        full = len(self._owed) >= self.max_owed_answers
        if full:
            self._owed.popleft()
        self._owed.append(addr)
        return full

    def entry_answers_due(self, now: float) -> list[Addr]:
        """The owed answers the budget allows now, newest first."""
        due: list[Addr] = []
        while self._owed and self._answer_budget.take(now):
            due.append(self._owed.pop())
        return due

    def next_due(self) -> float | None:
        # Wake for a handful at a time, not once per token (every 2 ms at 500/s).
        batch = min(len(self._owed), _OWED_ANSWER_BATCH)
        return self._answer_budget.ready_at(batch) if self._owed else None
