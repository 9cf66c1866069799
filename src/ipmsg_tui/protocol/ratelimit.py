"""A token bucket with the clock passed in."""

from __future__ import annotations

# A token due "now" must be takeable now: Unix times near 1.8e9 s have a resolution of
# about 2e-7 s, so computed token counts are a little off.
_EPSILON = 1e-3
_MARGIN = 1e-6


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._stamp: float | None = None

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        if self._stamp is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1 - _EPSILON:
            self._tokens -= 1
            return True
        return False

    def ready_at(self, count: int = 1) -> float:
        """When ``count`` tokens (at most a burst) will be there (for timers)."""
        count = max(1, min(count, int(self.burst)))
        if self._stamp is None or self._tokens >= count - _EPSILON:
            return self._stamp or 0.0
        return self._stamp + (count - self._tokens) / self.rate + _MARGIN
