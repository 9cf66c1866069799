"""Our offers: a message that offers files and folders, and the life of that offer until its
recipients release it, it expires or we withdraw it. Who may fetch what is decided by the
registry (:class:`~ipmsg_tui.protocol.offers.OfferRegistry`); this module feeds it and keeps
the expiry timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..protocol.attachments import Attachment
from ..protocol.engine import OutgoingMessage
from ..protocol.offers import OfferRegistry, OutgoingOffer, Recipient, SharedFile
from ..protocol.peers import Addr
from .fileevents import Emit, OfferEnd, OfferEnded
from .node import Node
from .sharing import OfferError, describe

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SentFiles:
    """What :meth:`FileService.send` sent: the message parts and the offer they carry."""

    messages: list[OutgoingMessage]
    offer: OutgoingOffer
    attachments: tuple[Attachment, ...]

    @property
    def packet_no(self) -> int:
        return self.offer.packet_no


class Offering:
    def __init__(
        self, node: Node, offers: OfferRegistry, emit: Emit, clock: Callable[[], float]
    ) -> None:
        self.node = node
        self.offers = offers
        self.clock = clock
        self._emit = emit
        self._expiry: asyncio.TimerHandle | None = None

    async def send(
        self, recipients: Sequence[Addr], text: str, paths: Sequence[Path], *, sealed: bool
    ) -> SentFiles:
        if not paths:
            raise OfferError("no files to send")
        ids = self.offers.new_file_ids(len(paths))
        described = await asyncio.to_thread(
            lambda: [describe(path, file_id) for path, file_id in zip(paths, ids, strict=True)]
        )
        attachments = tuple(attachment for attachment, _ in described)
        messages = self.node.send_message(recipients, text, sealed=sealed, attachments=attachments)
        # Registered before this coroutine yields, so before any request can arrive.
        offer = self.offers.add(
            messages[0].packet_no,
            [self._recipient(addr) for addr in recipients],
            [SharedFile(attachment, str(path)) for attachment, path in described],
            self.clock(),
        )
        self._schedule_expiry()
        return SentFiles(messages, offer, attachments)

    def withdraw(self, packet_no: int) -> None:
        offer = self.offers.withdraw(packet_no)
        if offer is not None:
            self._emit(OfferEnded(offer, OfferEnd.WITHDRAWN))

    def release(self, addr: Addr, packet_no: int) -> None:
        """RELEASEFILES from ``addr``: the offer ends for it."""
        released = self.offers.release(packet_no, addr)
        if released is not None:
            log.info("%s:%d released the files of message %d", *addr, packet_no)
            self._emit(OfferEnded(released, OfferEnd.RELEASED, addr))

    def stop(self) -> None:
        """No more expiry checks (the service then clears the offers: a quit ends sharing)."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    def _recipient(self, addr: Addr) -> Recipient:
        peer = self.node.engine.peers.get(addr)
        if peer is None:
            return Recipient(addr)
        return Recipient(addr, peer.user, peer.host)

    def _schedule_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        when = self.offers.next_expiry()
        if when is None:
            return
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(max(0.0, when - self.clock()) + 0.01, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        for offer in self.offers.expire(self.clock()):
            log.info("offer %d expired", offer.packet_no)
            self._emit(OfferEnded(offer, OfferEnd.EXPIRED))
        self._schedule_expiry()
