"""How times, days and sizes read on screen (local time; the clock is passed in)."""

from __future__ import annotations

import time

from ...sizes import file_size as file_size  # shared with the non-UI messages


def clock_time(ts: float) -> str:
    """``14:03``: the time of a message (its day shows in a separator above it)."""
    return time.strftime("%H:%M", time.localtime(ts))


def day_of(ts: float) -> tuple[int, int, int]:
    local = time.localtime(ts)
    return local.tm_year, local.tm_mon, local.tm_mday


def day_label(ts: float, now: float) -> str:
    """``Today``, ``Yesterday``, or ``2024-05-07 Tue``."""
    day = day_of(ts)
    if day == day_of(now):
        return "Today"
    # Noon of today minus a day is yesterday whatever the DST change in between.
    today = time.localtime(now)
    noon = time.mktime((today.tm_year, today.tm_mon, today.tm_mday, 12, 0, 0, 0, 0, -1))
    if day == day_of(noon - 86400):
        return "Yesterday"
    return time.strftime("%Y-%m-%d %a", time.localtime(ts))
