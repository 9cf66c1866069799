"""What a helper of the app needs to show something: toasts and dialogs (the App has both)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from textual.notifications import SeverityLevel
from textual.screen import Screen


class Toasts(Protocol):
    def notify(
        self,
        message: str,
        *,
        title: str = ...,
        severity: SeverityLevel = ...,
        timeout: float | None = ...,
        markup: bool = ...,
    ) -> None: ...


class Dialogs(Toasts, Protocol):
    def push_screen(
        self, screen: Screen[Any], callback: Callable[[Any], None] | None = ...
    ) -> Any: ...
