"""What the engine reports. Every text in an event is already neutralised for display."""

from __future__ import annotations

from dataclasses import dataclass, field

from .attachments import Attachment
from .peers import Addr, Peer


@dataclass(frozen=True, slots=True)
class Event:
    pass


@dataclass(frozen=True, slots=True)
class PeerJoined(Event):
    peer: Peer


@dataclass(frozen=True, slots=True)
class PeerChanged(Event):
    peer: Peer
    previous: Peer


@dataclass(frozen=True, slots=True)
class PeerLeft(Event):
    peer: Peer
    reason: str  # "exit", "refresh" (no answer to a refresh), "silent" (no answer to a
    # probe after a long silence: see liveness.py) or "evicted"


@dataclass(frozen=True, slots=True)
class MessageReceived(Event):
    peer: Peer
    packet_no: int
    text: str
    timestamp: float
    sealed: bool = False
    read_check: bool = False  # READMSG must carry READCHECKOPT and wait for ANSREADMSG
    locked: bool = False  # PASSWORDOPT: the sender asked for a password prompt
    multicast: bool = False
    broadcast: bool = False
    auto_reply: bool = False  # AUTORETOPT: an absence answer
    # It came encrypted. Read when ``decrypted``; else ``text`` says we could not (off).
    encrypted: bool = False
    acknowledged: bool = False  # a RECVMSG goes out for it
    attachments: tuple[Attachment, ...] = field(default=())
    decrypted: bool = False
    signed: bool = False  # its signature was checked with the sender's key
    key_changed: bool = False  # the sender's key is not the pinned one: unverified
    # Sent to several: the others it went to, (user, host) each, as the sender named them
    # (Windows' TO: list inside the encrypted body); empty when the wire did not say.
    others: tuple[tuple[str, str], ...] = field(default=())

    @property
    def addr(self) -> Addr:
        return self.peer.addr


@dataclass(frozen=True, slots=True)
class AutoReplySent(Event):
    """We are away and answered ``peer``'s message with our away text (AUTORETOPT; nobody
    acknowledges it)."""

    peer: Peer
    packet_no: int
    text: str
    sender: str  # our nick
    timestamp: float


@dataclass(frozen=True, slots=True)
class MessageDelivered(Event):
    addr: Addr
    packet_no: int


@dataclass(frozen=True, slots=True)
class MessageFailed(Event):
    addr: Addr
    packet_no: int


@dataclass(frozen=True, slots=True)
class MessageOpened(Event):
    """The peer opened our sealed message (READMSG)."""

    addr: Addr
    packet_no: int


@dataclass(frozen=True, slots=True)
class ReadNoticeDelivered(Event):
    """The peer confirmed our READMSG (ANSREADMSG), or it needed no confirmation."""

    addr: Addr
    packet_no: int


@dataclass(frozen=True, slots=True)
class InfoReceived(Event):
    addr: Addr
    kind: str  # "version" (SENDINFO) or "absence" (SENDABSENCEINFO)
    text: str


@dataclass(frozen=True, slots=True)
class InfoFailed(Event):
    addr: Addr
    kind: str


@dataclass(frozen=True, slots=True)
class FilesReleased(Event):
    """The peer will not download the attachments of our message ``packet_no``."""

    addr: Addr
    packet_no: int


@dataclass(frozen=True, slots=True)
class UnsupportedPacket(Event):
    """Something a user should hear about but that we cannot read (encryption, IPDict)."""

    addr: Addr
    peer: Peer | None
    reason: str


@dataclass(frozen=True, slots=True)
class PacketDropped(Event):
    """A datagram that was bad or unwanted; for counting and logging, not for users."""

    addr: Addr
    reason: str


@dataclass(frozen=True, slots=True)
class MessageRejected(Event):
    """An encrypted message we could not decrypt, or whose signature did not verify. It is
    not shown as from the peer and gets no RECVMSG, so its sender sees it failed."""

    addr: Addr
    peer: Peer | None
    packet_no: int
    reason: str


@dataclass(frozen=True, slots=True)
class KeyLearned(Event):
    """The first key seen for ``identity`` (``user@host``): the layer above pins it."""

    addr: Addr
    identity: str
    fingerprint: str
    public_der: bytes


@dataclass(frozen=True, slots=True)
class KeyChanged(Event):
    """``identity`` answered with a key other than its pinned one. Its messages are marked
    ``key_changed`` until :meth:`Engine.accept_key`."""

    addr: Addr
    peer: Peer | None
    identity: str
    old_fingerprint: str
    new_fingerprint: str
    public_der: bytes


@dataclass(frozen=True, slots=True)
class KeyMissing(Event):
    """The peer advertises encryption but never answered our key request: message
    ``packet_no`` went out in clear (policy "auto") or not at all ("required").
    ``queue_full``: not the peer's fault; too many messages already waited for keys, so
    this one could not wait for its key at all."""

    addr: Addr
    packet_no: int
    sent_in_clear: bool
    queue_full: bool = False


@dataclass(frozen=True, slots=True)
class KeyRejected(Event):
    """A key answer that contradicts the fingerprint in the sender's user name (§10)."""

    addr: Addr
    identity: str
    reason: str
