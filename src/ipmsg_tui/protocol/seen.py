"""Names for what the engine remembers having handled: keys of its duplicate caches and the
tag that marks an acknowledgement in its outbox. Typed, so that "forget everything from this
address" is a field comparison rather than a slice of a tuple; named tuples, because one is
made and hashed for nearly every datagram (a frozen dataclass costs several times more)."""

from __future__ import annotations

from typing import NamedTuple

from .peers import Addr


class MessageKey(NamedTuple):
    """A peer's message: its address and packet number (also the tag of our RECVMSG)."""

    addr: Addr
    packet_no: int


class SeenMessage(NamedTuple):
    """A message shown once. ``content`` (a hash of its parts) tells a retransmission, which
    repeats it, from a restarted sender reusing the number for a new message."""

    message: MessageKey
    content: int

    @property
    def addr(self) -> Addr:
        return self.message.addr


class SeenReadNotice(NamedTuple):
    """A READMSG for our message ``packet_no`` (reported as opened once)."""

    addr: Addr
    packet_no: int


class EntryCopy(NamedTuple):
    """One BR_ENTRY heard (it arrives once per interface and broadcast address)."""

    addr: Addr
    packet_no: int


SeenKey = SeenMessage | SeenReadNotice
