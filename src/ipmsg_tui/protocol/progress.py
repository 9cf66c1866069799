"""Transfer speed and time left, from (time, bytes done) samples; the clock is passed in."""

from __future__ import annotations

from collections import deque


class RateMeter:
    """Bytes per second over a sliding window: steady enough to read, quick to follow."""

    def __init__(self, window: float = 3.0) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def update(self, done: int, now: float) -> None:
        self._samples.append((now, done))
        # Keep one sample older than the window, so the rate spans the whole window.
        while len(self._samples) > 2 and self._samples[1][0] <= now - self.window:
            self._samples.popleft()

    @property
    def rate(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0


def eta(done: int, total: int | None, rate: float) -> float | None:
    """Seconds left, or None when unknown (no total, or no progress yet)."""
    if total is None or rate <= 0:
        return None
    return max(0.0, (total - done) / rate)
