"""The messenger's subscriber in the app: its news become Textual messages.

It runs on Textual's loop inside the node's step, after the history has the event and before
the step's datagrams leave, so everything goes through ``post_message``: a UI problem can
never cost a peer its receipt. File progress is coalesced: each transfer notifies at most
every 0.1 s, and however many transfers move, the app gets one
:class:`~ipmsg_tui.ui.messages.TransfersChanged` until it has taken the changed ones, so a
busy queue never fills with progress reports.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from ..net.files import OfferEnded, OfferFetched, OfferReceived, TransferEnded, TransferStarted
from ..net.transfers import Transfer
from ..protocol import events as ev
from ..service import events as news
from . import messages as ui


class ServiceBridge:
    def __init__(self, post: Callable[[Message], object]) -> None:
        self._post = post
        self._changed: dict[int, Transfer] = {}

    def __call__(self, event: news.News) -> None:
        match event:
            case news.MessageArrived(row=row, peer=peer, unread=unread):
                self._post(ui.MessageArrived(row, peer, unread))
            case news.AutoReplied(row=row):
                self._post(ui.AutoReplySent(row))
            case news.PeerOnline(peer=peer, previous=previous):
                self._post(ui.PeerOnline(peer, previous))
            case news.PeerOffline(peer=peer, reason=reason):
                self._post(ui.PeerOffline(peer, reason))
            case news.MessagesChanged(rows=rows) if rows:
                self._post(ui.MessagesUpdated(rows))
            case news.MessagesSent(rows=rows) if rows:
                self._post(ui.MessagesSent(rows))
            case news.InfoAnswered(addr=addr, kind=kind, text=text):
                self._post(ui.InfoAnswered(addr, kind, text))
            case news.PeerNotice(addr=addr, peer=peer, text=text):
                self._post(ui.PeerNotice(addr, peer, text))
            case news.SecurityNotice():
                self._post(security_alert(event))
            case news.PeerKeyKnown(addr=addr, identity=identity, fingerprint=fingerprint):
                self._post(ui.PeerKeyKnown(addr, identity, fingerprint))
            case news.KeyAccepted(identity=identity, fingerprint=fingerprint, rows=rows):
                self._post(ui.KeyAccepted(identity, fingerprint, list(rows)))
            case OfferReceived(offer=offer):
                self._post(ui.OfferArrived(offer))
            case TransferStarted(transfer=transfer):
                self.follow(transfer)
                self._post(ui.TransferAdded(transfer))
            case TransferEnded(transfer=transfer):
                self._post(ui.TransferFinished(transfer))
            case OfferFetched(offer=offer, recipient=recipient):
                self._post(ui.OfferClosed(offer.packet_no, [recipient.addr], "fetched"))
            case OfferEnded(offer=offer, reason=reason, addr=addr):
                addrs = [addr] if addr is not None else [r.addr for r in offer.recipients]
                self._post(ui.OfferClosed(offer.packet_no, addrs, reason))

    def follow(self, transfer: Transfer) -> None:
        """Report the moves of a transfer that started before the app subscribed."""
        transfer.subscribe(self._moved)

    def _moved(self, transfer: Transfer) -> None:
        if not self._changed:
            self._post(ui.TransfersChanged())
        self._changed[transfer.id] = transfer

    def take_changed(self) -> list[Transfer]:
        """The transfers that moved since the last call."""
        changed = list(self._changed.values())
        self._changed.clear()
        return changed


def security_alert(notice: news.SecurityNotice) -> ui.SecurityAlert:
    """What the app needs of a security notice (never a sealed text: there is none in it)."""
    rows = list(notice.rows)
    match notice.source:
        case ev.MessageRejected(addr=addr, peer=peer, reason=reason):
            key = peer.key if peer is not None else (rows[0].conversation if rows else None)
            return ui.SecurityAlert("rejected", addr, key, reason, rows)
        case ev.KeyChanged(addr=addr, identity=identity):
            return ui.SecurityAlert("key_changed", addr, identity, "", rows)
        case ev.KeyRejected(addr=addr, identity=identity, reason=reason):
            return ui.SecurityAlert("key_refused", addr, identity, reason, rows)
        case ev.KeyMissing(addr=addr, sent_in_clear=sent):
            # A message to several is in another's conversation: the peer is found by address.
            key = rows[0].conversation if rows and not rows[0].recipients else None
            return ui.SecurityAlert("no_key", addr, key, "", rows, sent)
