"""Which way something went: a message or a file transfer, in (to us) or out (from us)."""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    # The values are what the history database stores in ``messages.direction``.
    IN = "in"  # a peer sent it to us / we download
    OUT = "out"  # we sent it / a peer downloads from us
