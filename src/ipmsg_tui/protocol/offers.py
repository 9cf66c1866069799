"""Offers both ways: what we offered (the file server's gatekeeper) and what peers offered us.

An outgoing offer is the attachment list of one SENDMSG (its packet number names it). A TCP
request is served only if it names a live offer and one of its files, comes from the IP of a
recipient of that offer and, when we knew the recipient's user and host names, carries the
same names in its header (several peers may share an IP; the TCP source port is ephemeral, so
it proves nothing). Offers end on RELEASEFILES from a recipient, on expiry, or when the app
quits. Pure: paths are strings and the clock is passed in.

Incoming offers (:class:`IncomingOffers`) are the attachment lists peers sent us, remembered
(boundedly) so that a download or a decline can name them by address and packet number.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from . import events as ev
from . import text as wire_text
from .attachments import Attachment
from .peers import Addr, Peer

DEFAULT_OFFER_TTL = 3600.0
# Windows takes random ids below 2**30; unguessable ids are one more lock on the door.
MAX_FILE_ID = 0x3FFFFFFF
MAX_INCOMING_OFFERS = 1024


class Refused(Exception):
    """A request we do not serve; the message says why (for the log, not for the peer)."""


@dataclass(frozen=True, slots=True)
class Recipient:
    addr: Addr
    user: str | None = None  # None: not known when offered; the IP alone must match
    host: str | None = None

    def matches(self, ip: str, user: str, host: str) -> bool:
        if ip != self.addr[0]:
            return False
        if self.user is not None and user != self.user:
            return False
        return self.host is None or host == self.host


@dataclass(frozen=True, slots=True)
class SharedFile:
    attachment: Attachment
    path: str  # the local file or folder, resolved when offered

    @property
    def file_id(self) -> int:
        return self.attachment.file_id


@dataclass(slots=True)
class OutgoingOffer:
    packet_no: int
    files: dict[int, SharedFile]
    recipients: list[Recipient]
    created: float
    expires: float
    fetched: dict[Recipient, set[int]] = field(default_factory=dict)

    @property
    def required(self) -> set[int]:
        """The files a recipient must fetch; empty files need no connection (Windows makes
        them from the list alone)."""
        return {
            file_id
            for file_id, shared in self.files.items()
            if shared.attachment.is_dir or shared.attachment.size > 0
        }

    def fetched_by(self, recipient: Recipient) -> bool:
        return self.fetched.get(recipient, set()) >= self.required

    @property
    def complete(self) -> bool:
        """Every (still interested) recipient has fetched every file at least once."""
        return bool(self.recipients) and all(self.fetched_by(r) for r in self.recipients)


class OfferRegistry:
    def __init__(
        self, ttl: float = DEFAULT_OFFER_TTL, *, first_file_id: int = 1, max_offers: int = 4096
    ) -> None:
        self.ttl = ttl
        self.max_offers = max_offers
        self._offers: OrderedDict[int, OutgoingOffer] = OrderedDict()
        self._next_id = first_file_id if 1 <= first_file_id <= MAX_FILE_ID else 1

    def __len__(self) -> int:
        return len(self._offers)

    def __iter__(self) -> Iterator[OutgoingOffer]:
        return iter(list(self._offers.values()))

    def get(self, packet_no: int) -> OutgoingOffer | None:
        return self._offers.get(packet_no)

    def new_file_ids(self, count: int) -> list[int]:
        """Fresh ids for the attachments of the next offer (decimal on the wire)."""
        ids: list[int] = []
        for _ in range(count):
            ids.append(self._next_id)
            self._next_id = self._next_id % MAX_FILE_ID + 1
        return ids

    def add(
        self,
        packet_no: int,
        recipients: Sequence[Recipient],
        files: Sequence[SharedFile],
        now: float,
        ttl: float | None = None,
    ) -> OutgoingOffer:
        offer = OutgoingOffer(
            packet_no=packet_no,
            files={f.file_id: f for f in files},
            recipients=list(dict.fromkeys(recipients)),
            created=now,
            expires=now + (self.ttl if ttl is None else ttl),
        )
        self._offers[packet_no] = offer
        while len(self._offers) > self.max_offers:  # the oldest offer goes first
            self._offers.popitem(last=False)
        return offer

    def authorize(
        self,
        packet_no: int,
        file_ids: Sequence[int],
        ip: str,
        user: str,
        host: str,
        *,
        folder: bool,
        now: float,
    ) -> tuple[OutgoingOffer, SharedFile, Recipient]:
        """The offer, file and recipient a request may have; Refused otherwise."""
        offer = self._offers.get(packet_no)
        if offer is None:
            raise Refused(f"no offer with packet number {packet_no}")
        if now >= offer.expires:
            self._offers.pop(packet_no, None)
            raise Refused(f"offer {packet_no} has expired")
        recipient = next((r for r in offer.recipients if r.matches(ip, user, host)), None)
        if recipient is None:
            raise Refused(f"offer {packet_no} was not made to {user}@{host} at {ip}")
        shared = next((offer.files[i] for i in file_ids if i in offer.files), None)
        if shared is None:
            raise Refused(f"offer {packet_no} has no file {file_ids[0]:#x}")
        if shared.attachment.is_dir != folder:
            kind = "a folder" if shared.attachment.is_dir else "a file"
            raise Refused(f"file {shared.file_id} is {kind}, asked with the wrong command")
        return offer, shared, recipient

    def mark_fetched(self, offer: OutgoingOffer, recipient: Recipient, file_id: int) -> None:
        offer.fetched.setdefault(recipient, set()).add(file_id)

    def release(self, packet_no: int, addr: Addr) -> OutgoingOffer | None:
        """RELEASEFILES from ``addr``: it will not download; the offer ends for it."""
        offer = self._offers.get(packet_no)
        if offer is None:
            return None
        before = len(offer.recipients)
        offer.recipients = [r for r in offer.recipients if r.addr != addr]
        if len(offer.recipients) == before:
            return None
        if not offer.recipients:
            del self._offers[packet_no]
        return offer

    def withdraw(self, packet_no: int) -> OutgoingOffer | None:
        """We stop sharing (the user cancelled the offer)."""
        return self._offers.pop(packet_no, None)

    def expire(self, now: float) -> list[OutgoingOffer]:
        gone = [o for o in self._offers.values() if now >= o.expires]
        for offer in gone:
            del self._offers[offer.packet_no]
        return gone

    def next_expiry(self) -> float | None:
        return min((o.expires for o in self._offers.values()), default=None)

    def clear(self) -> None:
        self._offers.clear()


# ---------------------------------------------------------------------- offers made to us


@dataclass(frozen=True, slots=True)
class IncomingOffer:
    """Attachments a peer offered us in message ``packet_no``."""

    peer: Peer
    packet_no: int
    attachments: tuple[Attachment, ...]
    timestamp: float

    @property
    def addr(self) -> Addr:
        return self.peer.addr

    @property
    def key(self) -> OfferKey:
        return OfferKey(self.peer.addr, self.packet_no)

    @property
    def resumable(self) -> bool:
        """Only ipmsg-tui serves from an offset; every other client restarts at 0."""
        return "ipmsg-tui" in self.peer.version.lower()

    @staticmethod
    def display_name(attachment: Attachment) -> str:
        """The name as it is safe to show (and, cleaned further, to save)."""
        return wire_text.clean_name(attachment.name, 255)


@dataclass(frozen=True, slots=True)
class OfferKey:
    """What names an offer made to us: the sender's address and its message's number."""

    addr: Addr
    packet_no: int


class IncomingOffers(Mapping[OfferKey, IncomingOffer]):
    """The offers peers made us, newest last; the oldest are forgotten beyond ``limit``."""

    def __init__(self, limit: int = MAX_INCOMING_OFFERS) -> None:
        self.limit = limit
        self._offers: OrderedDict[OfferKey, IncomingOffer] = OrderedDict()

    def __getitem__(self, key: OfferKey) -> IncomingOffer:
        return self._offers[key]

    def __iter__(self) -> Iterator[OfferKey]:
        return iter(self._offers)

    def __len__(self) -> int:
        return len(self._offers)

    def receive(self, message: ev.MessageReceived) -> IncomingOffer | None:
        """The offer ``message`` carries, now remembered; None if it offers nothing to us
        (no attachments, or a broadcast, which nobody may download from)."""
        if not message.attachments or message.broadcast:
            return None
        offer = IncomingOffer(
            message.peer, message.packet_no, message.attachments, message.timestamp
        )
        self._offers[offer.key] = offer
        while len(self._offers) > self.limit:
            self._offers.popitem(last=False)
        return offer

    def find(self, addr: Addr, packet_no: int) -> IncomingOffer | None:
        return self._offers.get(OfferKey(addr, packet_no))

    def discard(self, offer: IncomingOffer) -> None:
        """We declined it (or will not download it): forget it."""
        self._offers.pop(offer.key, None)
