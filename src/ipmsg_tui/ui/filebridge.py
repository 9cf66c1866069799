"""The file service's listener in the app: file events become Textual messages.

It runs on Textual's loop, inside the service. Progress is coalesced: each transfer notifies
at most every 0.1 s, and however many transfers move, the app gets one
:class:`~ipmsg_tui.ui.messages.TransfersChanged` until it has taken the changed ones, so a
busy queue never fills with progress reports.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from ..net.files import (
    FileEvent,
    OfferEnded,
    OfferFetched,
    OfferReceived,
    TransferEnded,
    TransferStarted,
)
from ..net.transfers import Transfer
from . import messages as ui


class FileBridge:
    def __init__(self, post: Callable[[Message], object]) -> None:
        self._post = post
        self._changed: dict[int, Transfer] = {}

    def __call__(self, event: FileEvent) -> None:
        match event:
            case OfferReceived(offer=offer):
                self._post(ui.OfferArrived(offer))
            case TransferStarted(transfer=transfer):
                transfer.subscribe(self._moved)
                self._post(ui.TransferAdded(transfer))
            case TransferEnded(transfer=transfer):
                self._post(ui.TransferFinished(transfer))
            case OfferFetched(offer=offer, recipient=recipient):
                self._post(ui.OfferClosed(offer.packet_no, [recipient.addr], "fetched"))
            case OfferEnded(offer=offer, reason=reason, addr=addr):
                addrs = [addr] if addr is not None else [r.addr for r in offer.recipients]
                self._post(ui.OfferClosed(offer.packet_no, addrs, reason))

    def _moved(self, transfer: Transfer) -> None:
        if not self._changed:
            self._post(ui.TransfersChanged())
        self._changed[transfer.id] = transfer

    def take_changed(self) -> list[Transfer]:
        """The transfers that moved since the last call."""
        changed = list(self._changed.values())
        self._changed.clear()
        return changed
