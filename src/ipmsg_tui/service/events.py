"""What the messenger tells its front ends: domain events, already in the history.

Each event from the network passes the history first; a subscriber gets the stored rows with
it, never a bare packet. ``source`` keeps the protocol event for front ends that print it as
it came (``listen``); the app reads only the domain fields. File events are the file
service's own (:mod:`ipmsg_tui.net.files`) and pass through as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from ..protocol import events as ev
from ..protocol.peers import Addr, Peer
from ..store import StoredMessage

if TYPE_CHECKING:  # the file service's news: their module loads with the file service
    from ..net.fileevents import FileEvent


@dataclass(frozen=True, slots=True)
class MessageArrived:
    """A new incoming message, kept; ``unread`` if it was stored unread."""

    row: StoredMessage
    peer: Peer
    unread: bool
    source: ev.MessageReceived


@dataclass(frozen=True, slots=True)
class MessagesChanged:
    """Messages of ours were delivered, not delivered, or opened (``rows``: those stored)."""

    rows: list[StoredMessage]
    source: ev.MessageDelivered | ev.MessageFailed | ev.MessageOpened


@dataclass(frozen=True, slots=True)
class MessagesSent:
    """Messages sent and kept for someone other than the subscribed front end (a command
    through the control socket): shown as if typed there."""

    rows: list[StoredMessage]


@dataclass(frozen=True, slots=True)
class PeerOnline:
    """A peer joined (``previous`` is None), or changed its nick, group or away state."""

    peer: Peer
    previous: Peer | None
    source: ev.PeerJoined | ev.PeerChanged

    @property
    def joined(self) -> bool:
        return self.previous is None


@dataclass(frozen=True, slots=True)
class AutoReplied:
    """We were away and answered a message with our away text; ``row``: as kept."""

    row: StoredMessage
    source: ev.AutoReplySent


@dataclass(frozen=True, slots=True)
class PeerOffline:
    peer: Peer
    reason: str  # "exit", "refresh" or "evicted"
    source: ev.PeerLeft


@dataclass(frozen=True, slots=True)
class InfoAnswered:
    """A peer's answer to GETINFO / GETABSENCEINFO; ``text`` is None when it never came."""

    addr: Addr
    kind: str
    text: str | None


@dataclass(frozen=True, slots=True)
class PeerNotice:
    """Something from a peer that cannot be shown as a message (encryption, IPDict)."""

    addr: Addr
    peer: Peer | None
    text: str
    source: ev.UnsupportedPacket


@dataclass(frozen=True, slots=True)
class FilesReleased:
    """A peer declined files we offered (RELEASEFILES)."""

    addr: Addr
    packet_no: int
    source: ev.FilesReleased


@dataclass(frozen=True, slots=True)
class SecurityNotice:
    """Encryption went wrong or changed: a message that could not be decrypted or verified,
    a peer's key changed or contradicts its name, no key came so a message went in clear
    (or not at all). Never swallowed: every front end shows it. ``rows``: the line kept in
    the conversation (rejected, changed, refused), or our messages now marked "no key"."""

    source: ev.MessageRejected | ev.KeyChanged | ev.KeyMissing | ev.KeyRejected
    rows: tuple[StoredMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class PeerKeyKnown:
    """A peer's key became known this run (first seen, or other than its pin): what peer
    info shows of it changed."""

    addr: Addr
    identity: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class KeyAccepted:
    """The user trusts ``identity``'s current key (the app, or `keys accept` beside it): it is
    pinned, and ``rows``, its messages marked "key changed", are no longer marked."""

    identity: str
    fingerprint: str
    rows: tuple[StoredMessage, ...] = ()


NetworkNews = (
    MessageArrived
    | AutoReplied
    | MessagesChanged
    | MessagesSent
    | PeerOnline
    | PeerOffline
    | InfoAnswered
    | PeerNotice
    | FilesReleased
    | SecurityNotice
    | PeerKeyKnown
    | KeyAccepted
)
News: TypeAlias = "NetworkNews | FileEvent"
Subscriber: TypeAlias = "Callable[[News], object]"


def news_of(event: ev.Event, rows: list[StoredMessage], unread: bool) -> NetworkNews | None:
    """The domain event for a protocol event the history has taken, or None (internal)."""
    match event:
        case ev.MessageReceived(peer=peer):
            return MessageArrived(rows[0], peer, unread, event)
        case ev.AutoReplySent():
            return AutoReplied(rows[0], event)
        case ev.MessageDelivered() | ev.MessageFailed() | ev.MessageOpened():
            return MessagesChanged(rows, event)
        case ev.PeerJoined(peer=peer):
            return PeerOnline(peer, None, event)
        case ev.PeerChanged(peer=peer, previous=previous):
            return PeerOnline(peer, previous, event)
        case ev.PeerLeft(peer=peer, reason=reason):
            return PeerOffline(peer, reason, event)
        case ev.InfoReceived(addr=addr, kind=kind, text=text):
            return InfoAnswered(addr, kind, text)
        case ev.InfoFailed(addr=addr, kind=kind):
            return InfoAnswered(addr, kind, None)
        case ev.UnsupportedPacket(addr=addr, peer=peer, reason=reason):
            return PeerNotice(addr, peer, reason, event)
        case ev.FilesReleased(addr=addr, packet_no=packet_no):
            return FilesReleased(addr, packet_no, event)
        case ev.MessageRejected() | ev.KeyChanged() | ev.KeyMissing() | ev.KeyRejected():
            return SecurityNotice(event, tuple(rows))
    return None
