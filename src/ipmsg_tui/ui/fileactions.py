"""What the user does with files: attach them to a message, decide about offers (accept, save
as, decline), and steer transfers (cancel, retry, forget). Everything goes through the
:class:`~ipmsg_tui.net.files.FileService`; the board remembers the outcome for the chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from textual.content import Content

from ..i18n import N_, _
from ..net.files import IncomingOffer, OfferError
from ..net.notsent import not_sent, not_sent_note
from ..net.saving import SaveError
from ..net.transfers import Transfer
from ..protocol.engine import EngineError
from ..protocol.peers import Peer
from ..service import Messenger
from ..store import StoredMessage
from .chatrender import body_lines
from .composer import Composer
from .filenews import FileNews, NewsHost
from .model.draft import Draft, Drafts
from .model.fileboard import key_of
from .model.paths import tilde
from .model.roster import Contact
from .model.timefmt import clock_time, file_size
from .screens.prompt import TextPrompt
from .toasts import Dialogs

log = logging.getLogger(__name__)

NO_FILES_TO_EVERYONE = N_(
    "IP Messenger cannot send files to everyone: a broadcast carries no files. Choose a peer first."
)


class FilesHost(NewsHost, Dialogs, Protocol):
    """What the file commands use of the app."""

    @property
    def messenger(self) -> Messenger: ...
    @property
    def drafts(self) -> Drafts: ...
    @property
    def draft(self) -> Draft | None: ...
    @property
    def open_contact(self) -> Contact | None: ...
    @property
    def composer(self) -> Composer: ...
    @property
    def file_news(self) -> FileNews: ...
    def show_attachments(self) -> None: ...
    def restore_draft(self, key: str, text: str) -> None: ...
    def show_sent(self, contact: Contact, rows: list[StoredMessage]) -> None: ...
    def run_worker(self, work: Coroutine[Any, Any, None], *, group: str = ...) -> Any: ...
    def copy_to_clipboard(self, text: str) -> None: ...


class FileCommands:
    def __init__(self, app: FilesHost) -> None:
        self.app = app
        self.messenger = app.messenger
        self.browse_from = Path.home()

    def _warn(self, text: str, title: str = "") -> None:
        self.app.notify(text, title=title, severity="warning", markup=False)

    def _error(self, text: str, title: str = "") -> None:
        self.app.notify(text, title=title, severity="error", markup=False, timeout=10)

    # ------------------------------------------------------------------ attaching

    def attach(self) -> None:
        """Open the picker for the open conversation."""
        contact = self.app.open_contact
        if contact is None:
            return
        if contact.is_everyone:
            self._warn(_(NO_FILES_TO_EVERYONE), _("No files to everyone"))
            return
        key = contact.key

        def chosen(paths: list[Path] | None) -> None:
            if paths:
                self.add(key, paths)
                self.app.composer.focus()

        start = self.browse_from if self.browse_from.is_dir() else Path.home()
        from .screens.attach import AttachPicker  # its tree widgets: not before the first frame

        self.app.push_screen(AttachPicker(start, contact.name), chosen)

    def add(self, key: str, paths: list[Path]) -> None:
        self.app.drafts[key].attach(paths)
        self.browse_from = paths[-1].parent
        self.app.show_attachments()

    def remove(self, key: str | None, index: int) -> None:
        draft = self.app.drafts.get(key)
        if draft is not None and draft.detach(index):
            self.app.show_attachments()

    def remove_last(self) -> None:
        draft = self.app.draft
        if draft is not None and draft.detach(len(draft.attachments) - 1):
            self.app.show_attachments()

    def clear(self) -> None:
        draft = self.app.draft
        if draft is not None:
            draft.take_attachments()
        self.app.show_attachments()

    # ------------------------------------------------------------------ sending

    def send(self, contact: Contact, text: str, sealed: bool, also: Sequence[Contact] = ()) -> None:
        """Offer the waiting files with ``text`` (to ``contact`` and those ``also`` marked, as
        one message): they leave the input box at once, and come back (with the text) if
        they cannot be offered."""
        draft = self.app.drafts[contact.key]
        recipients = [c.recipient() for c in (contact, *also)]
        if any(r is None for r in recipients):
            self.app.restore_draft(contact.key, text)
            if recipients[0] is None:
                self._error(_("No address known for {name}").format(name=contact.name))
            else:
                self._error(_("No address known for some marked peers"))
            return
        paths = draft.take_attachments()
        self.app.show_attachments()
        peers = [r for r in recipients if r is not None]
        others = [c.key for c in also]
        work = self._offer(contact, peers, text, paths, sealed, others)
        self.app.run_worker(work, group="offers")

    async def _offer(
        self,
        contact: Contact,
        recipients: list[Peer],
        text: str,
        paths: list[Path],
        sealed: bool,
        others: Sequence[str] = (),
    ) -> None:
        try:
            offered = await self.messenger.send_files(recipients, text, paths, sealed=sealed)
        except (OfferError, EngineError) as error:
            log.warning("files not offered to %s: %s", contact.key, error)
            draft = self.app.drafts[contact.key]
            draft.attachments[:0] = [p for p in paths if p not in draft.attachments]
            self.app.show_attachments()
            self.app.restore_draft(contact.key, text)
            self._error(str(error), _("Not sent"))
            return
        app = self.app
        for recipient in recipients:
            app.board.record(("out", recipient.addr, offered.packet_no)).paths = tuple(paths)
        for key in others:  # the marked ones list it too
            app.roster.note_message(key, offered.rows[0].ts)
        app.show_sent(contact, offered.rows)
        skipped = await asyncio.to_thread(not_sent, paths)
        if skipped:  # links and devices inside a folder are left out: say so
            self._warn(not_sent_note(skipped), _("Some items not sent"))

    def resend(self, row: StoredMessage, recipient: Peer) -> None:
        """Offer the files of a message that was not delivered again, in its place."""
        record = self.app.board.get(key_of(row))
        if record is None or not record.paths:
            self._warn(
                _(
                    "These files were attached in an earlier session; "
                    "attach them again to send them"
                ),
                _("Not resent"),
            )
            return
        self.app.run_worker(self._reoffer(row, recipient, record.paths), group="offers")

    async def _reoffer(self, row: StoredMessage, recipient: Peer, paths: tuple[Path, ...]) -> None:
        try:
            requeued = await self.messenger.resend_files(row, recipient.addr, paths)
        except (OfferError, EngineError) as error:
            self._error(str(error), _("Not resent"))
            return
        app = self.app
        app.board.record(("out", recipient.addr, requeued.packet_no)).paths = paths
        app.chat_log.update(requeued)

    # ------------------------------------------------------------------ offers to us

    def _sender(self, row: StoredMessage) -> Contact | None:
        return self.app.roster.get(row.conversation)

    def _sender_gone(self, row: StoredMessage) -> bool:
        """The sender is offline (said goodbye, or vanished): say so instead of trying."""
        contact = self._sender(row)
        if contact is None or contact.is_online:
            return False
        self._warn(
            _(
                "{name} is offline. Offered files can be fetched only while the sender is "
                "online and still offers them."
            ).format(name=contact.name),
            _("Cannot download"),
        )
        return True

    def _offer_for(self, row: StoredMessage) -> IncomingOffer | None:
        """The offer as the service knows it, or one rebuilt from the history (an earlier
        session) to ask the sender for; None (having said why) if the sender is offline."""
        if self._sender_gone(row):
            return None
        live = self.messenger.offer(row.addr, row.packet_no)
        if live is not None:
            return live
        contact = self._sender(row)
        peer = contact.peer if contact is not None else None
        if peer is None:
            return None
        self.app.board.alias(("in", peer.addr, row.packet_no), key_of(row))
        self.app.board.record(key_of(row)).earlier = True
        return IncomingOffer(peer, row.packet_no, row.attachments, row.ts)

    def activate(self, row: StoredMessage) -> None:
        """Enter or a click on a message offering files: what can be done, in a dialog."""
        record = self.app.board.get(key_of(row))
        if record is not None and record.declined:
            self.app.notify(_("You declined these files"), timeout=3)
            return
        if record is None or not record.transfers:
            choices = ["accept", "save", "decline"]
        else:  # some were accepted: what each of them allows
            choices = ["cancel"] if record.active else []
            if record.retryable:
                choices += ["retry"] if record.active else ["retry", "decline"]
        contact = self._sender(row)
        name = contact.name if contact is not None else row.sender
        title = Content.assemble(
            _("Files from "), (name, "bold"), (f" · {clock_time(row.ts)}", "$text-muted")
        )
        if not self.app.board.offered_to_us(row) and not (record and record.transfers):
            title += Content.styled(_(" · offered in an earlier session"), "$text-warning")
        view = self.app.board.view(row, name)
        if view is not None:  # the dialog's buttons say what the hint says
            view = replace(view, hint=None)
        lines = body_lines(replace(row, text=""), view)
        files = Content("\n").join(line.pad_left(indent) for line, indent in lines)
        where = _("Downloads go to {folder}").format(folder=tilde(self.messenger.download_dir))

        pick: list[tuple[str, int]] = []
        if "accept" in choices and len(row.attachments) > 1:
            pick = [
                (f"{IncomingOffer.display_name(a)}  {file_size(a.size)}", a.file_id)
                for a in row.attachments
            ]
        from .screens.offer import OfferScreen  # imported when first shown, not at start

        screen = OfferScreen(title, files, where, choices, pick)

        def decided(choice: str | None) -> None:
            only = set(screen.ticked) if pick else None
            if only is not None and not only and choice in ("accept", "save"):
                self.app.notify(_("No file ticked: nothing downloaded"), timeout=3)
                return
            self.decide(row, choice, only)

        self.app.push_screen(screen, decided)

    def decide(self, row: StoredMessage, choice: str | None, only: set[int] | None = None) -> None:
        """``only``: the file ids to download (None: every one)."""
        record = self.app.board.get(key_of(row))
        match choice:
            case "accept":
                self.accept(row, only=only)
            case "save":
                self.save_as(row, only)
            case "decline":
                self.decline(row)
            case "retry" if record is not None and not self._sender_gone(row):
                for transfer in record.retryable:
                    self.retry(transfer)
            case "cancel" if record is not None:
                for transfer in record.active:
                    transfer.cancel()

    def accept(
        self, row: StoredMessage, target: Path | None = None, *, only: set[int] | None = None
    ) -> list[Transfer]:
        """Download the files of the offer (those in ``only``, or every one), into the
        download folder or ``target`` (a folder, or for a single file or folder the path to
        save it as)."""
        offer = self._offer_for(row)
        if offer is None:
            return []
        folder, name = target, None
        if target is not None and len(offer.attachments) == 1:
            folder, name = target.parent, target.name
        try:
            transfers = self.messenger.accept(offer, folder, name, only=only)
        except SaveError as error:
            self._error(error.why.text(), _("Cannot save there"))
            return []
        self.app.file_news.redraw(key_of(row))
        return transfers

    def save_as(self, row: StoredMessage, only: set[int] | None = None) -> None:
        if not row.attachments:
            return
        single = len(row.attachments) == 1  # (a name only for an offer of one)
        folder = self.messenger.download_dir
        if single:
            name = IncomingOffer.display_name(row.attachments[0])
            target, title = folder / name, _("Save {name} as").format(name=name)
        else:
            target, title = folder, _("Save {count} files into").format(count=len(row.attachments))

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.accept(row, path, only=only)

        from .screens.save_as import SaveAsPicker  # imported when first shown, not at start

        self.app.push_screen(SaveAsPicker(target, single=single, title=title), chosen)

    def decline(self, row: StoredMessage) -> None:
        """RELEASEFILES: the sender stops offering them to us (sent to the address the offer
        came from, even if the sender is offline now: it costs one datagram)."""
        offer = self.messenger.offer(row.addr, row.packet_no)
        if offer is None:
            sender = Peer(row.addr, row.conversation.rpartition("@")[0], "")
            offer = IncomingOffer(sender, row.packet_no, row.attachments, row.ts)
        self.messenger.decline(offer)
        self.app.board.record(key_of(row)).declined = True
        self.app.file_news.redraw(key_of(row))

    # ------------------------------------------------------------------ transfers

    def show_transfers(self) -> None:
        from .screens.transfers import TransfersScreen  # imported when first shown

        if isinstance(self.app.screen, TransfersScreen):
            return
        where = str(self.messenger.download_dir)
        transfers = self.app.board.transfers.values()
        self.app.push_screen(TransfersScreen(transfers, self, where))

    def cancel(self, transfer: Transfer) -> None:
        if transfer.can_cancel:
            transfer.cancel()
        else:
            self.app.notify(_("It has already ended"), timeout=2)

    def retry(self, transfer: Transfer) -> None:
        if not transfer.can_retry:
            reason = (
                _("it is still going") if not transfer.state.finished else _("only downloads can")
            )
            self.app.notify(_("Cannot retry: {reason}").format(reason=reason), timeout=3)
            return
        transfer.retry()

    def forget(self, transfer: Transfer) -> None:
        self.messenger.forget(transfer)
        key = self.app.board.forget(transfer)
        if key is not None:
            self.app.file_news.redraw(key)

    def show_path(self, transfer: Transfer) -> None:
        if transfer.path is None:
            return
        self.app.copy_to_clipboard(str(transfer.path))
        self.app.notify(
            _("{path}\n(copied to the clipboard)").format(path=transfer.path),
            title=transfer.name,
            markup=False,
        )

    # ------------------------------------------------------------------ download folder

    def download_folder(self) -> None:
        """Show the download folder (and copy it); a new path changes it from now on."""
        current = self.messenger.download_dir
        self.app.copy_to_clipboard(str(current))

        def done(answer: str | None) -> None:
            if not answer:
                return
            wanted = Path(answer).expanduser()
            if wanted == current:
                return
            try:
                failure = self.messenger.set_download_dir(wanted)
            except SaveError as error:
                self._error(error.why.text(), _("Download folder not changed"))
                return
            if failure:
                self._error(failure)
            else:
                self.app.notify(
                    _("Downloads now go to {folder}").format(folder=wanted), timeout=4, markup=False
                )

        self.app.push_screen(
            TextPrompt(
                _("Download folder"),
                value=str(current),
                help=_(
                    "Where accepted files go (the path is copied to the clipboard). "
                    "Enter a new one to change it; Escape leaves it."
                ),
            ),
            done,
        )
