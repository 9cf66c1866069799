"""The messenger: every thing a user does, written once for the app and the commands.

A :class:`Messenger` owns the history store and its recorder, the node (UDP), the file
service (TCP) and the settings the user changes. It is built and started before any front
end and handed to it; front ends call its methods and subscribe to its news
(:mod:`.events`). None of them touches the engine.

The chain an event from the network passes, in this order (built in ``__init__``, the one
place that adds listeners to the node):

1. the history (:class:`~ipmsg_tui.history.HistoryRecorder`): a message must be kept before
   its RECVMSG leaves; if this raises, the node retracts the receipt and the sender retries;
   a retransmission already kept stops here;
2. the subscribers, with the domain event and its stored rows (their failures are logged:
   a front end's problem never costs a peer its receipt);
3. the file service, which takes offers of files and releases.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings, parse_target
from ..history import HistoryRecorder
from ..i18n import _
from ..net.binding import SocketPlan
from ..net.node import Node, open_udp_socket
from ..net.nodekeys import provide_keys
from ..net.tcp import open_tcp_socket
from ..protocol import events as ev
from ..protocol.constants import EntryOpt
from ..protocol.engineconfig import EngineConfig
from ..protocol.peers import Addr, Peer
from ..protocol.text import normalize_codec
from ..session import build_file_service, engine_config
from ..store import Flag, HistoryStore, MessageState, StoredMessage
from ..targets import resolve_target
from .events import KeyAccepted, MessagesSent, News, PeerKeyKnown, Subscriber, news_of
from .prefs import Preferences

if TYPE_CHECKING:  # the transfer modules load with the file service (see ``files``)
    from ..net.files import FileEvent, FileService, IncomingOffer, SentFiles
    from ..net.transfers import Transfer

log = logging.getLogger(__name__)

IN_MEMORY = Path(":memory:")
# Whom a message goes to: a peer (online, or as last seen), or an address.
Recipient = Peer | Addr


@dataclass(frozen=True, slots=True)
class FilesOffered:
    """Files sent with a message: the stored rows and the offer being served."""

    rows: list[StoredMessage]
    sent: SentFiles

    @property
    def packet_no(self) -> int:
        return self.sent.packet_no


@dataclass(frozen=True, slots=True)
class TargetAdded:
    """A host or broadcast address announced to; ``problem`` if it could not be saved."""

    addr: Addr
    text: str  # as written to the settings file: ADDR, or ADDR:PORT off the default port
    problem: str | None


class KeyNotKnown(Exception):
    """A key to accept that the peer has not given us."""


class Messenger:
    def __init__(
        self,
        settings: Settings,
        *,
        store: HistoryStore | None = None,
        engine: tuple[EngineConfig, SocketPlan] | None = None,
        clock: Callable[[], float] = time.time,
        checksum: bool = False,
        remember_transfers: bool = True,
        files: bool = True,
    ) -> None:
        """``store`` None keeps the history in memory (``who``, throw-away peers); the
        messenger closes only a store it opened. ``checksum``: SHA-256 of every download.
        ``remember_transfers``: downloads are kept in the history database, so that they
        continue after a restart (not for an in-memory history, nor for `send`).
        ``files`` False: no file service until something uses ``files`` (a ``send``
        without files, ``who``: the transfer modules are never imported); offers of files
        made to us meanwhile are not taken."""
        self.settings = settings
        self.config, self.socket_plan = engine or engine_config(settings)
        self._own_store = store is None
        self.store = store if store is not None else HistoryStore(IN_MEMORY)
        self.clock = clock
        self._is_read: Callable[[str], bool] = lambda key: False
        self.recorder = HistoryRecorder(self.store, is_read=lambda key: self._is_read(key))
        self._subscribers: list[Subscriber] = []
        self.node = Node(self.config, self.socket_plan, clock=clock)
        self._files: FileService | None = None
        self._file_options = (checksum, remember_transfers and store is not None)
        if files:  # built now: it takes offers from the first event on
            self._build_files()
        # The node's listener chain, in the order the module docstring gives: history and
        # subscribers (one link: a retransmission stops here), then the file service.
        self.node.listeners = [self._on_network_event, self._on_file_event]
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        # Keys that differ from their pin, by identity, until the user accepts them.
        self._changed_keys: dict[str, ev.KeyChanged] = {}
        # KeyMissing notes held while a message is being sent (see _key_notes_after_rows).
        self._held_key_notes: list[ev.KeyMissing] | None = None

    @property
    def files(self) -> FileService:
        """The file service (TCP transfers), built when first needed."""
        return self._files if self._files is not None else self._build_files()

    def _build_files(self) -> FileService:
        checksum, remember = self._file_options
        self._files = build_file_service(
            self.settings, self.node, checksum=checksum, remember=remember
        )
        self._files.listeners.append(self._publish)
        return self._files

    def _on_file_event(self, event: ev.Event) -> None:
        if self._files is not None:
            self._files.on_node_event(event)

    @classmethod
    def keeping_history(cls, settings: Settings, **options: Any) -> Messenger:
        """A messenger with the settings' history database, closed by ``close()``
        (StoreError if it cannot be opened; InterfaceError, before, if the network is
        unusable)."""
        engine = options.pop("engine", None) or engine_config(settings)
        messenger = cls(
            settings, store=HistoryStore(settings.history_path), engine=engine, **options
        )
        messenger._own_store = True
        return messenger

    # ------------------------------------------------------------------ lifecycle

    def bind(self, *, files: bool = True) -> None:
        """Open the sockets now (UDP, and TCP for files on the same port number): a busy
        port or a bad address is reported (BindFailed) before a screen takes over."""
        try:
            self._udp = self._udp or open_udp_socket(self.socket_plan)
            if files:
                self._tcp = self._tcp or open_tcp_socket(self.socket_plan)
        except BaseException:
            self._close_sockets()
            raise

    async def start(
        self, *, serve_files: bool = True, announce: bool = True, keys: bool = False
    ) -> None:
        """Listen and announce ourselves. TCP first: nobody hears of us before we can serve
        files, and a busy port fails before anyone hears from us. With ``keys``, encrypt
        as the settings' policy says: our key pairs from the data folder (made in a thread
        if missing) and the peers' keys pinned in the history."""
        # Namesakes told apart by their address before keep their own conversations.
        self.node.engine.peers.remember_twins(self.store.twin_keys())
        if keys:
            self.node.engine.load_pins(self.store.pinned_keys())
            provide_keys(self.node, self.settings.data_dir)
        if serve_files or self._files is not None:
            await self.files.start(serve=serve_files, sock=self._tcp)
            self._tcp = None  # the file service owns it now
        await self.node.start(announce=announce, sock=self._udp)
        self._udp = None  # the node owns it now

    @property
    def running(self) -> bool:
        return self.node.running

    async def stop(self) -> None:
        """Stop serving files (running transfers end), then say goodbye (BR_EXIT) once."""
        if self._files is not None:
            await self._files.stop()
        if self.node.running:
            await self.node.stop()
        self._close_sockets()

    def close(self) -> None:
        """Release what ``stop`` leaves: the sockets never started, a store we opened."""
        self._close_sockets()
        if self._own_store:
            self.store.close()

    def _close_sockets(self) -> None:
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = None

    # ------------------------------------------------------------------ news

    def subscribe(
        self, subscriber: Subscriber, *, is_read: Callable[[str], bool] | None = None
    ) -> None:
        """``subscriber`` gets every domain event from now on. ``is_read``: whether a
        conversation is on screen (its messages are then stored read)."""
        self._subscribers.append(subscriber)
        if is_read is not None:
            self._is_read = is_read

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def _on_network_event(self, event: ev.Event) -> bool | None:
        if self._held_key_notes is not None and isinstance(event, ev.KeyMissing):
            self._held_key_notes.append(event)  # until the rows it concerns are written
            return None
        if isinstance(event, ev.KeyLearned):  # pinned on first use
            self.store.pin_key(event.identity, event.public_der, event.fingerprint, time.time())
        elif isinstance(event, ev.KeyChanged):
            self._changed_keys[event.identity] = event
        rows = self.recorder.on_event(event)  # may raise: then the receipt is withheld
        if rows is None:
            return False  # a retransmission of a message already kept: news once only
        unread = isinstance(event, ev.MessageReceived) and not self._is_read(event.peer.key)
        news = news_of(event, rows, unread)
        if news is not None:
            self._publish(news)
        if isinstance(event, ev.KeyLearned):
            self._publish(PeerKeyKnown(event.addr, event.identity, event.fingerprint))
        elif isinstance(event, ev.KeyChanged):
            self._publish(PeerKeyKnown(event.addr, event.identity, event.new_fingerprint))
        return None

    def _publish(self, news: News | FileEvent) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(news)
            except Exception:
                log.exception("subscriber failed on %s", type(news).__name__)

    # ------------------------------------------------------------------ who we are

    @property
    def nick(self) -> str:
        return self.node.nick

    @property
    def group(self) -> str:
        return self.node.group

    @property
    def away(self) -> bool:
        return self.node.away

    @property
    def away_text(self) -> str:
        return self.node.away_text

    @property
    def port(self) -> int:
        return self.settings.port

    @property
    def key(self) -> str:
        return f"{self.settings.user}@{self.settings.host}"

    def addresses(self) -> list[str]:
        """Our addresses others can reach (the bound one, or every non-loopback one)."""
        if self.settings.bind:
            return [self.settings.bind]
        return sorted(
            (ip for ip in self.config.local_ips if not ipaddress.ip_address(ip).is_loopback),
            key=ipaddress.ip_address,
        )

    @property
    def peers(self) -> list[Peer]:
        return self.node.peers

    def peer(self, addr: Addr) -> Peer | None:
        return self.node.peer(addr)

    def request_key(self, addr: Addr) -> None:
        """Ask an encrypting peer for its public key (its fingerprint becomes known)."""
        self.node.request_key(addr)

    def fingerprint(self, addr: Addr) -> str | None:
        """The fingerprint of the key the peer at ``addr`` gave us, if any."""
        return self.node.engine.peer_fingerprint(addr)

    @property
    def encryption(self) -> str:
        """The policy: "auto", "required" or "off"."""
        return self.node.engine.encryption_policy

    def our_fingerprint(self) -> str | None:
        """Ours, to read to a peer (None while our keys are being made, or with "off")."""
        if not self.node.engine.encryption_ready:
            return None
        return self.node.engine.our_fingerprint()

    def sends_waiting_for_keys(self) -> int:
        """Messages sent that have not left yet: they wait for their recipient's key."""
        return self.node.engine.sends_waiting_for_keys()

    def can_encrypt_to(self, addr: Addr) -> bool:
        """Messages to ``addr`` go encrypted (once its key is here)."""
        return self.node.engine.can_encrypt_to(addr)

    def pinned_fingerprint(self, identity: str) -> str | None:
        """The fingerprint of the key pinned for ``user@host``, from any earlier run."""
        return self.store.pinned_fingerprint(identity)

    def changed_key(self, identity: str) -> tuple[str, str] | None:
        """(pinned, new) fingerprints while ``identity``'s new key waits to be accepted."""
        changed = self._changed_keys.get(identity)
        return (changed.old_fingerprint, changed.new_fingerprint) if changed else None

    def accept_key(self, identity: str) -> list[StoredMessage]:
        """The user trusts ``identity``'s new key: it becomes the pin (kept in the store),
        and its messages are no longer marked; returns the messages unmarked."""
        changed = self._changed_keys.pop(identity, None)
        if changed is None:
            return []
        self.store.pin_key(identity, changed.public_der, changed.new_fingerprint, time.time())
        self.node.engine.accept_key(identity, changed.public_der)
        rows = self.store.clear_flag(identity, Flag.KEY_CHANGED)
        self._publish(KeyAccepted(identity, changed.new_fingerprint, tuple(rows)))
        return rows

    def _security(self, addrs: Sequence[Addr]) -> dict[Addr, Flag]:
        """How a message to each of ``addrs`` goes: encrypted, or in clear for want of a key
        from a peer that can encrypt (then the engine reports KeyMissing, maybe before the
        rows are written)."""
        engine = self.node.engine
        flags: dict[Addr, Flag] = {}
        for addr in addrs:
            peer = engine.peers.get(addr)
            if engine.can_encrypt_to(addr):
                flags[addr] = Flag.ENCRYPTED
            elif (
                engine.encryption_ready
                and peer is not None
                and peer.capabilities & EntryOpt.ENCRYPTOPT
            ):
                flags[addr] = Flag.NO_KEY
        return flags

    def pin_current_key(self, addr: Addr) -> tuple[str, str]:
        """Pin the key the peer at ``addr`` gave us (after a changed-key warning), here and
        in the history, so the warning stops: (its identity, its fingerprint). KeyNotKnown
        if it gave us none yet."""
        peer = self.node.peer(addr)
        der = self.node.engine.peer_public_der(addr)
        fingerprint = self.node.engine.peer_fingerprint(addr)
        if peer is None or der is None or fingerprint is None:
            raise KeyNotKnown(
                _("{addr} has not given us its key (yet)").format(addr=f"{addr[0]}:{addr[1]}")
            )
        self.node.engine.accept_key(peer.key, der)
        self.store.pin_key(peer.key, der, fingerprint, time.time())
        rows: list[StoredMessage] = []
        if self._changed_keys.pop(peer.key, None) is not None:  # as accept_key does
            rows = self.store.clear_flag(peer.key, Flag.KEY_CHANGED)
        # The front end (the app, when a command beside it asked) shows the warning gone.
        self._publish(KeyAccepted(peer.key, fingerprint, tuple(rows)))
        return peer.key, fingerprint

    def resolve(self, target: str) -> Addr:
        """The address an IP, IP:PORT, nick, user or user@host names among the peers online;
        UnknownTarget or AmbiguousTarget (TargetError) if it names none or several."""
        return resolve_target(self.node.engine.peers, target, self.settings.port)

    # ------------------------------------------------------------------ messages

    def _recipients(self, recipients: Sequence[Recipient]) -> tuple[list[Addr], list[Peer | None]]:
        """Addresses to send to, and who they are: a peer given (online or last seen) keeps
        its conversation; an address is looked up among the peers online."""
        addrs = [r.addr if isinstance(r, Peer) else r for r in recipients]
        peers = [r if isinstance(r, Peer) else self.peer(r) for r in recipients]
        return addrs, peers

    def send(
        self,
        recipients: Sequence[Recipient],
        text: str,
        *,
        sealed: bool = False,
        tell: bool = False,
    ) -> list[StoredMessage]:
        """Send ``text`` to one or several peers and keep it (one row per part and
        recipient, "sending"); EngineError if it cannot be sent. ``tell``: the subscribers
        hear of it (MessagesSent), for a message the front end did not send itself."""
        addrs, peers = self._recipients(recipients)
        security = self._security(addrs)
        with self._key_notes_after_rows():
            sent = self.node.send_message(addrs, text, sealed=sealed)
            rows = self.recorder.record_sent(
                sent, peers, self.nick, self.clock(), sealed=sealed, security=security
            )
            if tell:
                self._publish(MessagesSent(rows))
        return rows

    def broadcast(self, text: str) -> list[StoredMessage]:
        """Send ``text`` to everyone on the LAN (no receipts) and keep it."""
        sent = self.node.broadcast_message(text)
        return self.recorder.record_broadcast(sent, self.nick, self.clock())

    async def send_files(
        self,
        recipients: Sequence[Recipient],
        text: str,
        paths: Sequence[Path],
        *,
        sealed: bool = False,
        tell: bool = False,
    ) -> FilesOffered:
        """Send ``text`` offering ``paths`` and keep it; OfferError for a bad path,
        EngineError if it cannot be sent. ``tell``: as for ``send``."""
        addrs, peers = self._recipients(recipients)
        security = self._security(addrs)
        with self._key_notes_after_rows():
            sent = await self.files.send(addrs, text, paths, sealed=sealed)
            rows = self.recorder.record_sent(
                sent.messages,
                peers,
                self.nick,
                self.clock(),
                sealed=sealed,
                attachments=sent.attachments,
                security=security,
            )
            if tell:
                self._publish(MessagesSent(rows))
        return FilesOffered(rows, sent)

    def resend(self, row: StoredMessage, to: Recipient) -> list[StoredMessage]:
        """Send an undelivered message again, in its place: the row back to "sending"
        (first), and any further parts as new rows."""
        (addr,), peers = self._recipients([to])
        security = self._security([addr])
        with self._key_notes_after_rows():
            sent = self.node.send_message([addr], row.text, sealed=row.sealed)
            first = self.store.requeue(row.id, addr, sent[0].packet_no)
            first = self._marked_as_sent(first, security.get(addr, Flag(0)))
            extra = self.recorder.record_sent(
                sent[1:], peers, self.nick, self.clock(), sealed=row.sealed, security=security
            )
        return [first, *extra]

    def resend_to_missing(self, row: StoredMessage) -> StoredMessage:
        """A message sent to several peers, sent again to those that did not get it (the
        same text, MULTICASTOPT kept), in its place; the others are not bothered twice."""
        missing = [recipient.addr for recipient in row.not_delivered]
        security = self._security(missing)
        with self._key_notes_after_rows():
            sent = self.node.send_message(missing, row.text, sealed=row.sealed, multicast=True)
            resent = self.recorder.record_resent(row, sent)
            if not all(security.get(addr, Flag(0)) & Flag.ENCRYPTED for addr in missing):
                resent = self._marked_as_sent(resent, Flag(0))  # in clear to one of them
        return resent

    async def resend_files(
        self, row: StoredMessage, addr: Addr, paths: Sequence[Path]
    ) -> StoredMessage:
        """Offer the files of an undelivered message again (the old offer is withdrawn)."""
        self.files.withdraw(row.packet_no)
        security = self._security([addr])
        with self._key_notes_after_rows():
            sent = await self.files.send([addr], row.text, paths, sealed=row.sealed)
            again = self.store.requeue(row.id, addr, sent.packet_no)
            again = self._marked_as_sent(again, security.get(addr, Flag(0)))
        return again

    def _marked_as_sent(self, row: StoredMessage, security: Flag) -> StoredMessage:
        """A message sent again is marked as it left this time (encrypted, or in clear for
        want of a key), not as it left the first time."""
        stale = (Flag.ENCRYPTED | Flag.NO_KEY) & ~security
        return self.store.change_flags_by_id(row.id, add=security, remove=stale)

    @contextmanager
    def _key_notes_after_rows(self) -> Iterator[None]:
        """The engine reports a peer known to give no key (KeyMissing) while the message is
        being sent, before its rows are written: such notes are held until they are, so that
        they mark them (and, for a message to several, say to whom it went in clear)."""
        if self._held_key_notes is not None:  # already holding (a send inside a send)
            yield
            return
        self._held_key_notes = []
        try:
            yield
        finally:
            held, self._held_key_notes = self._held_key_notes, None
            for note in held:
                try:
                    self._on_network_event(note)
                except Exception:  # the history failed: the note is lost, not the message
                    log.exception("a note about a missing key could not be kept")

    def open_sealed(self, row: StoredMessage) -> StoredMessage:
        """Show a sealed message: tell its sender it was opened (READMSG) and keep that."""
        self.node.open_sealed(row.addr, row.packet_no, bool(row.flags & Flag.READ_CHECK))
        return self.store.set_state_by_id(row.id, MessageState.OPENED)

    def forget_conversation(self, key: str) -> int:
        """Delete a conversation and its history for good (a mistyped address's, say); how
        many messages went. Everyone's conversation stays (its messages go)."""
        return self.store.forget_conversation(key)

    # ------------------------------------------------------------------ files offered to us

    def offer(self, addr: Addr, packet_no: int) -> IncomingOffer | None:
        return self.files.offer(addr, packet_no)

    def accept(
        self,
        offer: IncomingOffer,
        folder: Path | None = None,
        name: str | None = None,
        *,
        only: Collection[int] | None = None,
    ) -> list[Transfer]:
        """Download the files of ``offer`` (those whose file ids are in ``only``, or every
        one) into ``folder`` (the download folder); ``name`` saves a single file or folder
        under another name. SaveError if the folder is bad. The others stay offered: IPMSG
        releases (declines) a whole offer, never one file of it."""
        return [
            self.files.download(offer, attachment, folder, name)
            for attachment in offer.attachments
            if only is None or attachment.file_id in only
        ]

    def decline(self, offer: IncomingOffer) -> None:
        """RELEASEFILES: the sender stops offering them to us."""
        self.files.decline(offer)

    def forget(self, transfer: Transfer) -> None:
        self.files.forget(transfer)

    @property
    def download_dir(self) -> Path:
        return self.files.download_dir

    def set_download_dir(self, wanted: Path) -> str | None:
        """Downloads go to ``wanted`` from now on (SaveError if unusable); a problem saving
        the setting is returned."""
        from ..net.saving import prepare_folder

        self.files.download_dir = prepare_folder(wanted)
        self.settings = replace(self.settings, download_dir=wanted)
        return self._save(download_dir=wanted)

    # ------------------------------------------------------------------ presence, settings

    def fitting_nick(self, nick: str) -> str:
        """What peers receive of ``nick``: IPMSG carries only so many bytes of a name."""
        return self.node.fitting_name(nick)

    def set_nick(self, nick: str, *, remember: bool = True) -> str | None:
        """Others see us as ``nick``, shortened to what IPMSG carries (see ``fitting_nick``;
        remembered in the settings file: a problem saving it is returned)."""
        nick = self.fitting_nick(nick)
        self.node.set_presence(nick=nick)
        if not remember:
            return None
        self.settings = replace(self.settings, nick=nick)
        return self._save(nick=nick)

    def set_group(self, group: str, *, remember: bool = True) -> str | None:
        self.node.set_presence(group=group)
        if not remember:
            return None
        self.settings = replace(self.settings, group=group)
        return self._save(group=group or None)

    def set_away(self, text: str, *, remember: bool = True) -> str | None:
        """Away, answering messages with ``text``."""
        self.node.set_presence(away=True, away_text=text)
        if not remember:
            return None
        self.settings = replace(self.settings, away_text=text)
        return self._save(away_text=text or None)

    def come_back(self) -> None:
        self.node.set_presence(away=False)

    def refresh(self) -> None:
        """Ask everyone who is online."""
        self.node.refresh()

    def request_info(self, addr: Addr, kind: str = "version") -> None:
        """Ask a peer what it runs ("version") or its away text ("absence")."""
        self.node.request_info(addr, kind)

    def add_target(self, text: str, *, broadcast: bool) -> TargetAdded:
        """Announce to a host (or broadcast address) ADDR[:PORT] and remember it;
        ConfigError if ``text`` is no address."""
        port = self.settings.port
        addr = parse_target(text, port)
        self.node.add_target(addr, broadcast=broadcast)
        written = addr[0] if addr[1] == port else f"{addr[0]}:{addr[1]}"
        settings = self.settings
        if broadcast and written not in settings.broadcast:
            self.settings = replace(settings, broadcast=(*settings.broadcast, written))
        elif not broadcast and written not in settings.hosts:
            self.settings = replace(settings, hosts=(*settings.hosts, written))
        key = "broadcast" if broadcast else "hosts"
        return TargetAdded(addr, written, Preferences(self.settings).add_to_list(key, written))

    def remove_target(self, text: str, *, broadcast: bool) -> str | None:
        """Stop announcing to a saved host (or broadcast address) and forget it; a problem
        saving the settings, or None. ConfigError if ``text`` is no address."""
        port = self.settings.port
        addr = parse_target(text, port)
        self.node.remove_target(addr, broadcast=broadcast)
        settings = self.settings

        def kept(targets: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(t for t in targets if parse_target(t, port) != addr)

        if broadcast:
            self.settings = replace(settings, broadcast=kept(settings.broadcast))
        else:
            self.settings = replace(settings, hosts=kept(settings.hosts))
        key = "broadcast" if broadcast else "hosts"
        return Preferences(self.settings).remove_from_list(key, text)

    def set_peer_encoding(self, key: str, answer: str) -> tuple[str | None, str | None]:
        """The code page of peer ``key`` ("auto" or "" for automatic); UnknownCodec for a
        name we do not know. Returns the codec set and a problem saving it."""
        codec = None if answer.lower() in ("", "auto") else normalize_codec(answer)
        self.node.set_peer_encoding(key, codec)
        table = dict(self.settings.peer_encodings)
        if codec is None:
            table.pop(key, None)
        else:
            table[key] = codec
        self.settings = replace(self.settings, peer_encodings=table)
        return codec, Preferences(self.settings).set_peer_encoding(key, codec)

    def remember(self, **changes: Any) -> str | None:
        """Save settings only a front end uses (the theme); a problem is returned."""
        self.settings = replace(self.settings, **changes)
        return self._save(**changes)

    def _save(self, **changes: Any) -> str | None:
        return Preferences(self.settings).save(**changes)
