"""The tests' way into a virtual LAN (see :mod:`.netns`, which builds it).

Without root (or iproute2) a test that needs the LAN is skipped, except under ``CI=true``,
where it fails loudly: CI runs as root and must run every such test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from .netns import REPO_ROOT, Host, Impairment, LabError, Lan, socket_in, unavailable_reason

__all__ = [
    "REPO_ROOT",
    "Host",
    "Impairment",
    "Lan",
    "lab_unavailable_reason",
    "lan_of",
    "socket_in",
]

lab_unavailable_reason = unavailable_reason


@contextmanager
def lan_of(*names: str, impairment: Impairment | None = None) -> Iterator[Lan]:
    """Build a LAN with the named hosts (10.77.0.1, .2 ...) for the duration of the block."""
    reason = unavailable_reason()
    lan = Lan(list(names), impairment)
    if reason is None:
        try:
            lan.create()
        except (LabError, OSError) as error:
            lan.destroy()
            reason = f"cannot create network namespaces: {error}"
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    try:
        yield lan
    finally:
        lan.destroy()
