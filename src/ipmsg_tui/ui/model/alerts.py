"""Toasts (and the bell) for messages that arrive in other conversations, coalesced.

One by one, each message gets its toast. In a burst (more than ``burst`` within ``window``
seconds: a busy LAN, or a flood from spoofed senders) the rest wait and one summary says how
many came from whom, so a storm of messages never becomes a storm of toasts.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from ...i18n import _, ngettext

WINDOW = 3.0
BURST = 3


class Notifier(Protocol):
    def notify(self, message: str, *, title: str = ..., markup: bool = ...) -> None: ...
    def bell(self) -> None: ...
    def set_timer(self, delay: float, callback: Callable[[], object]) -> object: ...


class MessageAlerts:
    def __init__(
        self,
        app: Notifier,
        *,
        window: float = WINDOW,
        burst: int = BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.window = window
        self.burst = burst
        self.clock = clock
        self._recent: deque[float] = deque()
        self._held = 0
        self._from: dict[str, None] = {}  # names, in order of arrival
        self._summary_due = False

    def message(self, sender: str, text: str) -> None:
        now = self.clock()
        while self._recent and self._recent[0] <= now - self.window:
            self._recent.popleft()
        if len(self._recent) < self.burst and not self._summary_due:
            self._recent.append(now)
            self.app.bell()
            self.app.notify(text, title=sender, markup=False)
            return
        self._held += 1
        self._from.setdefault(sender, None)
        if not self._summary_due:
            self._summary_due = True
            self.app.set_timer(self.window, self._summarise)

    def _summarise(self) -> None:
        self._summary_due = False
        if not self._held:
            return
        names = list(self._from)
        who = ", ".join(names[:3]) + (
            _(" and {count} more").format(count=len(names) - 3) if len(names) > 3 else ""
        )
        count, self._held = self._held, 0
        self._from.clear()
        self._recent.clear()
        self._recent.append(self.clock())
        self.app.bell()
        text = ngettext(
            "{count} more message from {who}", "{count} more messages from {who}", count
        ).format(count=count, who=who)
        self.app.notify(text, title=_("Unread"), markup=False)
