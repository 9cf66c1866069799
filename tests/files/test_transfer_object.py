"""What a transfers panel reads from a Transfer: progress, speed, ETA, notifications."""

from __future__ import annotations

import asyncio

import pytest

from ipmsg_tui.net.transfers import Controls, Direction, State, Transfer
from ipmsg_tui.protocol.attachments import Attachment


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_progress_speed_eta_and_throttled_notifications() -> None:
    clock = Clock()
    cancelled: list[Transfer] = []
    transfer = Transfer(
        Direction.IN,
        ("10.0.0.2", 2425),
        "bob",
        Attachment(1, "x.bin", 10_000, 0),
        42,
        total=10_000,
        controls=Controls(cancelled.append),
        clock=clock,
    )
    seen: list[tuple[State, int]] = []
    transfer.subscribe(lambda t: seen.append((t.state, t.done)))
    assert transfer.state == State.QUEUED and transfer.fraction == 0
    transfer.begin()
    for _ in range(4):
        clock.now += 1.0
        transfer.advance(1000)
    assert transfer.speed == pytest.approx(1000)
    assert transfer.eta == pytest.approx(6)
    assert transfer.fraction == pytest.approx(0.4)
    transfer.advance(500)  # within the throttle interval: reported a moment later
    assert seen[-1] == (State.RUNNING, 4000)
    await asyncio.sleep(0.15)
    assert seen[-1] == (State.RUNNING, 4500)
    transfer.cancel()
    assert cancelled == [transfer]
    transfer.end(State.CANCELLED, "cancelled")
    assert not transfer.can_retry  # no retry control given
    assert await transfer.wait() == State.CANCELLED
    assert transfer.speed == 0 and transfer.eta is None
    with pytest.raises(RuntimeError):
        transfer.retry()
