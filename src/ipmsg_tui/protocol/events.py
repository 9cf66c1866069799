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
    encrypted: bool = False  # we cannot decrypt it; ``text`` says so
    acknowledged: bool = False  # a RECVMSG goes out for it
    attachments: tuple[Attachment, ...] = field(default=())

    @property
    def addr(self) -> Addr:
        return self.peer.addr


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
