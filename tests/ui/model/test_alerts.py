"""Toasts for messages in other conversations: one each, then one summary for a burst."""

from __future__ import annotations

from collections.abc import Callable

from ipmsg_tui.ui.model.alerts import MessageAlerts


class Screen:
    """What the alerts need of the app (the Notifier protocol), recording what it shows."""

    def __init__(self) -> None:
        self.toasts: list[tuple[str, str]] = []
        self.about: list[str] = []  # the conversation a click on each toast opens
        self.bells = 0
        self.timers: list[Callable[[], object]] = []

    def notify_about(self, key: str, message: str, *, title: str) -> None:
        self.toasts.append((title, message))
        self.about.append(key)

    def bell(self) -> None:
        self.bells += 1

    def set_timer(self, delay: float, callback: Callable[[], object]) -> object:
        self.timers.append(callback)
        return None


def test_a_burst_becomes_one_summary_naming_the_senders() -> None:
    now = [0.0]
    screen = Screen()
    alerts = MessageAlerts(screen, window=3.0, burst=2, clock=lambda: now[0])
    alerts.message("Bob", "one", "bob@pc")
    alerts.message("Carol", "two", "carol@pc")
    for sender in ("Dave", "Erin", "Dave", "Fay", "Gus"):
        alerts.message(sender, "[b]more[/b]", f"{sender.lower()}@pc")
    assert screen.toasts == [("Bob", "one"), ("Carol", "two")]
    (summarise,) = screen.timers
    summarise()
    assert screen.toasts[-1] == ("Unread", "5 more messages from Dave, Erin, Fay and 1 more")
    assert screen.about == ["bob@pc", "carol@pc", "dave@pc"]  # the summary opens the first
    assert screen.bells == 3
    now[0] = 10.0  # quiet again: one by one
    alerts.message("Bob", "later", "bob@pc")
    assert screen.toasts[-1] == ("Bob", "later")
