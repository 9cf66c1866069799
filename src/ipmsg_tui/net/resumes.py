"""The file service's memory across restarts: what it writes to the
:class:`~ipmsg_tui.transferlog.TransferLog` as downloads move, what it reads back on start,
and the clean-up of ``.part`` files nobody will continue.

A ``.part`` is abandoned when its offer is declined, its transfer is forgotten in the panel,
or it was not touched for ``max_age`` (7 days by default). Only a path this log recorded as
created by us, still directly inside the folder it was created in, still named ``*.part``
and not a link, is ever removed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ..protocol.attachments import Attachment
from ..protocol.offers import IncomingOffer
from ..transferlog import SavedDownload, TransferLog, TransferLogError
from . import saving
from .transfers import Transfer, TransferState

log = logging.getLogger(__name__)

# Progress is written at most this often (a state change always is).
PROGRESS_INTERVAL = 3.0
DEFAULT_PART_MAX_AGE = 7 * 86400.0
# The state a download is logged in while the service stops: it ended because we quit.
INTERRUPTED = "interrupted"


class Journal:
    def __init__(
        self,
        transfer_log: TransferLog,
        clock: Callable[[], float],
        *,
        max_age: float = DEFAULT_PART_MAX_AGE,
        interval: float = PROGRESS_INTERVAL,
    ) -> None:
        self.log = transfer_log
        self.clock = clock
        self.max_age = max_age
        self.interval = interval
        self.broken = False  # told the log once that the table cannot be written

    def _failed(self, error: TransferLogError) -> None:
        # Downloads go on without the log: they just will not be remembered.
        if not self.broken:
            log.warning("downloads will not be remembered across restarts: %s", error)
        self.broken = True

    def added(self, offer: IncomingOffer, attachment: Attachment, folder: Path, name: str) -> int:
        peer = offer.peer
        try:
            return self.log.add(
                packet_no=offer.packet_no,
                addr=offer.addr,
                user=peer.user,
                host=peer.host,
                peer_name=peer.name,
                version=peer.version,
                attachment=attachment,
                folder=folder,
                name=name,
                state=TransferState.QUEUED.value,
                now=self.clock(),
            )
        except TransferLogError as error:
            self._failed(error)
            return 0

    def write(
        self, row_id: int, transfer: Transfer, part: Path | None, *, interrupted: bool
    ) -> None:
        state = transfer.state.value
        if interrupted and transfer.state == TransferState.CANCELLED:
            state = INTERRUPTED
        done = transfer.state == TransferState.DONE
        try:
            self.log.update(
                row_id,
                addr=transfer.addr,
                part=part,
                path=transfer.path if done else None,
                done=transfer.done,
                state=state,
                failure=transfer.failure.value if transfer.failure is not None else None,
                error=transfer.error,
                now=self.clock(),
            )
        except TransferLogError as error:
            self._failed(error)

    def removed(self, row_id: int) -> None:
        try:
            self.log.remove(row_id)
        except TransferLogError as error:
            self._failed(error)

    def saved(self) -> list[SavedDownload]:
        """The downloads to list again; those untouched for ``max_age`` (and any beyond the
        log's limit) are dropped first, with their ``.part``."""
        try:
            rows = self.log.downloads()
            old = self.log.beyond_limit()
        except TransferLogError as error:
            self._failed(error)
            return []
        for saved in old:
            self.drop(saved)
        cutoff = self.clock() - self.max_age
        keep = []
        for saved in rows:
            if saved.updated < cutoff:
                self.drop(saved)
            else:
                keep.append(saved)
        return keep

    def drop(self, saved: SavedDownload) -> None:
        if saved.part is not None and saved.state != TransferState.DONE.value:
            saving.remove_part(saved.part, saved.folder)
        self.removed(saved.id)
