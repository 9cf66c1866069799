"""The TCP file server: peers connect, send a request packet, and get the file or folder they
asked for, if our offer registry (:mod:`~ipmsg_tui.protocol.offers`) lets them have it.

Each upload is a :class:`~ipmsg_tui.net.transfers.Transfer` (direction out) that the user may
cancel; the bytes go out through :mod:`~ipmsg_tui.net.sharing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from pathlib import Path

from ..i18n import N_
from ..protocol import text as wire_text
from ..protocol.direction import Direction
from ..protocol.filerequest import (
    MAX_REQUEST_BYTES,
    FileRequest,
    parse_file_request,
    request_complete,
)
from ..protocol.offers import OfferRegistry, Refused
from ..protocol.packet import ParseError
from ..protocol.peers import Addr
from ..reasons import Reason, why
from .fileevents import Emit, OfferFetched, RequestRefused, TransferEnded, TransferStarted
from .node import Node
from .sharing import ShortRead, send_file, send_folder
from .transfers import Controls, Failure, Transfer, TransferState

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 10.0  # for the request line after a peer connects
REQUEST_PAUSE = 0.5  # a request without its NUL is complete after this much silence


class UploadServer:
    def __init__(
        self,
        node: Node,
        offers: OfferRegistry,
        transfers: list[Transfer],
        emit: Emit,
        *,
        max_uploads: int,
        idle_timeout: float,
        clock: Callable[[], float],
    ) -> None:
        self.node = node
        self.offers = offers
        self.transfers = transfers  # the service's list of every transfer, both ways
        self.max_uploads = max_uploads
        self.idle_timeout = idle_timeout
        self.clock = clock
        self._emit = emit
        self._server: asyncio.Server | None = None
        self._tasks: dict[int, asyncio.Task[None]] = {}  # per running upload, to cancel it

    @property
    def serving(self) -> bool:
        return self._server is not None

    async def start(self, sock: socket.socket) -> None:
        self._server = await asyncio.start_server(self._serve, sock=sock)
        log.info("serving files on TCP %s:%d", *sock.getsockname()[:2])

    def close(self) -> None:
        """Stop listening (uploads already running go on until :meth:`cancel_all`)."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def running(self) -> list[asyncio.Task[None]]:
        return list(self._tasks.values())

    def _cancel(self, transfer: Transfer) -> None:
        task = self._tasks.get(transfer.id)
        if task is not None:
            task.cancel()

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
            transfer.end(TransferState.CANCELLED, Reason(N_("cancelled")))
        except (OSError, ShortRead, ConnectionError, TimeoutError) as error:
            transfer.end(TransferState.FAILED, why(error), Failure.BROKEN)
        else:
            transfer.end(TransferState.DONE)
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
