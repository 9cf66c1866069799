"""What the file service's events change on screen: the board, the messages whose files
moved, the transfers panel, the status line, and a toast for what the user waits for.

The counterpart of :mod:`.fileactions` (what the user does with files); the app's message
handlers hand each file event here.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..i18n import _
from ..net.files import IncomingOffer
from ..net.transfers import Direction, Transfer, TransferState
from ..protocol.peers import Addr
from ..store import StoredMessage
from .chatlog import ChatLog
from .model.fileboard import FileBoard, OfferKey, OfferView, key_of
from .model.paths import tilde
from .model.roster import Roster
from .model.transfertext import error_text, state_text
from .toasts import Toasts


class NewsHost(Toasts, Protocol):
    """What file news change on screen (the app provides it)."""

    @property
    def roster(self) -> Roster: ...
    @property
    def board(self) -> FileBoard: ...
    @property
    def torn_down(self) -> bool: ...
    @property
    def chat_log(self) -> ChatLog: ...
    @property
    def screen(self) -> Any: ...
    def refresh_status(self) -> None: ...


class FileNews:
    def __init__(self, app: NewsHost) -> None:
        self.app = app

    def offer_view(self, row: StoredMessage) -> OfferView | None:
        """What the chat adds under a message's files."""
        contact = self.app.roster.get(row.conversation)
        return self.app.board.view(row, contact.name if contact is not None else row.sender)

    def redraw(self, *keys: OfferKey) -> None:
        if not self.app.torn_down:
            wanted = set(keys)
            self.app.chat_log.redraw(lambda row: key_of(row) in wanted)

    def offer_arrived(self, offer: IncomingOffer) -> None:
        self.redraw(("in", offer.addr, offer.packet_no))

    def transfers_moved(self, transfers: list[Transfer]) -> None:
        keys = [self.app.board.track(transfer) for transfer in transfers]
        if self.app.torn_down:  # transfers cancelled as the app closes
            return
        self.redraw(*keys)
        screen = self.app.screen
        from .screens.transfers import TransfersScreen  # not before the first frame

        if isinstance(screen, TransfersScreen):
            screen.changed(transfers)
        self.app.refresh_status()

    def transfer_finished(self, transfer: Transfer) -> None:
        """A toast for what the user waits for: downloads saved or failed, an upload cut."""
        if transfer.direction == Direction.OUT:
            if transfer.state == TransferState.FAILED:
                self.app.notify(
                    _("Sending {name} to {peer} stopped: {error}").format(
                        name=transfer.name, peer=transfer.peer_name, error=error_text(transfer)
                    ),
                    severity="warning",
                    markup=False,
                )
        elif transfer.state == TransferState.DONE:
            self._downloads_done(transfer)
        elif transfer.state == TransferState.FAILED:
            record = self.app.board.get(self.app.board.key_for(transfer))
            text, _style = state_text(transfer, refused_means_gone=bool(record and record.earlier))
            self.app.notify(
                text.removeprefix("✗ "),
                title=_("{name} not downloaded").format(name=transfer.name),
                severity="error",
                timeout=10,
                markup=False,
            )

    def _downloads_done(self, transfer: Transfer) -> None:
        """One toast per offer, once its last download has ended: where the files are."""
        record = self.app.board.get(self.app.board.key_for(transfer))
        group = list(record.transfers.values()) if record is not None else [transfer]
        if any(not t.state.finished for t in group):
            return
        saved = [t for t in group if t.state == TransferState.DONE and t.path is not None]
        if len(saved) == 1:
            title = _("Downloaded {name}").format(name=transfer.name)
            text = _("Saved to {path}").format(path=tilde(transfer.path or ""))
        else:
            folders = {t.path.parent for t in saved if t.path is not None}
            if len(folders) == 1:
                text = _("Saved in {folder}").format(folder=tilde(folders.pop()))
            else:
                text = _("Saved (see ctrl+t)")
            title = _("Downloaded {count} files").format(count=len(saved))
        self.app.notify(text + "\n" + _("ctrl+t: transfers"), title=title, markup=False)

    def offer_closed(self, packet_no: int, addrs: list[Addr], outcome: str) -> None:
        """An offer of ours ended: fetched, declined (a toast), expired or withdrawn."""
        for addr in addrs:
            self.redraw(self.app.board.offer_ended(packet_no, addr, outcome))
            if outcome == "released":
                contact = self.app.roster.by_addr(addr)
                name = contact.name if contact is not None else f"{addr[0]}:{addr[1]}"
                self.app.notify(
                    _("{name} declined your files").format(name=name),
                    severity="warning",
                    markup=False,
                )
