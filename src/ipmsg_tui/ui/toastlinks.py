"""Toasts that lead somewhere: a click on one about a message opens its conversation.

Textual's toasts carry no data of ours, so the notification's identity is remembered with
the conversation it is about (``model/toasts.py``: ToastTargets).
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.notifications import Notification, Notify
from textual.widget import Widget

from .model.toasts import ToastTargets


class ToastLinks:
    def __init__(self) -> None:
        self.targets = ToastTargets()

    def toast(self, app: App[Any], key: str, message: str, *, title: str) -> None:
        """What ``App.notify`` does, remembering that this toast is about ``key``."""
        notification = Notification(
            message, title, "information", app.NOTIFICATION_TIMEOUT, markup=False
        )
        self.targets.remember(notification.identity, key)
        app.post_message(Notify(notification))

    def key_of(self, clicked: Widget | None) -> str | None:
        """The conversation of the toast that ``clicked`` is (or is inside of), if any."""
        node = clicked
        while node is not None:
            # Toast keeps its notification privately (Textual 8.2); nothing else tells it.
            notification = getattr(node, "_notification", None)
            if isinstance(notification, Notification):
                return self.targets.key_of(notification.identity)
            parent = node.parent
            node = parent if isinstance(parent, Widget) else None
        return None
