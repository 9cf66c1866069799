"""What a transfers panel reads from a Transfer: progress, speed, ETA, notifications."""

from __future__ import annotations

import asyncio

import pytest

from ipmsg_tui.net.download import REFUSED
from ipmsg_tui.net.transfers import Controls, Direction, Failure, Transfer, TransferState
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.ui.model.transfertext import NO_LONGER_OFFERED, state_text


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
    seen: list[tuple[TransferState, int]] = []
    transfer.subscribe(lambda t: seen.append((t.state, t.done)))
    assert transfer.state == TransferState.QUEUED and transfer.fraction == 0
    transfer.begin()
    for _ in range(4):
        clock.now += 1.0
        transfer.advance(1000)
    assert transfer.speed == pytest.approx(1000)
    assert transfer.eta == pytest.approx(6)
    assert transfer.fraction == pytest.approx(0.4)
    transfer.advance(500)  # within the throttle interval: reported a moment later
    assert seen[-1] == (TransferState.RUNNING, 4000)
    await asyncio.sleep(0.15)
    assert seen[-1] == (TransferState.RUNNING, 4500)
    transfer.cancel()
    assert cancelled == [transfer]
    transfer.end(TransferState.CANCELLED, "cancelled")
    assert not transfer.can_retry  # no retry control given
    assert await transfer.wait() == TransferState.CANCELLED
    assert transfer.speed == 0 and transfer.eta is None
    with pytest.raises(RuntimeError):
        transfer.retry()


def test_a_refusal_reads_as_no_longer_offered_only_for_offers_of_an_earlier_session() -> None:
    transfer = Transfer(Direction.IN, ("10.0.0.2", 2425), "bob", Attachment(1, "x", 5, 0), 42)
    transfer.begin()
    transfer.end(TransferState.FAILED, REFUSED, Failure.REFUSED)
    assert state_text(transfer) == (f"✗ {REFUSED}", "$text-error")
    assert state_text(transfer, refused_means_gone=True) == (
        f"✗ {NO_LONGER_OFFERED}",
        "$text-error",
    )
    # the kind decides, not the words
    transfer.end(TransferState.FAILED, REFUSED, Failure.BROKEN)
    assert state_text(transfer, refused_means_gone=True) == (f"✗ {REFUSED}", "$text-error")
    transfer.begin()
    assert transfer.failure is None and transfer.error is None
