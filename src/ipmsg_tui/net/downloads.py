"""Download scheduling: which downloads run (a few at a time), where their bytes go while
they arrive (a ``.part`` file or folder beside the final name), and retries that resume from
what the ``.part`` already holds when the sender can serve from an offset.

The bytes themselves are moved by :mod:`~ipmsg_tui.net.download`; this module decides when
and into what. With a :class:`~ipmsg_tui.transferlog.TransferLog` it also remembers each
download across restarts (see :mod:`~ipmsg_tui.net.resumes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..i18n import N_
from ..protocol.attachments import Attachment
from ..protocol.constants import Command
from ..protocol.direction import Direction
from ..protocol.dirstream import DirStreamDecoder
from ..protocol.filerequest import file_request_extension
from ..protocol.offers import IncomingOffer
from ..protocol.peers import Peer
from ..protocol.safenames import clean_component
from ..reasons import Reason, known, read_back, why
from ..transferlog import SavedDownload
from . import saving
from .download import Connection, SenderRefused, TransferError, fetch_file, fetch_folder
from .fileevents import Emit, TransferEnded, TransferStarted
from .node import Node
from .resumes import Journal
from .tcp import TcpUnreachable
from .transfers import Controls, Failure, Transfer, TransferState

log = logging.getLogger(__name__)
# Why a download stopped, beside the reasons its errors carry (see ipmsg_tui.reasons).
CANCELLED = N_("cancelled")
CANNOT_SAVE = known(N_("cannot save: {error}"))
INTERRUPTED = known(N_("interrupted: ipmsg-tui quit"))


@dataclass(slots=True)
class _Download:
    offer: IncomingOffer
    attachment: Attachment
    folder: Path
    name: str
    part: Path | None = None  # kept between attempts, so a retry can resume from it
    row_id: int | None = None  # its row in the transfer log, if there is one
    written_state: TransferState | None = None  # what the log last heard
    written_at: float = 0.0
    interrupted: bool = False  # remembered from a run that quit while it was going


def _failure(value: str | None) -> Failure | None:
    try:
        return Failure(value) if value is not None else None
    except ValueError:
        return None


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
        journal: Journal | None = None,
        clock: Callable[[], float] = time.time,
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
        self.journal = journal
        self.clock = clock
        self.closing = False  # stopping: a cancelled download was interrupted, not abandoned

    def start(
        self, offer: IncomingOffer, attachment: Attachment, dest_dir: Path, name: str | None
    ) -> Transfer:
        """Queue one attachment for ``dest_dir`` (``name``: save as); SaveError if the folder
        is bad."""
        folder = saving.prepare_folder(dest_dir)
        final_name = clean_component(name or attachment.name)
        earlier = self._unfinished(offer, attachment, folder, final_name)
        if earlier is not None:  # accepted again (after a restart): continue in its .part
            self.continue_with(earlier, offer)
            return earlier
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
        self.adopt(transfer, _Download(offer, attachment, folder, final_name))
        self._launch(transfer, resume=False)
        return transfer

    def adopt(self, transfer: Transfer, job: _Download) -> None:
        """List a transfer (new, or remembered from an earlier run) and log its changes."""
        self._jobs[transfer.id] = job
        if self.journal is not None:
            if job.row_id is None:
                job.row_id = self.journal.added(job.offer, job.attachment, job.folder, job.name)
            transfer.subscribe(self._write)
        self.transfers.append(transfer)
        self._emit(TransferStarted(transfer))

    def restore(self) -> list[Transfer]:
        """List again the downloads the log remembers (those that were going when we last
        quit are failed now, and can be retried into their ``.part``)."""
        if self.journal is None:
            return []
        return [self._restored(saved) for saved in self.journal.saved()]

    def _restored(self, saved: SavedDownload) -> Transfer:
        peer = Peer(
            (saved.ip, saved.port), saved.user, saved.host, saved.peer_name, version=saved.version
        )
        attachment = saved.attachment
        offer = IncomingOffer(peer, saved.packet_no, (attachment,), saved.created)
        total = attachment.size if attachment.size or not attachment.is_dir else None
        job = _Download(offer, attachment, saved.folder, saved.name, saved.part, saved.id)
        transfer = Transfer(
            Direction.IN,
            offer.addr,
            peer.name,
            attachment,
            offer.packet_no,
            path=saved.path or saved.folder / saved.name,
            total=total,
            controls=Controls(self._cancel, self._retry),
        )
        transfer.done = saved.done
        if saved.part is not None and not attachment.is_dir:
            with contextlib.suppress(OSError):  # the bytes on disk are what a resume keeps
                transfer.done = saved.part.lstat().st_size
        english = read_back(saved.error) if saved.error else None  # shown in the language again
        transfer.fail_because(english, _failure(saved.failure))
        if saved.state in (TransferState.DONE.value, TransferState.CANCELLED.value):
            transfer.state = TransferState(saved.state)
        elif saved.state == TransferState.FAILED.value:
            transfer.state = TransferState.FAILED
        else:  # queued, running or interrupted: we quit (or were killed) meanwhile
            transfer.state = TransferState.FAILED
            transfer.fail_because(Reason(INTERRUPTED), Failure.BROKEN)
            job.interrupted = True
        job.written_state = transfer.state
        self.adopt(transfer, job)
        return transfer

    def resume_interrupted(self) -> list[Transfer]:
        """Retry the downloads that were going when we last quit."""
        resumed = []
        for transfer in self.transfers:
            job = self._jobs.get(transfer.id)
            if job is not None and job.interrupted and transfer.can_retry:
                job.interrupted = False
                self._retry(transfer)
                resumed.append(transfer)
        return resumed

    def _unfinished(
        self, offer: IncomingOffer, attachment: Attachment, folder: Path, name: str
    ) -> Transfer | None:
        """The same file of the same offer, already tried into the same place and ended
        without being saved: the one to continue."""
        for transfer, job in self._unfinished_of(offer):
            same_file = job.attachment.file_id == attachment.file_id
            if same_file and (job.folder, job.name) == (folder, name):
                return transfer
        return None

    def _unfinished_of(self, offer: IncomingOffer) -> Iterator[tuple[Transfer, _Download]]:
        """The downloads from ``offer`` that ended without being saved, with their jobs."""
        for transfer in self.transfers:
            job = self._jobs.get(transfer.id)
            if (
                job is not None
                and transfer.can_retry
                and job.offer.packet_no == offer.packet_no
                and job.offer.peer.key == offer.peer.key
            ):
                yield transfer, job

    def continue_with(self, transfer: Transfer, offer: IncomingOffer | None = None) -> None:
        """Retry ``transfer`` (from the offer as heard now, if given: the sender may have
        a new address or version since)."""
        job = self._jobs[transfer.id]
        if offer is not None:
            job.offer = offer
            transfer.addr = offer.addr
        self._launch(transfer, resume=True)

    def forget(self, transfer: Transfer) -> None:
        """A finished transfer left the list: its ``.part`` is no longer retried, so it goes."""
        job = self._jobs.pop(transfer.id, None)
        if job is None:
            return
        if job.part is not None and transfer.state != TransferState.DONE:
            saving.remove_part(job.part, job.folder)
        if self.journal is not None and job.row_id is not None:
            self.journal.removed(job.row_id)

    def abandon(self, offer: IncomingOffer) -> None:
        """The offer was declined: the ``.part`` files of its unfinished downloads go (a
        retry, if asked for anyway, starts from nothing)."""
        for _transfer, job in self._unfinished_of(offer):
            if job.part is not None:
                saving.remove_part(job.part, job.folder)
                job.part = None
            if self.journal is not None and job.row_id is not None:
                self.journal.removed(job.row_id)
                job.row_id = None

    def jobs(self) -> dict[int, _Download]:
        return self._jobs

    def _write(self, transfer: Transfer) -> None:
        """Tell the log: every change of state, and progress at most every few seconds."""
        job = self._jobs.get(transfer.id)
        if self.journal is None or job is None or job.row_id is None:
            return
        now = self.clock()
        if job.written_state == transfer.state and now - job.written_at < self.journal.interval:
            return
        job.written_state, job.written_at = transfer.state, now
        self.journal.write(job.row_id, transfer, job.part, interrupted=self.closing)

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
        # winding down, which is harmless. A sender heard since (a restart) may have moved.
        job = self._jobs[transfer.id]
        self.continue_with(transfer, self._offer_now(job.offer))

    def _offer_now(self, offer: IncomingOffer) -> IncomingOffer | None:
        """The offer with its sender as online now, if that changed (address, version)."""
        current = self.node.engine.peers.get(offer.addr)
        if current is not None and current.key == offer.peer.key:
            return None
        moved = next((p for p in self.node.engine.peers if p.key == offer.peer.key), None)
        if moved is None:
            return None
        return IncomingOffer(moved, offer.packet_no, offer.attachments, offer.timestamp)

    async def _run(self, transfer: Transfer, resume: bool) -> None:
        job = self._jobs[transfer.id]
        try:
            async with self._slots:
                if job.attachment.is_dir:
                    await self._fetch_folder(transfer, job)
                else:
                    await self._fetch_file(transfer, job, resume)
        except asyncio.CancelledError:
            transfer.end(TransferState.CANCELLED, Reason(CANCELLED))
        except TcpUnreachable as error:
            transfer.end(TransferState.FAILED, why(error), Failure.UNREACHABLE)
        except SenderRefused as error:
            transfer.end(TransferState.FAILED, why(error), Failure.REFUSED)
        except TransferError as error:
            transfer.end(TransferState.FAILED, why(error), Failure.BROKEN)
        except saving.SaveError as error:
            transfer.end(TransferState.FAILED, why(error), Failure.SAVE)
        except OSError as error:
            cannot = Reason(CANNOT_SAVE, {"error": error.strerror or str(error)})
            transfer.end(TransferState.FAILED, cannot, Failure.SAVE)
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
