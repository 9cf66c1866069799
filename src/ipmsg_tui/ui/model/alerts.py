"""Toasts (and the bell) for messages that arrive in other conversations, coalesced.

Also the decision whether a message is told of outside the terminal (desktop notices), free
of Textual so that it is tested alone; ``desktop.py`` delivers them.

One by one, each message gets its toast. In a burst (more than ``burst`` within ``window``
seconds: a busy LAN, or a flood from spoofed senders) the rest wait and one summary says how
many came from whom, so a storm of messages never becomes a storm of toasts.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ...i18n import N_, _, ngettext
from ...store import MessageState, StoredMessage

WINDOW = 3.0
BURST = 3


class Notifier(Protocol):
    def notify_about(self, key: str, message: str, *, title: str) -> None:
        """A toast about conversation ``key`` (a click on it opens it)."""

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
        self._from: dict[str, str] = {}  # name -> conversation key, in order of arrival
        self._summary_due = False

    def message(self, sender: str, text: str, key: str) -> None:
        now = self.clock()
        while self._recent and self._recent[0] <= now - self.window:
            self._recent.popleft()
        if len(self._recent) < self.burst and not self._summary_due:
            self._recent.append(now)
            self.app.bell()
            self.app.notify_about(key, text, title=sender)
            return
        self._held += 1
        self._from.setdefault(sender, key)
        if not self._summary_due:
            self._summary_due = True
            self.app.set_timer(self.window, self._summarise)

    def _summarise(self) -> None:
        self._summary_due = False
        if not self._held:
            return
        names, first = list(self._from), next(iter(self._from.values()))
        more = _(" and {count} more").format(count=len(names) - 3)
        who = ", ".join(names[:3]) + (more if len(names) > 3 else "")
        count, self._held = self._held, 0
        self._from.clear()
        self._recent.clear()
        self._recent.append(self.clock())
        self.app.bell()
        text = ngettext(
            "{count} more message from {who}", "{count} more messages from {who}", count
        ).format(count=count, who=who)
        self.app.notify_about(first, text, title=_("Unread"))


# ---------------------------------------------------------------- outside the terminal

SEALED_BODY = N_("sent you a sealed message")
UNVERIFIED_BODY = N_("sent you a message (their key changed: open the app to read it)")
KEY_CHANGED_BODY = N_("their key changed: compare fingerprints (F3) before trusting them")
BODY_MAX = 200
# Bytes a peer must never smuggle into an escape sequence or a command line: C0 and C1
# controls (ESC, BEL, ST ...) and DEL.
_CONTROLS = dict.fromkeys([*range(0x20), 0x7F, *range(0x80, 0xA0)], " ")


@dataclass(frozen=True, slots=True)
class DesktopNotice:
    """What a notification outside the terminal says: never a sealed message's text."""

    title: str
    body: str


def clean(text: str, limit: int = BODY_MAX) -> str:
    """One line of ``text`` without control characters, at most ``limit`` characters."""
    flat = " ".join(text.translate(_CONTROLS).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def desktop_notice(
    sender: str,
    row: StoredMessage,
    shown_text: str,
    *,
    focused: bool,
    enabled: bool,
    key_changed: bool = False,
) -> DesktopNotice | None:
    """The notice for a new message, or None: only while the terminal is not focused, with
    notifications on, for messages from others. ``shown_text`` is how the app previews it;
    a sealed message (or one whose sender's key changed) is told of without its text."""
    if focused or not enabled or not row.incoming:
        return None
    if row.sealed or row.state is MessageState.SEALED:
        body = _(SEALED_BODY)
    elif key_changed:
        body = _(UNVERIFIED_BODY)
    else:
        body = shown_text
    return DesktopNotice(clean(sender, 80), clean(body))


def key_changed_notice(name: str, *, focused: bool, enabled: bool) -> DesktopNotice | None:
    """A peer's key changed while the terminal is in the background: told outside too, with
    the peer's name only (nothing of any message)."""
    if focused or not enabled:
        return None
    return DesktopNotice(clean(name, 80), clean(_(KEY_CHANGED_BODY)))
