"""A bounded, time-limited memory of keys already handled (duplicate suppression)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class DedupCache(Generic[K]):
    def __init__(self, limit: int, ttl: float) -> None:
        self.limit = limit
        self.ttl = ttl
        self._seen: OrderedDict[K, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, key: object) -> bool:
        return key in self._seen

    def check_and_add(self, key: K, now: float) -> bool:
        """True if ``key`` was already seen (and still remembered); remembers it either way."""
        self._expire(now)
        if key in self._seen:
            return True
        self._seen[key] = now
        if len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        return False

    def forget(self, key: K) -> None:
        self._seen.pop(key, None)

    def forget_where(self, predicate: Callable[[K], bool]) -> None:
        for key in [k for k in self._seen if predicate(k)]:
            del self._seen[key]

    def _expire(self, now: float) -> None:
        horizon = now - self.ttl
        while self._seen:
            key, stamp = next(iter(self._seen.items()))
            if stamp >= horizon:
                break
            del self._seen[key]
