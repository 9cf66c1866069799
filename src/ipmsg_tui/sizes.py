"""Sizes as people read them, for every message that names an amount of data."""

from __future__ import annotations


def file_size(size: int) -> str:
    """``512 B``, ``12.3 KB``, ``4.0 MB`` (powers of 1024, as file managers show them)."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")
