"""Placeholder until the Textual app lands (issue 3)."""

from __future__ import annotations

from ..config import Settings


def run_app(settings: Settings, mouse: bool = True) -> int:
    raise NotImplementedError
