"""What the engine bridge tells the app: Textual messages carrying what the UI needs."""

from __future__ import annotations

from textual.message import Message

from ..net.files import IncomingOffer
from ..net.transfers import Transfer
from ..protocol.peers import Addr, Peer
from ..store import StoredMessage


class PeerOnline(Message):
    """A peer joined (``previous`` is None), or changed its nick, group or away state."""

    def __init__(self, peer: Peer, previous: Peer | None = None) -> None:
        super().__init__()
        self.peer = peer
        self.previous = previous

    @property
    def joined(self) -> bool:
        return self.previous is None


class PeerOffline(Message):
    def __init__(self, peer: Peer, reason: str) -> None:
        super().__init__()
        self.peer = peer
        self.reason = reason  # "exit", "refresh", "silent" or "evicted"


class MessageArrived(Message):
    """A new incoming message, already in the history; ``unread`` if it was stored unread."""

    def __init__(self, row: StoredMessage, peer: Peer, unread: bool) -> None:
        super().__init__()
        self.row = row
        self.peer = peer
        self.unread = unread


class AutoReplySent(Message):
    """Our away text went out as the answer to a message (shown as one of ours)."""

    def __init__(self, row: StoredMessage) -> None:
        super().__init__()
        self.row = row


class MessagesUpdated(Message):
    """Stored messages whose state changed (delivered, not delivered, opened)."""

    def __init__(self, rows: list[StoredMessage]) -> None:
        super().__init__()
        self.rows = rows


class MessagesSent(Message):
    """Messages a command sent through the running app (the control socket), kept."""

    def __init__(self, rows: list[StoredMessage]) -> None:
        super().__init__()
        self.rows = rows


class InfoAnswered(Message):
    """A peer's answer to GETINFO / GETABSENCEINFO; ``text`` is None when it never came."""

    def __init__(self, addr: Addr, kind: str, text: str | None) -> None:
        super().__init__()
        self.addr = addr
        self.kind = kind
        self.text = text


class PeerKeyKnown(Message):
    """A peer's key became known (first seen, or changed): peer info shows it."""

    def __init__(self, addr: Addr, identity: str, fingerprint: str) -> None:
        super().__init__()
        self.addr = addr
        self.identity = identity
        self.fingerprint = fingerprint


class KeyAccepted(Message):
    """A peer's current key is pinned (here or by a command beside the app): its warning
    goes; ``rows``: its messages no longer marked "key changed"."""

    def __init__(self, identity: str, fingerprint: str, rows: list[StoredMessage]) -> None:
        super().__init__()
        self.identity = identity
        self.fingerprint = fingerprint
        self.rows = rows


class PeerNotice(Message):
    """Something from a peer that we cannot show as a message (encryption, IPDict)."""

    def __init__(self, addr: Addr, peer: Peer | None, text: str) -> None:
        super().__init__()
        self.addr = addr
        self.peer = peer
        self.text = text


class SecurityAlert(Message):
    """Encryption went wrong or changed. ``kind``: "rejected" (a message that could not be
    decrypted or verified), "key_changed", "key_refused" (contradicts its user name) or
    "no_key" (our message went in clear, or with ``sent`` False not at all). ``key``: the
    conversation it concerns; ``rows``: its line there, or our messages now marked."""

    def __init__(
        self,
        kind: str,
        addr: Addr,
        key: str | None,
        detail: str,
        rows: list[StoredMessage],
        sent: bool = True,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.addr = addr
        self.key = key
        self.detail = detail
        self.rows = rows
        self.sent = sent


# ---------------------------------------------------------------------- files


class OfferArrived(Message):
    """A peer offered us files (the message itself arrives as MessageArrived)."""

    def __init__(self, offer: IncomingOffer) -> None:
        super().__init__()
        self.offer = offer


class TransferAdded(Message):
    """A new transfer: a download we started, or a peer began downloading from us."""

    def __init__(self, transfer: Transfer) -> None:
        super().__init__()
        self.transfer = transfer


class TransfersChanged(Message):
    """Some transfers moved on; the app asks the file bridge which (one message per burst)."""


class TransferFinished(Message):
    """An attempt ended: done, failed or cancelled."""

    def __init__(self, transfer: Transfer) -> None:
        super().__init__()
        self.transfer = transfer


class OfferClosed(Message):
    """An offer of ours ended for ``addrs``: "fetched", "released", "expired", "withdrawn"."""

    def __init__(self, packet_no: int, addrs: list[Addr], outcome: str) -> None:
        super().__init__()
        self.packet_no = packet_no
        self.addrs = addrs
        self.outcome = outcome
