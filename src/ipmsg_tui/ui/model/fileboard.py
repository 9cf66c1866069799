"""What happened to the files of each message this session, for the chat to show under them.

The :class:`~ipmsg_tui.net.files.FileService` knows the live offers (ours until released,
expired or quit; theirs once heard). The board keeps what the UI adds on top: the transfers
of each offered message, whether the user declined it, how our own offers ended, and which
paths we offered. It lives in memory only: after a restart a message still lists its files
(the history keeps them), and an offer we received then comes "from an earlier session".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...net.files import FileService
from ...net.transfers import Transfer
from ...protocol.peers import Addr
from ...store import Flag, MessageState, StoredMessage
from .transfertext import state_text

# direction ("in" / "out"), the peer's address, the message's packet number: what names an
# offer both in the history and in the file service.
OfferKey = tuple[str, Addr, int]

HINT = "bold $text-accent"
QUIET = "italic $text-muted"


def key_of(row: StoredMessage) -> OfferKey:
    return row.direction, row.addr, row.packet_no


def transfer_key(transfer: Transfer) -> OfferKey:
    return transfer.direction.value, transfer.addr, transfer.packet_no


@dataclass
class OfferRecord:
    transfers: dict[int, Transfer] = field(default_factory=dict)  # by file id, the latest
    declined: bool = False
    earlier: bool = False  # theirs, rebuilt from the history: the sender may have forgotten it
    outcome: str | None = None  # ours: "fetched", "released", "expired" or "withdrawn"
    paths: tuple[Path, ...] = ()  # ours: what we offered, to offer it again on a resend

    @property
    def active(self) -> list[Transfer]:
        return [t for t in self.transfers.values() if not t.state.finished]

    @property
    def retryable(self) -> list[Transfer]:
        return [t for t in self.transfers.values() if t.can_retry]


@dataclass(frozen=True, slots=True)
class OfferView:
    """Under each attachment: its transfer's state (or None); then one hint line."""

    files: list[tuple[str, str] | None]
    hint: tuple[str, str] | None


class FileBoard:
    def __init__(self, service: FileService | None = None) -> None:
        self.service = service
        self._records: dict[OfferKey, OfferRecord] = {}
        # Every transfer heard of and not forgotten, oldest first: the transfers panel.
        self.transfers: dict[int, Transfer] = {}
        # Downloads of an offer from an earlier session go to the sender's address of today;
        # the message in the history names the address it came from.
        self._aliases: dict[OfferKey, OfferKey] = {}

    def record(self, key: OfferKey) -> OfferRecord:
        return self._records.setdefault(key, OfferRecord())

    def get(self, key: OfferKey) -> OfferRecord | None:
        return self._records.get(key)

    def alias(self, transfers_key: OfferKey, message_key: OfferKey) -> None:
        if transfers_key != message_key:
            self._aliases[transfers_key] = message_key

    def key_for(self, transfer: Transfer) -> OfferKey:
        key = transfer_key(transfer)
        return self._aliases.get(key, key)

    def track(self, transfer: Transfer) -> OfferKey:
        """Note a transfer (new, or a change of one); returns the offer it belongs to."""
        key = self.key_for(transfer)
        self.record(key).transfers[transfer.attachment.file_id] = transfer
        self.transfers.setdefault(transfer.id, transfer)
        return key

    def forget(self, transfer: Transfer) -> OfferKey | None:
        """Drop a transfer; returns its offer if the offer showed it."""
        self.transfers.pop(transfer.id, None)
        key = self.key_for(transfer)
        record = self._records.get(key)
        if record is None or record.transfers.get(transfer.attachment.file_id) is not transfer:
            return None
        del record.transfers[transfer.attachment.file_id]
        return key

    def offer_ended(self, packet_no: int, addr: Addr, outcome: str) -> OfferKey:
        key: OfferKey = ("out", addr, packet_no)
        record = self.record(key)
        if record.outcome != "fetched":  # once fetched, a later expiry changes nothing
            record.outcome = outcome
        return key

    # ------------------------------------------------------------------ liveness

    def offered_to_us(self, row: StoredMessage) -> bool:
        """The file service heard this offer in this session and nobody declined it."""
        return self.service is not None and self.service.offer(row.addr, row.packet_no) is not None

    def offered_by_us(self, row: StoredMessage) -> bool:
        if self.service is None:
            return False
        offer = self.service.offers.get(row.packet_no)
        return offer is not None and any(r.addr == row.addr for r in offer.recipients)

    # ------------------------------------------------------------------ what the chat says

    def view(self, row: StoredMessage, peer_name: str) -> OfferView | None:
        if not row.attachments:
            return None
        record = self._records.get(key_of(row))
        files: list[tuple[str, str] | None] = []
        earlier = record is not None and record.earlier
        for attachment in row.attachments:
            transfer = record.transfers.get(attachment.file_id) if record is not None else None
            files.append(
                state_text(transfer, refused_means_gone=earlier) if transfer is not None else None
            )
        if row.incoming:
            return OfferView(files, self._incoming_hint(row, record))
        return OfferView(files, self._outgoing_hint(row, record, peer_name))

    def _incoming_hint(
        self, row: StoredMessage, record: OfferRecord | None
    ) -> tuple[str, str] | None:
        if row.flags & Flag.BROADCAST:
            return "sent to everyone: files cannot be fetched from a broadcast", QUIET
        if record is not None and record.declined:
            return "declined", QUIET
        if record is not None and record.transfers:
            if record.active and record.retryable:
                return "Enter or click: cancel · retry", QUIET
            if record.active:
                return "Enter or click: cancel · ctrl+t: transfers", QUIET
            if record.retryable:
                return "Enter or click: retry · decline", HINT
            return None  # every file saved: each says where
        if self.offered_to_us(row):
            return "Enter or click: accept · save as · decline", HINT
        return "offered in an earlier session · Enter to try to download", QUIET

    def _outgoing_hint(
        self, row: StoredMessage, record: OfferRecord | None, peer_name: str
    ) -> tuple[str, str] | None:
        outcome = record.outcome if record is not None else None
        if outcome == "fetched":
            return f"✓ {peer_name} has downloaded them", "$success"
        if outcome == "released":
            return f"✗ {peer_name} declined them", "$text-warning"
        if outcome == "expired":
            return "the offer expired; attach them again to send them", QUIET
        if outcome == "withdrawn":
            return "no longer offered", QUIET
        if row.state is MessageState.FAILED:
            return None  # the header says so; resending offers them again
        if self.offered_by_us(row):
            if record is not None and record.active:
                return None  # each file shows its progress
            return f"offered · waiting for {peer_name} to download", QUIET
        return "no longer offered (offers end when ipmsg-tui quits)", QUIET
