"""File and folder transfer for a running :class:`~ipmsg_tui.net.node.Node`.

The :class:`FileService` is the one object the app and the commands use:

* ``await service.start()`` listens on TCP beside the node's UDP port (bind it earlier with
  :func:`~ipmsg_tui.net.tcp.open_tcp_socket` to fail before a screen takes over);
* ``await service.send(recipients, text, paths)`` sends a message offering files and folders
  and serves them to those recipients only, until they release them, the offer expires or we
  stop;
* incoming offers arrive as :class:`OfferReceived` events; ``download()`` / ``download_all()``
  fetch them into the download folder as :class:`~ipmsg_tui.net.transfers.Transfer` objects
  (progress, cancel, retry: resumed from the ``.part`` when the peer is ipmsg-tui), and
  ``decline()`` sends RELEASEFILES;
* with a ``journal`` (:mod:`~ipmsg_tui.net.resumes`), downloads are remembered across
  restarts: ``start()`` lists earlier ones again (``resume_interrupted()`` retries those that
  were going when we quit), Accept of a file tried before continues its ``.part``, and
  ``.part`` files given up (declined, forgotten, too old) are removed;
* ``pending()`` says what a quit would cut short (running transfers, offers not fetched).

The service does not add itself to the node's listeners: whoever owns both puts
``service.on_node_event`` in the node's chain (the :class:`~ipmsg_tui.service.Messenger`
does, after the history). Listeners (``service.listeners``) get the events of
:mod:`~ipmsg_tui.net.fileevents`; every transfer, both ways, is in ``service.transfers``.

The service is a facade over four parts with one job each: our offers
(:mod:`~ipmsg_tui.net.offering`), the offers made to us
(:class:`~ipmsg_tui.protocol.offers.IncomingOffers`), download scheduling
(:mod:`~ipmsg_tui.net.downloads`) and the TCP upload server (:mod:`~ipmsg_tui.net.uploads`).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..protocol import events as ev
from ..protocol.attachments import Attachment
from ..protocol.offers import (
    DEFAULT_OFFER_TTL,
    MAX_FILE_ID,
    IncomingOffer,
    IncomingOffers,
    OfferRegistry,
)
from ..protocol.peers import Addr
from .downloads import Downloads
from .fileevents import (
    FileEvent,
    FileListener,
    OfferEnd,
    OfferEnded,
    OfferFetched,
    OfferReceived,
    RequestRefused,
    TransferEnded,
    TransferStarted,
    emit_to,
)
from .node import Node
from .offering import Offering, SentFiles
from .resumes import Journal
from .sharing import OfferError
from .tcp import open_tcp_socket
from .transfers import Direction, Transfer
from .uploads import UploadServer

__all__ = [
    "FileEvent",
    "FileListener",
    "FileService",
    "IncomingOffer",
    "OfferEnd",
    "OfferEnded",
    "OfferError",
    "OfferFetched",
    "OfferReceived",
    "Pending",
    "RequestRefused",
    "SentFiles",
    "TransferEnded",
    "TransferStarted",
]


@dataclass(frozen=True, slots=True)
class Pending:
    """Transfers running and offers of ours not fetched yet: a quit would end them."""

    downloads: int = 0
    uploads: int = 0
    offers: int = 0

    def __bool__(self) -> bool:
        return bool(self.downloads or self.uploads or self.offers)

    def describe(self) -> str:
        """``2 downloads, 1 upload and 1 offer not fetched yet``"""
        parts = [
            f"{count} {noun}{'' if count == 1 else 's'}{tail}"
            for count, noun, tail in (
                (self.downloads, "download", ""),
                (self.uploads, "upload", ""),
                (self.offers, "offer", " not fetched yet"),
            )
            if count
        ]
        return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


class FileService:
    def __init__(
        self,
        node: Node,
        *,
        download_dir: Path,
        offer_ttl: float = DEFAULT_OFFER_TTL,
        max_downloads: int = 4,
        max_uploads: int = 64,
        connect_timeout: float = 10.0,
        idle_timeout: float = 60.0,
        checksum: bool = False,
        clock: Callable[[], float] = time.time,
        journal: Journal | None = None,
    ) -> None:
        self.node = node
        self.download_dir = download_dir
        self.clock = clock
        self.listeners: list[FileListener] = []
        self.offers = OfferRegistry(offer_ttl, first_file_id=1 + secrets.randbelow(MAX_FILE_ID))
        self.incoming = IncomingOffers()
        self.transfers: list[Transfer] = []
        self._offering = Offering(node, self.offers, self._emit, clock)
        self._downloads = Downloads(
            node,
            self.transfers,
            self._emit,
            max_downloads=max_downloads,
            connect_timeout=connect_timeout,
            idle_timeout=idle_timeout,
            checksum=checksum,  # SHA-256 of every downloaded file: as costly as receiving it
            journal=journal,
            clock=clock,
        )
        self.journal = journal
        self._uploads = UploadServer(
            node,
            self.offers,
            self.transfers,
            self._emit,
            max_uploads=max_uploads,
            idle_timeout=idle_timeout,
            clock=clock,
        )
        self._started = False
        self._restored = False

    # ------------------------------------------------------------------ settings

    @property
    def checksum(self) -> bool:
        """SHA-256 of every downloaded file (``Transfer.sha256``)."""
        return self._downloads.checksum

    @checksum.setter
    def checksum(self, value: bool) -> None:
        self._downloads.checksum = value

    @property
    def max_uploads(self) -> int:
        return self._uploads.max_uploads

    @max_uploads.setter
    def max_uploads(self, value: int) -> None:
        self._uploads.max_uploads = value

    @property
    def connect_timeout(self) -> float:
        return self._downloads.connect_timeout

    @connect_timeout.setter
    def connect_timeout(self, value: float) -> None:
        self._downloads.connect_timeout = value

    @property
    def idle_timeout(self) -> float:
        return self._downloads.idle_timeout

    @idle_timeout.setter
    def idle_timeout(self, value: float) -> None:
        self._downloads.idle_timeout = value
        self._uploads.idle_timeout = value

    # ------------------------------------------------------------------ lifecycle

    @property
    def serving(self) -> bool:
        return self._uploads.serving

    async def start(self, *, serve: bool = True, sock: socket.socket | None = None) -> None:
        """Take offers from the node's events (:meth:`on_node_event`, which the owner of the
        node puts in its listener chain) and, with ``serve``, listen on TCP (on ``sock`` if
        given)."""
        self._started = True
        if not self._restored:  # earlier downloads, listed once (the listeners hear them)
            self._restored = True
            self._downloads.restore()
        if serve and not self._uploads.serving:
            await self._uploads.start(sock or open_tcp_socket(self.node.socket_plan))

    async def stop(self) -> None:
        """Stop serving and cancel every transfer; offers end (a quit ends sharing)."""
        self._started = False
        self._uploads.close()
        self._offering.stop()
        self._downloads.closing = True  # what stops now was interrupted: resumable next time
        tasks = self._downloads.running() + self._uploads.running()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.offers.clear()
        if self.journal is not None:
            self.journal.log.close()
            self.journal = self._downloads.journal = None

    # ------------------------------------------------------------------ sending

    async def send(
        self,
        recipients: Sequence[Addr],
        text: str,
        paths: Sequence[Path],
        *,
        sealed: bool = False,
    ) -> SentFiles:
        """Send ``text`` offering ``paths`` (files or folders); OfferError for a bad path."""
        return await self._offering.send(recipients, text, paths, sealed=sealed)

    def withdraw(self, packet_no: int) -> None:
        """Stop serving an offer of ours (transfers already running go on)."""
        self._offering.withdraw(packet_no)

    # ------------------------------------------------------------------ receiving

    def offer(self, addr: Addr, packet_no: int) -> IncomingOffer | None:
        return self.incoming.find(addr, packet_no)

    def download(
        self,
        offer: IncomingOffer,
        attachment: Attachment,
        dest_dir: Path | None = None,
        name: str | None = None,
    ) -> Transfer:
        """Start fetching one attachment (``name``: save as); SaveError if the folder is bad."""
        return self._downloads.start(offer, attachment, dest_dir or self.download_dir, name)

    def download_all(self, offer: IncomingOffer, dest_dir: Path | None = None) -> list[Transfer]:
        return [self.download(offer, attachment, dest_dir) for attachment in offer.attachments]

    def decline(self, offer: IncomingOffer) -> None:
        """RELEASEFILES: tell the sender we will not download these."""
        self.node.release_files(offer.addr, offer.packet_no)
        self.incoming.discard(offer)
        self._downloads.abandon(offer)  # a .part tried before is of no more use

    def resume_interrupted(self) -> list[Transfer]:
        """Retry the downloads that were going when we last quit (into their ``.part``)."""
        return self._downloads.resume_interrupted()

    def pending(self) -> Pending:
        """What quitting now would cut short."""
        running = [t for t in self.transfers if not t.state.finished]
        waiting = [
            offer
            for offer in self.offers
            if offer.expires > self.clock()
            and any(not offer.fetched_by(r) for r in offer.recipients)
        ]
        return Pending(
            downloads=sum(1 for t in running if t.direction == Direction.IN),
            uploads=sum(1 for t in running if t.direction == Direction.OUT),
            offers=len(waiting),
        )

    def forget(self, transfer: Transfer) -> None:
        """Drop a finished transfer from the list (a panel's "clear")."""
        if transfer.state.finished:
            with contextlib.suppress(ValueError):
                self.transfers.remove(transfer)
            self._downloads.forget(transfer)

    # ------------------------------------------------------------------ node events

    def on_node_event(self, event: ev.Event) -> None:
        """The file service's link in the node's listener chain: offers of files to us,
        and releases of ours (ignored while the service is not started)."""
        if not self._started:
            return
        match event:
            case ev.MessageReceived():
                offer = self.incoming.receive(event)
                if offer is not None:
                    self._emit(OfferReceived(offer))
            case ev.FilesReleased(addr=addr, packet_no=packet_no):
                self._offering.release(addr, packet_no)

    def _emit(self, event: FileEvent) -> None:
        emit_to(self.listeners, event)
