"""What the file service tells its listeners: offers arriving and ending, transfers starting
and ending, requests refused. Shared by the parts of the service (offering, downloads,
uploads) and read by the front ends."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..protocol.offers import IncomingOffer, OutgoingOffer, Recipient
from ..protocol.peers import Addr
from .transfers import Transfer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OfferReceived:
    offer: IncomingOffer


@dataclass(frozen=True, slots=True)
class TransferStarted:
    """A new transfer (a download we started, or a peer began to download from us)."""

    transfer: Transfer


@dataclass(frozen=True, slots=True)
class TransferEnded:
    """An attempt ended: ``transfer.state`` is done, failed (see ``error``) or cancelled."""

    transfer: Transfer


@dataclass(frozen=True, slots=True)
class OfferFetched:
    """``recipient`` has downloaded every file of our ``offer``."""

    offer: OutgoingOffer
    recipient: Recipient


class OfferEnd(StrEnum):
    """Why we stopped serving an offer (a str: front ends may show or compare it as one)."""

    RELEASED = "released"  # a recipient sent RELEASEFILES
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # the user cancelled it


@dataclass(frozen=True, slots=True)
class OfferEnded:
    """We stopped serving an offer (to ``addr``, or to everyone when None)."""

    offer: OutgoingOffer
    reason: OfferEnd
    addr: Addr | None = None


@dataclass(frozen=True, slots=True)
class RequestRefused:
    ip: str
    reason: str


FileEvent = (
    OfferReceived | TransferStarted | TransferEnded | OfferFetched | OfferEnded | RequestRefused
)
FileListener = Callable[[FileEvent], object]
Emit = Callable[[FileEvent], None]


def emit_to(listeners: list[FileListener], event: FileEvent) -> None:
    """Tell every listener; one that fails is logged and does not stop the others."""
    for listener in list(listeners):
        try:
            listener(event)
        except Exception:
            log.exception("file listener failed on %s", type(event).__name__)
