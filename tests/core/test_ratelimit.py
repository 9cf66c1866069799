"""The token bucket behind the answer and stranger rate limits."""

from __future__ import annotations

import pytest

from ipmsg_tui.protocol.ratelimit import TokenBucket


def test_ready_at_names_when_several_tokens_are_back() -> None:
    bucket = TokenBucket(rate=500, burst=1000)
    now = 1_800_000_000.0
    while bucket.take(now):  # spend the burst
        pass
    assert bucket.ready_at() == pytest.approx(now + 1 / 500, abs=1e-4)
    assert bucket.ready_at(16) == pytest.approx(now + 16 / 500, abs=1e-4)
    assert bucket.ready_at(10**6) == pytest.approx(now + 1000 / 500, abs=1e-3)  # a burst at most
    later = bucket.ready_at(16)
    assert all(bucket.take(later) for _ in range(16)) and not bucket.take(later)
