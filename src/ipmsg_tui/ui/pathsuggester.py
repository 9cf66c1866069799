"""Completing a path as it is typed, from what is on disk (the Textual side of paths.py)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual.suggester import Suggester

from .model.paths import expand

MAX_SUGGESTION_ENTRIES = 2000  # a huge folder is not listed in full for one suggestion


def _complete(value: str, base: Path) -> str | None:
    head, _, prefix = value.rpartition("/")
    folder = expand(head + "/" if head or value.startswith("/") else ".", base)
    try:
        with os.scandir(folder) as listing:
            names = []
            for count, entry in enumerate(listing):
                if count >= MAX_SUGGESTION_ENTRIES:
                    break
                if entry.name.startswith(prefix) and (prefix or not entry.name.startswith(".")):
                    names.append((entry.name, entry.is_dir()))
    except OSError:
        return None
    if not names or (not prefix and len(names) > 1):
        return None
    name, is_dir = min(names)
    return value + name[len(prefix) :] + ("/" if is_dir else "")


class PathSuggester(Suggester):
    """Completes the last part of a path from what is on disk (→ accepts, as in a shell)."""

    def __init__(self, base: Path) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.base = base

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        return await asyncio.to_thread(_complete, value, self.base)
