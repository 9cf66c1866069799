"""Download scheduling: which downloads run (a few at a time), where their bytes go while
they arrive (a ``.part`` file or folder beside the final name), and retries that resume from
what the ``.part`` already holds when the sender can serve from an offset.

The bytes themselves are moved by :mod:`~ipmsg_tui.net.download`; this module decides when
and into what.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..protocol.attachments import Attachment
from ..protocol.constants import Command
from ..protocol.direction import Direction
from ..protocol.dirstream import DirStreamDecoder
from ..protocol.filerequest import file_request_extension
from ..protocol.offers import IncomingOffer
from ..protocol.safenames import clean_component
from . import saving
from .download import Connection, SenderRefused, TransferError, fetch_file, fetch_folder
from .fileevents import Emit, TransferEnded, TransferStarted
from .node import Node
from .tcp import TcpUnreachable
from .transfers import Controls, Failure, Transfer, TransferState

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Download:
    offer: IncomingOffer
    attachment: Attachment
    folder: Path
    name: str
    part: Path | None = None  # kept between attempts, so a retry can resume from it


class Downloads:
    def __init__(
        self,
        node: Node,
        transfers: list[Transfer],
        emit: Emit,
        *,
        max_downloads: int,
        connect_timeout: float,
        idle_timeout: float,
        checksum: bool,
    ) -> None:
        self.node = node
        self.transfers = transfers  # the service's list of every transfer, both ways
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.checksum = checksum
        self._emit = emit
        self._slots = asyncio.Semaphore(max_downloads)
        self._jobs: dict[int, _Download] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._reserved_parts: set[Path] = set()

    def start(
        self, offer: IncomingOffer, attachment: Attachment, dest_dir: Path, name: str | None
    ) -> Transfer:
        """Queue one attachment for ``dest_dir`` (``name``: save as); SaveError if the folder
        is bad."""
        folder = saving.prepare_folder(dest_dir)
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

    def forget(self, transfer: Transfer) -> None:
        """A finished transfer left the list: its ``.part`` is no longer retried."""
        self._jobs.pop(transfer.id, None)

    def running(self) -> list[asyncio.Task[None]]:
        return list(self._tasks.values())

    def _launch(self, transfer: Transfer, *, resume: bool) -> None:
        transfer.queue()
        task = asyncio.get_running_loop().create_task(self._run(transfer, resume))
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

    async def _run(self, transfer: Transfer, resume: bool) -> None:
        job = self._jobs[transfer.id]
        try:
            async with self._slots:
                if job.attachment.is_dir:
                    await self._fetch_folder(transfer, job)
                else:
                    await self._fetch_file(transfer, job, resume)
        except asyncio.CancelledError:
            transfer.end(TransferState.CANCELLED, "cancelled")
        except TcpUnreachable as error:
            transfer.end(TransferState.FAILED, str(error), Failure.UNREACHABLE)
        except SenderRefused as error:
            transfer.end(TransferState.FAILED, str(error), Failure.REFUSED)
        except TransferError as error:
            transfer.end(TransferState.FAILED, str(error), Failure.BROKEN)
        except saving.SaveError as error:
            transfer.end(TransferState.FAILED, str(error), Failure.SAVE)
        except OSError as error:
            transfer.end(
                TransferState.FAILED, f"cannot save: {error.strerror or error}", Failure.SAVE
            )
        else:
            transfer.end(TransferState.DONE)
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
