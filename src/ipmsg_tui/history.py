"""Keeps the history store in step with engine events (shared by the app and the commands)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from .i18n import _
from .protocol import events as ev
from .protocol.attachments import Attachment
from .protocol.direction import Direction
from .protocol.engine import OutgoingMessage
from .protocol.peers import Addr, Peer
from .reasons import reason_text
from .store import EVERYONE, Flag, HistoryStore, MessageState, StoredMessage


class HistoryRecorder:
    """Write what happens to the store; return the rows touched so a UI can show them."""

    def __init__(
        self,
        store: HistoryStore,
        *,
        is_read: Callable[[str], bool] = lambda key: False,
        started: float | None = None,
    ):
        self.store = store
        # Whether the conversation is on screen right now (then it gains no unread count).
        self.is_read = is_read
        # Messages kept since then passed this run's engine, which drops retransmissions
        # itself and knows when a sender restarted: the store only looks further back.
        self.started = time.time() if started is None else started

    def on_event(self, event: ev.Event) -> list[StoredMessage] | None:
        """The stored or updated messages; None for a duplicate message (do not show it)."""
        match event:
            case ev.MessageReceived():
                stored = self.store.record_incoming(
                    event, unread=not self.is_read(event.peer.key), kept_before=self.started
                )
                return None if stored is None else [stored]
            case ev.MessageDelivered(addr=addr, packet_no=packet_no):
                return self._set_state(
                    addr, packet_no, MessageState.DELIVERED, keep=(MessageState.OPENED,)
                )
            case ev.MessageFailed(addr=addr, packet_no=packet_no):
                return self._set_state(
                    addr, packet_no, MessageState.FAILED, keep=(MessageState.OPENED,)
                )
            case ev.MessageOpened(addr=addr, packet_no=packet_no):
                return self._set_state(addr, packet_no, MessageState.OPENED, keep=())
            case ev.AutoReplySent(peer=peer, packet_no=packet_no, text=text):
                row = self.store.record_outgoing(
                    peer.key,
                    peer.addr,
                    packet_no,
                    text,
                    event.timestamp,
                    sender=event.sender,
                    peer=peer,
                    flags=Flag.AUTO_REPLY,
                )
                return [row]
            case ev.PeerJoined(peer=peer) | ev.PeerChanged(peer=peer):
                if self.store.has_conversation(peer.key):
                    self.store.upsert_conversation(peer.key, peer)
            case ev.MessageRejected() | ev.KeyChanged() | ev.KeyRejected():
                return [self._notice(event)]
            case ev.KeyMissing(addr=addr, packet_no=packet_no):
                mine = self.store.change_flags(
                    addr, packet_no, Direction.OUT, add=Flag.NO_KEY, remove=Flag.ENCRYPTED
                )
                return mine + self._missing_among_several(event)
        return []

    def _missing_among_several(self, event: ev.KeyMissing) -> list[StoredMessage]:
        """A message to several peers went in clear (or not at all) to one of them: it is no
        longer marked encrypted, and a line says to whom, where the message is shown (its
        conversation, and that recipient's). The message first, then the lines."""
        rows: list[StoredMessage] = []
        for shared in self.store.sent_to_several(event.addr, event.packet_no):
            row = self.store.change_flags_by_id(shared.id, add=Flag(0), remove=Flag.ENCRYPTED)
            whom = next(r for r in row.recipients if r.addr == event.addr)
            if event.sent_in_clear:
                text = _("⚠ Sent unencrypted to {name}: no key from {name}")
            else:
                text = _("✗ Not sent to {name}: no key from {name}, and encryption is required")
            text = text.format(name=whom.name)
            rows.append(row)
            for key in dict.fromkeys([row.conversation, whom.key]):
                rows.append(self.store.record_notice(key, event.addr, 0, text, time.time(), None))
        return rows

    def _notice(self, event: ev.MessageRejected | ev.KeyChanged | ev.KeyRejected) -> StoredMessage:
        """A line in the conversation of whoever the event concerns (never the sealed text:
        only what happened)."""
        peer = event.peer if not isinstance(event, ev.KeyRejected) else None
        ip, port = event.addr
        match event:
            case ev.MessageRejected(reason=reason):
                key = peer.key if peer is not None else f"?@{ip}:{port}"
                name = peer.name if peer is not None else ip
                text = _(
                    "⚠ A message claiming to be from {name} could not be verified: {reason}"
                ).format(name=name, reason=reason_text(reason))
                packet_no = event.packet_no
            case ev.KeyChanged(identity=key, old_fingerprint=old, new_fingerprint=new):
                name = peer.name if peer is not None else key
                text = _(
                    '⚠ The key of {name} changed: its messages are marked "key changed, '
                    'unverified" until you accept the new key (F3, or the palette). '
                    "Pinned {old}, now {new}"
                ).format(name=name, old=old, new=new)
                packet_no = 0
            case ev.KeyRejected(identity=key, reason=reason):
                text = _("⚠ A key answer from {identity} was refused: {reason}").format(
                    identity=key, reason=reason_text(reason)
                )
                packet_no = 0
        return self.store.record_notice(key, event.addr, packet_no, text, time.time(), peer)

    def _set_state(
        self, addr: Addr, packet_no: int, state: MessageState, keep: tuple[MessageState, ...]
    ) -> list[StoredMessage]:
        # A read notice can overtake the RECVMSG it implies: "opened" is never downgraded.
        return self.store.set_state(addr, packet_no, Direction.OUT, state, unless=keep)

    def record_sent(
        self,
        sent: Sequence[OutgoingMessage],
        peers: Sequence[Peer | None],
        sender: str,
        timestamp: float,
        *,
        sealed: bool = False,
        attachments: tuple[Attachment, ...] = (),
        security: Mapping[Addr, Flag] | None = None,
    ) -> list[StoredMessage]:
        """One row per part, in state "sending"; attachments go with part 1. A message to
        several peers is one row per part with its recipients, each delivered or not.
        ``security``: ENCRYPTED or NO_KEY for each recipient, as it was when sent (a row to
        several is marked encrypted only if it went encrypted to each)."""
        rows: list[StoredMessage] = []
        flags = Flag.SEALED | Flag.READ_CHECK if sealed else Flag(0)
        marks = security or {}
        for part in sent:
            files = attachments if part.part == 1 else ()
            whom = [
                (_conversation_key(addr, peer), addr, peer)
                for addr, peer in zip(part.recipients, peers, strict=True)
            ]
            if len(whom) > 1:
                each = [marks.get(addr, Flag(0)) for _, addr, _ in whom]
                common = Flag.ENCRYPTED if all(m & Flag.ENCRYPTED for m in each) else Flag(0)
                rows.append(
                    self.store.record_multicast(
                        whom,
                        part.packet_no,
                        part.text,
                        timestamp,
                        sender=sender,
                        flags=flags | common,
                        attachments=files,
                    )
                )
                continue
            for key, addr, peer in whom:
                rows.append(
                    self.store.record_outgoing(
                        key,
                        addr,
                        part.packet_no,
                        part.text,
                        timestamp,
                        sender=sender,
                        peer=peer,
                        flags=flags | marks.get(addr, Flag(0)),
                        attachments=files,
                    )
                )
        return rows

    def record_resent(
        self, message: StoredMessage, sent: Sequence[OutgoingMessage]
    ) -> StoredMessage:
        """``message`` (to several peers) sent again to those that did not get it, as
        ``sent`` (one part: it was one part before)."""
        return self.store.requeue_recipients(
            message.id, list(sent[0].recipients), sent[0].packet_no
        )

    def record_broadcast(
        self, sent: Sequence[OutgoingMessage], sender: str, timestamp: float
    ) -> list[StoredMessage]:
        return [
            self.store.record_outgoing(
                EVERYONE,
                ("255.255.255.255", 0),
                part.packet_no,
                part.text,
                timestamp,
                sender=sender,
                flags=Flag.BROADCAST,
            )
            for part in sent
        ]


def _conversation_key(addr: Addr, peer: Peer | None) -> str:
    return peer.key if peer is not None else f"?@{addr[0]}:{addr[1]}"
