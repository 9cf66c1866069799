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
  ``decline()`` sends RELEASEFILES.

Listeners (``service.listeners``) get the events below; every transfer, both ways, is in
``service.transfers``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..protocol import events as ev
from ..protocol import text as wire_text
from ..protocol.attachments import Attachment
from ..protocol.constants import Command
from ..protocol.dirstream import DirStreamDecoder
from ..protocol.engine import OutgoingMessage
from ..protocol.filerequest import (
    MAX_REQUEST_BYTES,
    FileRequest,
    file_request_extension,
    parse_file_request,
    request_complete,
)
from ..protocol.offers import (
    DEFAULT_OFFER_TTL,
    MAX_FILE_ID,
    OfferRegistry,
    OutgoingOffer,
    Recipient,
    Refused,
    SharedFile,
)
from ..protocol.packet import ParseError
from ..protocol.peers import Addr, Peer
from ..protocol.safenames import clean_component
from . import saving
from .download import Connection, TransferError, fetch_file, fetch_folder
from .node import Node
from .sharing import OfferError, ShortRead, describe, send_file, send_folder
from .tcp import TcpUnreachable, open_tcp_socket
from .transfers import Controls, Direction, State, Transfer

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 10.0  # for the request line after a peer connects
REQUEST_PAUSE = 0.5  # a request without its NUL is complete after this much silence
MAX_INCOMING_OFFERS = 1024

__all__ = [
    "FileEvent",
    "FileService",
    "IncomingOffer",
    "OfferEnded",
    "OfferError",
    "OfferFetched",
    "OfferReceived",
    "RequestRefused",
    "SentFiles",
    "TransferEnded",
    "TransferStarted",
]


# ---------------------------------------------------------------------- data


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
    def resumable(self) -> bool:
        """Only ipmsg-tui serves from an offset; every other client restarts at 0."""
        return "ipmsg-tui" in self.peer.version.lower()

    @staticmethod
    def display_name(attachment: Attachment) -> str:
        """The name as it is safe to show (and, cleaned further, to save)."""
        return wire_text.clean_name(attachment.name, 255)


@dataclass(frozen=True, slots=True)
class SentFiles:
    """What :meth:`FileService.send` sent: the message parts and the offer they carry."""

    messages: list[OutgoingMessage]
    offer: OutgoingOffer
    attachments: tuple[Attachment, ...]

    @property
    def packet_no(self) -> int:
        return self.offer.packet_no


# ---------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class OfferReceived:
    offer: IncomingOffer


@dataclass(frozen=True, slots=True)
class TransferStarted:
    """A new transfer (a download we started, or a peer began to download from us)."""

    transfer: Transfer


@dataclass(frozen=True, slots=True)
class TransferEnded:
    """An attempt ended: ``transfer.state`` is done, failed (see ``error``) or cancelled."""

    transfer: Transfer


@dataclass(frozen=True, slots=True)
class OfferFetched:
    """``recipient`` has downloaded every file of our ``offer``."""

    offer: OutgoingOffer
    recipient: Recipient


@dataclass(frozen=True, slots=True)
class OfferEnded:
    """We stopped serving an offer (to ``addr``, or to everyone when None)."""

    offer: OutgoingOffer
    reason: str  # "released" (RELEASEFILES), "expired", "withdrawn"
    addr: Addr | None = None


@dataclass(frozen=True, slots=True)
class RequestRefused:
    ip: str
    reason: str


FileEvent = (
    OfferReceived | TransferStarted | TransferEnded | OfferFetched | OfferEnded | RequestRefused
)
FileListener = Callable[[FileEvent], object]


@dataclass(slots=True)
class _Download:
    offer: IncomingOffer
    attachment: Attachment
    folder: Path
    name: str
    part: Path | None = None


# ---------------------------------------------------------------------- service


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
    ) -> None:
        self.node = node
        # SHA-256 of every downloaded file (``Transfer.sha256``): as costly as receiving it.
        self.checksum = checksum
        self.download_dir = download_dir
        self.max_uploads = max_uploads
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.clock = clock
        self.listeners: list[FileListener] = []
        self.offers = OfferRegistry(offer_ttl, first_file_id=1 + secrets.randbelow(MAX_FILE_ID))
        self.incoming: OrderedDict[tuple[Addr, int], IncomingOffer] = OrderedDict()
        self.transfers: list[Transfer] = []
        self._server: asyncio.Server | None = None
        self._slots = asyncio.Semaphore(max_downloads)
        self._jobs: dict[int, _Download] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._reserved_parts: set[Path] = set()
        self._expiry: asyncio.TimerHandle | None = None
        self._started = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def serving(self) -> bool:
        return self._server is not None

    async def start(self, *, serve: bool = True, sock: socket.socket | None = None) -> None:
        """Follow the node's events and, with ``serve``, listen on TCP (on ``sock`` if given)."""
        if not self._started:
            self.node.listeners.append(self._on_node_event)
            self._started = True
        if serve and self._server is None:
            sock = sock or open_tcp_socket(self.node.socket_plan)
            self._server = await asyncio.start_server(self._serve, sock=sock)
            log.info("serving files on TCP %s:%d", *sock.getsockname()[:2])

    async def stop(self) -> None:
        """Stop serving and cancel every transfer; offers end (a quit ends sharing)."""
        if self._started:
            with contextlib.suppress(ValueError):
                self.node.listeners.remove(self._on_node_event)
            self._started = False
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.offers.clear()

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
        """Stop serving an offer of ours (transfers already running go on)."""
        offer = self.offers.withdraw(packet_no)
        if offer is not None:
            self._emit(OfferEnded(offer, "withdrawn"))

    def _recipient(self, addr: Addr) -> Recipient:
        peer = self.node.engine.peers.get(addr)
        if peer is None:
            return Recipient(addr)
        return Recipient(addr, peer.user, peer.host)

    # ------------------------------------------------------------------ receiving

    def offer(self, addr: Addr, packet_no: int) -> IncomingOffer | None:
        return self.incoming.get((addr, packet_no))

    def download(
        self,
        offer: IncomingOffer,
        attachment: Attachment,
        dest_dir: Path | None = None,
        name: str | None = None,
    ) -> Transfer:
        """Start fetching one attachment (``name``: save as); SaveError if the folder is bad."""
        folder = saving.prepare_folder(dest_dir or self.download_dir)
        final_name = clean_component(name or attachment.name)
        total = attachment.size if attachment.size or not attachment.is_dir else None
        transfer = Transfer(
            Direction.IN,
            offer.addr,
            offer.peer.name,
            attachment,
            offer.packet_no,
            path=folder / final_name,
            total=total,
            controls=Controls(self._cancel, self._retry),
        )
        self._jobs[transfer.id] = _Download(offer, attachment, folder, final_name)
        self.transfers.append(transfer)
        self._emit(TransferStarted(transfer))
        self._launch(transfer, resume=False)
        return transfer

    def download_all(self, offer: IncomingOffer, dest_dir: Path | None = None) -> list[Transfer]:
        return [self.download(offer, attachment, dest_dir) for attachment in offer.attachments]

    def decline(self, offer: IncomingOffer) -> None:
        """RELEASEFILES: tell the sender we will not download these."""
        self.node.release_files(offer.addr, offer.packet_no)
        self.incoming.pop((offer.addr, offer.packet_no), None)

    def forget(self, transfer: Transfer) -> None:
        """Drop a finished transfer from the list (a panel's "clear")."""
        if transfer.state.finished:
            with contextlib.suppress(ValueError):
                self.transfers.remove(transfer)
            self._jobs.pop(transfer.id, None)

    # ------------------------------------------------------------------ node events

    def _on_node_event(self, event: ev.Event) -> None:
        match event:
            case ev.MessageReceived(attachments=attachments) if attachments and not event.broadcast:
                offer = IncomingOffer(event.peer, event.packet_no, attachments, event.timestamp)
                self.incoming[(offer.addr, offer.packet_no)] = offer
                while len(self.incoming) > MAX_INCOMING_OFFERS:
                    self.incoming.popitem(last=False)
                self._emit(OfferReceived(offer))
            case ev.FilesReleased(addr=addr, packet_no=packet_no):
                released = self.offers.release(packet_no, addr)
                if released is not None:
                    log.info("%s:%d released the files of message %d", *addr, packet_no)
                    self._emit(OfferEnded(released, "released", addr))

    def _emit(self, event: FileEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                log.exception("file listener failed on %s", type(event).__name__)

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
            self._emit(OfferEnded(offer, "expired"))
        self._schedule_expiry()

    # ------------------------------------------------------------------ downloads

    def _launch(self, transfer: Transfer, *, resume: bool) -> None:
        transfer.queue()
        task = asyncio.get_running_loop().create_task(self._run_download(transfer, resume))
        self._tasks[transfer.id] = task
        task.add_done_callback(lambda done: self._forget_task(transfer.id, done))

    def _forget_task(self, transfer_id: int, task: asyncio.Task[None]) -> None:
        # A retry may already have put its own task here.
        if self._tasks.get(transfer_id) is task:
            del self._tasks[transfer_id]

    def _cancel(self, transfer: Transfer) -> None:
        task = self._tasks.get(transfer.id)
        if task is not None:
            task.cancel()

    def _retry(self, transfer: Transfer) -> None:
        if transfer.direction != Direction.IN or transfer.id not in self._jobs:
            raise RuntimeError("only downloads can be retried")
        # The previous attempt has ended (can_retry checked that); its task may still be
        # winding down, which is harmless.
        self._launch(transfer, resume=True)

    async def _run_download(self, transfer: Transfer, resume: bool) -> None:
        job = self._jobs[transfer.id]
        try:
            async with self._slots:
                if job.attachment.is_dir:
                    await self._fetch_folder(transfer, job)
                else:
                    await self._fetch_file(transfer, job, resume)
        except asyncio.CancelledError:
            transfer.end(State.CANCELLED, "cancelled")
        except (TcpUnreachable, TransferError, saving.SaveError) as error:
            transfer.end(State.FAILED, str(error))
        except OSError as error:
            transfer.end(State.FAILED, f"cannot save: {error.strerror or error}")
        else:
            transfer.end(State.DONE)
        self._emit(TransferEnded(transfer))

    def _link(self, job: _Download, mode: int, offset: int = 0) -> Connection:
        extension = file_request_extension(
            mode, job.offer.packet_no, job.attachment.file_id, offset
        )
        request = self.node.engine.request_packet(job.offer.addr, mode, extension)
        bind = self.node.socket_plan.host
        return Connection(job.offer.addr, request, bind, self.connect_timeout, self.idle_timeout)

    async def _fetch_file(self, transfer: Transfer, job: _Download, resume: bool) -> None:
        if job.part is None:
            job.part, fd = saving.new_part_file(job.folder, job.name, self._reserved_parts)
            kept = 0
        else:
            fd, kept = saving.reopen_part_file(job.part, keep=resume and job.offer.resumable)
        part = job.part
        self._reserved_parts.add(part)
        try:
            size = job.attachment.size
            if kept > size:  # not the file we think it is: start over
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                kept = 0
            digest = None
            if self.checksum:
                digest = saving.hash_prefix(fd, kept) if kept else hashlib.sha256()
            transfer.begin(kept)
            if kept < size:
                link = self._link(job, Command.GETFILEDATA, kept)
                await fetch_file(link, fd, size - kept, transfer, digest)
            await asyncio.to_thread(os.fsync, fd)
        finally:
            os.close(fd)
            self._reserved_parts.discard(part)
        transfer.path = saving.finish_file(part, job.folder, job.name, job.attachment.mtime)
        transfer.sha256 = digest.hexdigest() if digest is not None else None
        job.part = None

    async def _fetch_folder(self, transfer: Transfer, job: _Download) -> None:
        if job.part is None:
            job.part = saving.new_part_folder(job.folder, job.name, self._reserved_parts)
        else:  # folders have no offset: every attempt starts over
            saving.clear_part_folder(job.part)
        part = job.part
        self._reserved_parts.add(part)
        try:
            transfer.begin(0)
            decoder = DirStreamDecoder(self.node.engine.config.legacy_codec)
            top_mtime = await fetch_folder(
                self._link(job, Command.GETDIRFILES), part, decoder, transfer
            )
        finally:
            self._reserved_parts.discard(part)
        mtime = top_mtime if top_mtime is not None else job.attachment.mtime
        transfer.path = saving.finish_folder(part, job.folder, job.name, mtime)
        job.part = None

    # ------------------------------------------------------------------ uploads

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        if not peername:  # gone already
            writer.close()
            return
        ip, port = str(peername[0]), int(peername[1])
        uploads = sum(
            1 for t in self.transfers if t.direction == Direction.OUT and not t.state.finished
        )
        try:
            if uploads >= self.max_uploads:
                log.warning("refusing a connection from %s: %d uploads running", ip, uploads)
                return
            try:
                request = parse_file_request(await _read_request(reader))
            except (ParseError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", None) or str(error) or type(error).__name__
                self._refuse(ip, f"bad request ({reason})")
                return
            await self._answer(request, (ip, port), writer)
        finally:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    def _refuse(self, ip: str, reason: str) -> None:
        log.warning("refused a file request from %s: %s", ip, reason)
        self._emit(RequestRefused(ip, reason))

    async def _answer(self, request: FileRequest, addr: Addr, writer: asyncio.StreamWriter) -> None:
        header = request.header
        codec = wire_text.detect_codec(header.user + header.host, self.node.config.legacy_codec)
        user = wire_text.clean_name(wire_text.decode(header.user, codec))
        host = wire_text.clean_name(wire_text.decode(header.host, codec))
        try:
            offer, shared, recipient = self.offers.authorize(
                request.offer_no,
                request.file_id_candidates(),
                addr[0],
                user,
                host,
                folder=request.is_folder,
                now=self.clock(),
            )
        except Refused as refusal:
            self._refuse(addr[0], str(refusal))
            return
        attachment = shared.attachment
        if not request.is_folder and request.offset > attachment.size:
            self._refuse(addr[0], f"offset {request.offset} beyond the end of {attachment.name}")
            return
        peer = self.node.engine.peers.get(recipient.addr)
        transfer = Transfer(
            Direction.OUT,
            recipient.addr,
            peer.name if peer is not None else f"{user}@{host}",
            attachment,
            offer.packet_no,
            path=Path(shared.path),
            total=attachment.size,  # for our folders: the total we announced
            controls=Controls(self._cancel),
        )
        self.transfers.append(transfer)
        task = asyncio.current_task()
        assert task is not None
        self._tasks[transfer.id] = task
        self._emit(TransferStarted(transfer))
        transfer.begin(request.offset if not request.is_folder else 0)
        log.info(
            "sending %s to %s@%s (%s) from offset %d",
            attachment.name, user, host, addr[0], transfer.offset,
        )  # fmt: skip
        try:
            if request.is_folder:
                if request.utf8:
                    names = wire_text.UTF8
                else:
                    names = self.node.engine.folder_names_codec(recipient.addr)
                await send_folder(
                    writer, Path(shared.path), attachment.name, names, transfer.advance
                )
            else:
                count = attachment.size - request.offset
                await send_file(writer, Path(shared.path), request.offset, count, transfer.advance)
            # Done only once the last byte has left our buffers, so a sender that quits on
            # "fetched" (``send --file``) never cuts the stream short.
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), self.idle_timeout)
        except asyncio.CancelledError:
            transfer.end(State.CANCELLED, "cancelled")
        except (OSError, ShortRead, ConnectionError, TimeoutError) as error:
            transfer.end(State.FAILED, str(error) or type(error).__name__)
        else:
            transfer.end(State.DONE)
            self.offers.mark_fetched(offer, recipient, attachment.file_id)
            if offer.fetched_by(recipient):
                self._emit(OfferFetched(offer, recipient))
        finally:
            self._tasks.pop(transfer.id, None)
        self._emit(TransferEnded(transfer))


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    """The request packet: up to its NUL, or what came before a pause, within the caps."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REQUEST_TIMEOUT
    buffer = b""
    while not request_complete(buffer) and len(buffer) < MAX_REQUEST_BYTES:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        wait = min(remaining, REQUEST_PAUSE) if buffer else remaining
        try:
            chunk = await asyncio.wait_for(reader.read(MAX_REQUEST_BYTES - len(buffer)), wait)
        except TimeoutError:
            break
        if not chunk:
            break
        buffer += chunk
    if not buffer:
        raise TimeoutError("no request")
    return buffer
