"""Names for what the engine remembers having handled: keys of its duplicate caches and the
tag that marks an acknowledgement in its outbox. Typed, so that "forget everything from this
address" is a field comparison rather than a slice of a tuple."""

from __future__ import annotations

from dataclasses import dataclass

from .peers import Addr


@dataclass(frozen=True, slots=True)
class MessageKey:
    """A peer's message: its address and packet number (also the tag of our RECVMSG)."""

    addr: Addr
    packet_no: int


@dataclass(frozen=True, slots=True)
class SeenMessage:
    """A message shown once. ``content`` (a hash of its parts) tells a retransmission, which
    repeats it, from a restarted sender reusing the number for a new message."""

    message: MessageKey
    content: int

    @property
    def addr(self) -> Addr:
        return self.message.addr


@dataclass(frozen=True, slots=True)
class SeenReadNotice:
    """A READMSG for our message ``packet_no`` (reported as opened once)."""

    addr: Addr
    packet_no: int


@dataclass(frozen=True, slots=True)
class EntryCopy:
    """One BR_ENTRY heard (it arrives once per interface and broadcast address)."""

    addr: Addr
    packet_no: int


SeenKey = SeenMessage | SeenReadNotice
