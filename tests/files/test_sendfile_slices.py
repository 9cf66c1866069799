"""A file goes out in slices that grow while they are quick and shrink when they are slow."""

from __future__ import annotations

from ipmsg_tui.net.sharing import (
    MAX_SENDFILE_SLICE,
    SENDFILE_SLICE,
    SLICE_SECONDS,
    SliceSizer,
)


def test_quick_slices_grow_to_the_cap() -> None:
    slices = SliceSizer()
    assert slices.size == SENDFILE_SLICE
    for _ in range(20):
        slices.took(SLICE_SECONDS / 10)
    assert slices.size == MAX_SENDFILE_SLICE


def test_slow_slices_shrink_back_but_never_below_the_first() -> None:
    slices = SliceSizer()
    for _ in range(5):
        slices.took(0.001)
    assert slices.size == 32 * SENDFILE_SLICE
    slices.took(10 * SLICE_SECONDS)
    assert slices.size == 16 * SENDFILE_SLICE
    for _ in range(20):
        slices.took(10 * SLICE_SECONDS)
    assert slices.size == SENDFILE_SLICE


def test_a_slice_on_time_keeps_its_size() -> None:
    slices = SliceSizer()
    slices.took(0.001)
    slices.took(SLICE_SECONDS)
    assert slices.size == 2 * SENDFILE_SLICE
