"""The IPMSG presence and messaging engine: a sans-IO state machine.

Feed it datagrams with :meth:`Engine.receive_datagram`, wake it at :meth:`Engine.get_timer`
with :meth:`Engine.handle_timer`, and call the action methods (``send_message``,
``open_sealed`` ...). Take what it produced with :meth:`Engine.datagrams_to_send` and
:meth:`Engine.events`. Time is always passed in (wall-clock seconds), so runs are
deterministic and two engines can be wired together without sockets.

An adapter must deliver the events of a step before it sends that step's datagrams: a
RECVMSG then never leaves before the message it acknowledges has been handed over (and, in
the apps, committed to the history). If handing over fails, :meth:`Engine.retract` takes
the acknowledgement back, so the sender retransmits.

Encryption (keys, sealing and unsealing messages) is the :class:`.keyexchange.KeyExchange`
mixin: it takes effect once :meth:`set_keys` gave the engine our key pairs.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from . import events as ev
from . import text as wire_text
from .attachments import (
    COLON_FOR_IPTUX,
    ESCAPED_COLON,
    Attachment,
    format_attachments,
    parse_attachments,
)
from .codepages import incoming_codec, outgoing_codec
from .constants import (
    MAX_DATAGRAM_DEFAULT,
    MAX_DATAGRAM_IPTUX,
    MAX_NAME_BYTES,
    NO_REPLY_OPTS,
    Command,
    EntryOpt,
    SendOpt,
    get_mode,
)
from .dedup import DedupCache
from .engineconfig import EngineConfig
from .entry import EntryDecoder, build_entry, version_text
from .floodguard import FloodGuard
from .iptuxreading import TELLING_MODES, IptuxReading
from .keyexchange import ENCRYPTION_CAPABILITIES, KeyExchange
from .keyring import (
    KeyRing,
    WaitingSend,
)
from .liveness import SilenceWatch
from .packet import IPDictPacket, Packet, ParseError, format_packet, join_parts, parse_packet
from .peers import Addr, Peer, PeerTable
from .retransmit import Pending, Retransmissions, RetryKey, RetryKind
from .seen import EntryCopy, MessageKey, SeenKey, SeenMessage, SeenReadNotice

ENCRYPTED_NOTICE = "[encrypted message, not supported: ask the sender to turn encryption off]"
NOT_ABSENT_TEXT = "Not absence mode"
# Entry flags we advertise. Never CAPIPDICTOPT/CAPFILEENCOPT/CLIPBOARDOPT: peers would then
# send what we cannot read. ENCRYPTOPT|ENCEXTMSGOPT only once our keys are there.
OUR_CAPABILITIES = EntryOpt.FILEATTACHOPT | EntryOpt.CAPUTF8OPT
_ENTRY_MODES = frozenset({Command.BR_ENTRY, Command.ANSENTRY, Command.BR_ABSENCE})
# Copies of one BR_ENTRY (one per broadcast address) arrive within this many seconds.
_ENTRY_COPY_WINDOW = 3.0
# Plain ints for the hot path (IntFlag arithmetic is slow).
_PER_PACKET_ENTRY_BITS = int(EntryOpt.DIALUPOPT | EntryOpt.UTF8OPT)
_CAPUTF8 = int(EntryOpt.CAPUTF8OPT)
_UTF8OPT = int(SendOpt.UTF8OPT)  # the same bit in entry and send options
_SENDCHECK = int(SendOpt.SENDCHECKOPT)
_SEALED = int(SendOpt.SECRETOPT | SendOpt.READCHECKOPT)
_MULTICAST = int(SendOpt.MULTICASTOPT)
_FILEATTACH = int(SendOpt.FILEATTACHOPT)
_OUR_CAPABILITIES = int(OUR_CAPABILITIES)
# An encrypted part in hex (the widest encoding): head, RSA-2048 session key and signature
# (512 hex digits each), separators; the body doubles and pads to a block.
_ENCRYPTION_OVERHEAD = 16 + 2 * 512


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One SENDMSG as sent: a long text goes out as several parts, one packet each."""

    packet_no: int
    text: str
    recipients: tuple[Addr, ...]
    part: int = 1
    parts: int = 1


class EngineError(Exception):
    pass


_Handler = Callable[["Engine", Packet, Addr, float], None]


class Engine(KeyExchange):
    def __init__(self, config: EngineConfig, now: float) -> None:
        self.config = config
        self.nick = config.nick
        self.group = config.group
        self.away = config.away
        self.away_text = config.away_text
        self.peers = PeerTable(config.max_peers)
        self.started = False
        self.stats: dict[str, int] = {}
        self._peer_encodings: dict[str, str] = dict(config.peer_encodings)
        # Packet numbers start at the current Unix time and only increase, so peers that drop
        # "old" numbers (iptux) still take our messages after a restart.
        self._packet_counter = itertools.count(int(now))
        self._version = config.version_field.replace(":", "_").encode("ascii", "replace")
        # (datagram, addr, tag): a tag marks an acknowledgement so that it can be retracted.
        self._outbox: list[tuple[bytes, Addr, MessageKey | None]] = []
        self._events: deque[ev.Event] = deque()
        self._dedup: DedupCache[SeenKey] = DedupCache(config.dedup_size, config.dedup_ttl)
        self._entry_copies: DedupCache[EntryCopy] = DedupCache(
            config.dedup_size, _ENTRY_COPY_WINDOW
        )
        # The highest packet number of every sender heard lately (restarts, confirmation).
        self._last_packet_no: OrderedDict[Addr, int] = OrderedDict()
        self._heard_before = False  # about the datagram being handled
        self._exited: OrderedDict[Addr, bool] = OrderedDict()  # said BR_EXIT, not back yet
        self._probed: OrderedDict[Addr, float] = OrderedDict()
        self._retries = Retransmissions(config.retry_interval, self._max_sends)
        self._entry_ext_cache: dict[tuple[str, str, str], bytes] = {}
        self._header_names: dict[str, tuple[bytes, bytes]] = {}  # codec -> (user, host)
        self._header_bytes: int | None = None
        self._entries = EntryDecoder(config.legacy_codec, config.dedup_size)
        self._iptux_reading = IptuxReading(config.max_peers)
        self._guard = FloodGuard(
            config.stranger_message_rate,
            config.unconfirmed_answer_rate,
            config.max_owed_answers,
            config.dedup_size,
            config.dedup_ttl,
            config.unconfirmed_decrypt_rate,
        )
        self._ring = KeyRing(policy=config.encryption, max_peers=config.max_peers)
        self._rejected: DedupCache[MessageKey] = DedupCache(config.dedup_size, config.dedup_ttl)
        self._silence = SilenceWatch(config.silent_after, config.probe_answer_within)
        self._rebroadcast_at: float | None = None
        self._refresh_started: float | None = None
        self._refresh_deadline: float | None = None

    # ------------------------------------------------------------------ outputs

    def datagrams_to_send(self) -> list[tuple[bytes, Addr]]:
        out = [(datagram, addr) for datagram, addr, _ in self._outbox]
        self._outbox.clear()
        return out

    def events(self) -> list[ev.Event]:
        out = list(self._events)
        self._events.clear()
        return out

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must run next, or None."""
        timers = [
            self._rebroadcast_at,
            self._refresh_deadline,
            self._retries.next_due(),
            self._guard.next_due(),
            self._ring.next_due(),
            self._silence.next_due(),
        ]
        return min((t for t in timers if t is not None), default=None)

    def pending_count(self) -> int:
        return len(self._retries)

    def next_packet_no(self) -> int:
        """A fresh packet number, for requests sent outside the engine (TCP)."""
        return next(self._packet_counter)

    def codec_for(self, addr: Addr) -> tuple[str, bool]:
        """The code page we write to the peer at ``addr`` in, and whether it reads UTF8OPT."""
        return outgoing_codec(self.peers.get(addr), self.config.legacy_codec)

    def folder_names_codec(self, addr: Addr) -> str:
        """The code page for the names in a folder stream to ``addr`` that did not ask for
        UTF-8: for iptux the one it reads us in right now (see :mod:`.iptuxreading`)."""
        peer = self.peers.get(addr)
        if peer is not None and peer.is_iptux and not peer.encoding_override:
            reads_utf8 = self._iptux_reading.reads_utf8(addr)
            return wire_text.UTF8 if reads_utf8 else self.config.legacy_codec
        return self.codec_for(addr)[0]

    def request_packet(self, addr: Addr, mode: int, extension: bytes) -> bytes:
        """A NUL-terminated request for the TCP connection to ``addr`` (GETFILEDATA...):
        a fresh packet number, our names in the peer's code page, UTF8OPT if it reads it
        (then a folder stream comes back with UTF-8 names)."""
        codec, utf8 = self.codec_for(addr)
        command = mode | (SendOpt.UTF8OPT if utf8 else 0)
        return self._packet(self.next_packet_no(), command, extension, codec) + b"\0"

    # ------------------------------------------------------------------ presence

    def start(self, now: float) -> None:
        """Announce ourselves (BR_ENTRY), and once more a little later for slow listeners.

        A NOOPERATION goes first, as Windows does: it makes us a sender heard before, whose
        BR_ENTRY a peer under a flood of spoofed entries can trust and answer at once.
        """
        self.started = True
        self._announce(Command.NOOPERATION)
        self._announce(Command.BR_ENTRY)
        self._rebroadcast_at = now + self.config.rebroadcast_after
        self._silence.start(now)

    def fitting_name(self, name: str) -> str:
        """What every peer receives of ``name`` (a nick or group): entry packets carry at most
        MAX_NAME_BYTES of it in each code page we write, UTF-8 and the legacy one."""
        for codec in (wire_text.UTF8, self.config.legacy_codec):
            name = wire_text.truncate_encoded(name, codec, MAX_NAME_BYTES)
        return name

    def refresh(self, now: float) -> None:
        """Re-announce; peers that do not answer within the refresh window are dropped."""
        self._announce(Command.BR_ENTRY)
        self._refresh_started = now
        self._refresh_deadline = now + self.config.refresh_window

    def stop(self, now: float) -> None:
        """BR_EXIT to every target and every known peer; pending sends are abandoned."""
        self._announce(Command.BR_EXIT, include_peers=True)
        self._retries.clear()
        self._silence.stop()
        self._rebroadcast_at = self._refresh_deadline = self._refresh_started = None
        self.started = False

    def set_presence(
        self,
        now: float,
        *,
        nick: str | None = None,
        group: str | None = None,
        away: bool | None = None,
        away_text: str | None = None,
    ) -> None:
        """Change nick, group or away state and tell everyone (BR_ABSENCE)."""
        if nick is not None:
            self.nick = nick
        if group is not None:
            self.group = group
        if away is not None:
            self.away = away
        if away_text is not None:
            self.away_text = away_text
        if self.started:
            self._announce(Command.BR_ABSENCE)

    def add_target(self, addr: Addr, *, broadcast: bool = False) -> None:
        """One more broadcast address or far host to announce ourselves to, from now on.

        It hears our BR_ENTRY at once (if we are started), so its peers answer right away.
        """
        if broadcast:
            if addr not in self.config.broadcast_targets:
                targets = (*self.config.broadcast_targets, addr)
                self.config = replace(self.config, broadcast_targets=targets)
        elif addr not in self.config.unicast_targets:
            self.config = replace(self.config, unicast_targets=(*self.config.unicast_targets, addr))
        if self.started:
            entry = self._entry_packet(
                Command.BR_ENTRY, self.next_packet_no(), dialup=not broadcast
            )
            self._queue(entry, addr)

    def remove_target(self, addr: Addr, *, broadcast: bool = False) -> None:
        """Stop announcing ourselves to a broadcast address or far host (peers found
        through it stay until they leave)."""
        if broadcast:
            targets = tuple(t for t in self.config.broadcast_targets if t != addr)
            self.config = replace(self.config, broadcast_targets=targets)
        else:
            targets = tuple(t for t in self.config.unicast_targets if t != addr)
            self.config = replace(self.config, unicast_targets=targets)

    def set_peer_encoding(self, key: str, codec: str | None) -> None:
        """Override (with None: stop overriding) the code page of the peer ``user@host``."""
        if codec is None:
            self._peer_encodings.pop(key, None)
        else:
            self._peer_encodings[key] = wire_text.normalize_codec(codec)
        for peer in self.peers:
            if peer.key == key:
                self._store_peer(
                    replace(peer, encoding_override=self._peer_encodings.get(key)), peer
                )

    # ------------------------------------------------------------------ messages

    def send_message(
        self,
        recipients: Sequence[Addr],
        text: str,
        now: float,
        *,
        sealed: bool = False,
        attachments: Sequence[Attachment] = (),
        multicast: bool | None = None,
    ) -> list[OutgoingMessage]:
        """Send ``text`` to one or more peers, retransmitted until each acknowledges.

        A text too long for one datagram (8 KiB to iptux or unknown peers, 32 KiB to others)
        goes out as several messages, which the result lists. Several recipients share one
        packet number per part and get MULTICASTOPT (``multicast`` True sets it for one
        recipient too: a message to several resent to the one that missed it); each one's
        copy is encrypted to it alone, retransmitted to it alone and acknowledged by it
        (MessageDelivered/MessageFailed per recipient). Attachments ride on the first part.
        """
        recipients = tuple(dict.fromkeys(recipients))
        if not recipients:
            raise EngineError("no recipients")
        if self._ring.policy == "required":
            clear = [addr for addr in recipients if not self.can_encrypt_to(addr)]
            if clear:
                raise EngineError(
                    f"encryption is required, and {self._who(clear[0])} cannot encrypt"
                )
        if len(self._retries) + len(recipients) > self.config.max_pending:
            raise EngineError("too many messages are waiting for an answer; try again shortly")
        options = _SENDCHECK
        if sealed:
            options |= _SEALED
        if len(recipients) > 1 if multicast is None else multicast:
            options |= _MULTICAST
        route = {addr: self.codec_for(addr) for addr in recipients}
        codecs_ = sorted({codec for codec, _ in route.values()})
        list_style = {addr: (codec, self._colon_for(addr)) for addr, (codec, _) in route.items()}
        file_list = {
            style: format_attachments(list(attachments), *style) for style in list_style.values()
        }
        budget = min(self._text_budget(addr, sealing=True) for addr in recipients)
        first_budget = budget - (max(len(b) + 1 for b in file_list.values()) if attachments else 0)
        if attachments and first_budget < 64:
            raise EngineError("too many attachments for one message")
        pieces = wire_text.split_to_fit(text, _measure(codecs_), first_budget, budget)
        sent: list[OutgoingMessage] = []
        for index, piece in enumerate(pieces):
            packet_no = self.next_packet_no()
            with_files = bool(attachments) and index == 0
            for addr, (codec, utf8) in route.items():
                command = Command.SENDMSG | options
                files = file_list[list_style[addr]] if with_files else None
                if with_files:
                    command |= _FILEATTACH
                if utf8:
                    command |= _UTF8OPT
                text_bytes = wire_text.encode(piece, codec)
                self._send_part(
                    WaitingSend(addr, packet_no, command, text_bytes, files, codec), now
                )
            sent.append(OutgoingMessage(packet_no, piece, recipients, index + 1, len(pieces)))
        return sent

    def _colon_for(self, addr: Addr) -> str:
        """How a ``:`` in an attachment name is written to the peer at ``addr``."""
        peer = self.peers.get(addr)
        return COLON_FOR_IPTUX if peer is not None and peer.is_iptux else ESCAPED_COLON

    def broadcast_message(self, text: str, now: float) -> list[OutgoingMessage]:
        """SENDMSG|BROADCASTOPT to every broadcast and unicast target; nobody acks those.
        Always in clear (IPMSG has no group key), so policy "required" refuses it."""
        if self._ring.policy == "required":
            raise EngineError(
                "encryption is required, and messages to everyone are never encrypted"
            )
        codec = self.config.legacy_codec
        budget = MAX_DATAGRAM_IPTUX - self._header_size()
        pieces = wire_text.split_to_fit(text, _measure([codec]), budget, budget)
        targets = tuple(self._broadcast_targets() + self._unicast_targets())
        sent: list[OutgoingMessage] = []
        for index, piece in enumerate(pieces):
            packet_no = self.next_packet_no()
            command = Command.SENDMSG | SendOpt.BROADCASTOPT
            datagram = self._packet(
                packet_no, command, join_parts(wire_text.encode(piece, codec)), codec
            )
            for addr in targets:
                self._queue(datagram, addr)
            sent.append(OutgoingMessage(packet_no, piece, targets, index + 1, len(pieces)))
        return sent

    def open_sealed(self, addr: Addr, packet_no: int, read_check: bool, now: float) -> None:
        """The user opened a sealed message: READMSG, retried until ANSREADMSG if asked."""
        codec, utf8 = self.codec_for(addr)
        command = Command.READMSG | (SendOpt.READCHECKOPT if read_check else 0)
        command |= SendOpt.UTF8OPT if utf8 else 0
        read_no = self.next_packet_no()
        datagram = self._packet(read_no, command, join_parts(b"%d" % packet_no), codec)
        self._queue(datagram, addr)
        if read_check:
            key = RetryKey(addr, RetryKind.READ_NOTICE, read_no)
            self._retries.add(key, datagram, now, reported_no=packet_no)

    def request_info(self, addr: Addr, now: float, kind: str = "version") -> None:
        """GETINFO (``kind`` "version") or GETABSENCEINFO ("absence"), retried until answered."""
        mode = Command.GETINFO if kind == "version" else Command.GETABSENCEINFO
        codec, utf8 = self.codec_for(addr)
        command = mode | (SendOpt.UTF8OPT if utf8 else 0)
        datagram = self._packet(self.next_packet_no(), command, b"\0", codec)
        self._queue(datagram, addr)
        self._retries.add(RetryKey(addr, RetryKind.info(kind)), datagram, now)

    def release_files(self, addr: Addr, packet_no: int) -> None:
        """RELEASEFILES: we will not download the attachments of message ``packet_no``."""
        codec, _ = self.codec_for(addr)
        body = join_parts(b"%d" % packet_no)
        self._queue(self._packet(self.next_packet_no(), Command.RELEASEFILES, body, codec), addr)

    def retract(self, event: ev.MessageReceived) -> None:
        """Take back the acknowledgement of a message the application could not keep."""
        tag = MessageKey(event.addr, event.packet_no)
        self._dedup.forget_where(lambda key: isinstance(key, SeenMessage) and key.message == tag)
        self._outbox = [entry for entry in self._outbox if entry[2] != tag]

    # ------------------------------------------------------------------ timers

    def handle_timer(self, now: float, answers_fit: bool = True) -> None:
        """Retransmit, re-announce, expire and pay owed answers that are due.

        ``answers_fit`` False (the adapter's send queue is crowded, typically with answers to
        spoofed addresses that never resolve) keeps the owed entry answers owed: sending them
        now would only crowd it further, and they would be dropped on the way anyway.
        """
        if answers_fit:
            for addr in self._guard.entry_answers_due(now):
                peer = self.peers.get(addr)
                if peer is not None:  # still there
                    self._send_ansentry(peer)
        if self._rebroadcast_at is not None and now >= self._rebroadcast_at:
            self._rebroadcast_at = None
            self._announce(Command.BR_ENTRY)
        if self._refresh_deadline is not None and now >= self._refresh_deadline:
            started = self._refresh_started if self._refresh_started is not None else now
            self._refresh_deadline = self._refresh_started = None
            for peer in self.peers:
                if peer.last_seen < started:
                    self.peers.remove(peer.addr)
                    self._events.append(ev.PeerLeft(peer, "refresh"))
        self._key_requests_due(now)
        ask, silent = self._silence.sweep(now, self.peers)
        for addr in ask:
            self._queue(self._entry_packet(Command.BR_ENTRY, self.next_packet_no()), addr)
        for peer in silent:
            self.peers.remove(peer.addr)
            self._events.append(ev.PeerLeft(peer, "silent"))
        again, given_up = self._retries.due(now)
        for pending in again:
            self._queue(pending.datagram, pending.addr)
        for pending in given_up:
            self._report_failure(pending)

    # ------------------------------------------------------------------ input

    def is_self(self, addr: Addr) -> bool:
        return addr[1] == self.config.port and addr[0] in self.config.local_ips

    def receive_datagram(self, data: bytes, addr: Addr, now: float) -> None:
        """Handle one datagram; bad input is dropped with a PacketDropped event."""
        if self.is_self(addr):
            return
        try:
            packet = parse_packet(data)
        except IPDictPacket:
            self._count("ipdict packet")
            reason = "encrypted message (IP Messenger IPDict), not supported"
            self._events.append(ev.UnsupportedPacket(addr, self.peers.get(addr), reason))
            return
        except ParseError as error:
            self._drop(addr, error.reason)
            return
        if packet.version != 1:
            self._drop(addr, "unsupported version")
            return
        # A sender heard before is real enough to answer at once (see floodguard.py); the
        # memory of senders outlives the peer table's churn under a flood.
        self._heard_before = addr in self._last_packet_no
        if self._note_packet_no(addr, packet.packet_no, entry=packet.mode in _ENTRY_MODES):
            # Its packet numbers start over: forget the ones we saw from its previous run.
            self._dedup.forget_where(lambda key: key.addr == addr)
            self._entry_copies.forget_where(lambda key: key.addr == addr)
        handler = _HANDLERS.get(packet.mode)
        if handler is None:  # FeiQ typing notices, iptux icons, v4 directory packets ...
            self._drop(addr, f"ignored command 0x{packet.mode:02x}")
            self.peers.touch(addr, now)
            return
        handler(self, packet, addr, now)
        if packet.mode in TELLING_MODES and not data.isascii():
            peer = self.peers.get(addr)
            if peer is not None and peer.is_iptux:
                self._iptux_reading.heard(packet, addr, data)

    # ------------------------------------------------------------------ handlers

    def _on_entry(self, packet: Packet, addr: Addr, now: float) -> None:
        peer = self.peers.get(addr)
        fields = self._entries.decode(packet, peer.encoding_override if peer is not None else None)
        # iptux always sets ABSENCEOPT; there it means nothing.
        away = packet.has(EntryOpt.ABSENCEOPT) and not fields.from_iptux
        # Names in plain ASCII say nothing of a code page: the peer's stays what it was.
        previous_codec = peer.codec if peer is not None else ""
        codec = fields.codec if fields.codec_seen else previous_codec
        updated = Peer(
            addr=addr,
            user=fields.user,
            host=fields.host,
            nick=fields.nick,
            group=fields.group,
            away=away,
            away_text=peer.away_text if peer is not None and away else "",
            version=fields.version,
            capabilities=_capabilities(packet),
            dialup=packet.has(EntryOpt.DIALUPOPT) or (peer is not None and peer.dialup),
            last_seen=now,
            announced=True,
            confirmed=self._heard_before or packet.mode == Command.ANSENTRY,
            codec=codec,
            iptux_encoding=fields.iptux_encoding,
            encoding_override=self._peer_encodings.get(f"{fields.user}@{fields.host}"),
        )
        if packet.mode == Command.BR_ENTRY:
            self._ring.silent.discard(addr)  # (re)started: it may answer key requests now
            if not self._entry_copies.check_and_add(EntryCopy(addr, packet.packet_no), now):
                self._answer_entry(updated, now)
        self._store_peer(updated, peer)

    def _on_exit(self, packet: Packet, addr: Addr, now: float) -> None:
        # Only the sender's own address leaves: a BR_EXIT cannot remove anyone else. Its
        # last packet number is kept, to recognise its restart when it comes back.
        peer = self.peers.remove(addr)
        self._exited[addr] = True
        _bound(self._exited, self.config.sender_memory)
        if peer is not None:
            self._events.append(ev.PeerLeft(peer, "exit"))

    def _on_sendmsg(self, packet: Packet, addr: Addr, now: float) -> None:
        known = self.peers.get(addr)
        stranger = known is None or not known.announced
        if stranger and not self._guard.admit_stranger_message(addr, packet.packet_no, now):
            self._drop(addr, "message from a stranger over the rate limit")
            return
        peer = self._sender(packet, addr, now)
        no_reply = packet.has(NO_REPLY_OPTS)
        wants_ack = packet.has(SendOpt.SENDCHECKOPT) and not no_reply
        if packet.has(SendOpt.ENCRYPTOPT) and self._ring.ready:
            self._on_encrypted_sendmsg(packet, peer, wants_ack, now)
            return
        tag = MessageKey(addr, packet.packet_no)
        if wants_ack:  # duplicates too: our first RECVMSG may have been lost
            self._reply(peer, Command.RECVMSG, b"%d" % packet.packet_no, now, tag=tag)
        # A retransmission repeats the content; a restarted sender reusing the number of an
        # earlier message (iptux counts from 1, quick restarts reuse Unix-time numbers) does
        # not, so its new message is not mistaken for a duplicate.
        parts = packet.parts()
        if self._dedup.check_and_add(SeenMessage(tag, hash(tuple(parts))), now):
            self._count("duplicate message")
            return
        codec = incoming_codec(packet, peer, self.config.legacy_codec)
        encrypted = packet.has(SendOpt.ENCRYPTOPT)
        if encrypted:  # encryption off, or our keys are not made yet
            self._emit_message(packet, peer, ENCRYPTED_NOTICE, [], now, wants_ack, encrypted=True)
            return
        body = wire_text.decode(parts[0] if parts else b"", codec)
        files = parts[1] if packet.has(SendOpt.FILEATTACHOPT) and len(parts) > 1 else None
        self._emit_message(packet, peer, body, self._attachments(files, codec), now, wants_ack)

    def _attachments(self, files: bytes | None, codec: str) -> list[Attachment]:
        if not files:
            return []
        attachments, bad = parse_attachments(files, codec)
        if bad:
            self._count("bad attachment entry", bad)
        return attachments

    def _emit_message(
        self,
        packet: Packet,
        peer: Peer,
        raw_text: str,
        attachments: list[Attachment],
        now: float,
        wants_ack: bool,
        *,
        encrypted: bool = False,
        decrypted: bool = False,
        signed: bool = False,
        key_changed: bool = False,
        others: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Hand a message over; a decrypted one is acknowledged only now (a clear one was
        at once), then answered if we are away."""
        text = wire_text.clean_text(raw_text)
        if peer.is_feiq:
            text = _strip_feiq_format(text)
        self._events.append(
            ev.MessageReceived(
                peer=peer,
                packet_no=packet.packet_no,
                text=text,
                timestamp=now,
                sealed=packet.has(SendOpt.SECRETOPT),
                read_check=packet.has(SendOpt.READCHECKOPT),
                locked=packet.has(SendOpt.PASSWORDOPT),
                multicast=packet.has(SendOpt.MULTICASTOPT),
                broadcast=packet.has(SendOpt.BROADCASTOPT),
                auto_reply=packet.has(SendOpt.AUTORETOPT),
                acknowledged=wants_ack,
                attachments=tuple(attachments),
                encrypted=encrypted,
                decrypted=decrypted,
                signed=signed,
                key_changed=key_changed,
                others=others,
            )
        )
        if wants_ack and decrypted:  # a clear message was acknowledged first
            tag = MessageKey(peer.addr, packet.packet_no)
            self._reply(peer, Command.RECVMSG, b"%d" % packet.packet_no, now, tag=tag)
        if self.away and self.config.auto_reply and not packet.has(NO_REPLY_OPTS):
            self._auto_reply(peer, now)

    def _on_recvmsg(self, packet: Packet, addr: Addr, now: float) -> None:
        self.peers.touch(addr, now)
        number = _ext_number(packet)
        if number is None:
            return
        if self._retries.resolve(RetryKey(addr, RetryKind.MESSAGE, number)) is not None:
            self._events.append(ev.MessageDelivered(addr, number))

    def _on_readmsg(self, packet: Packet, addr: Addr, now: float) -> None:
        self.peers.touch(addr, now)
        number = _ext_number(packet)
        if number is None:
            self._drop(addr, "bad READMSG")
            return
        if packet.has(SendOpt.READCHECKOPT):
            number_text = b"%d" % packet.packet_no
            self._reply(self.peers.get(addr), Command.ANSREADMSG, number_text, now, addr=addr)
        if not self._dedup.check_and_add(SeenReadNotice(addr, number), now):
            self._events.append(ev.MessageOpened(addr, number))

    def _on_ansreadmsg(self, packet: Packet, addr: Addr, now: float) -> None:
        self.peers.touch(addr, now)
        number = _ext_number(packet)
        if number is None:
            return
        pending = self._retries.resolve(RetryKey(addr, RetryKind.READ_NOTICE, number))
        if pending is not None:
            self._events.append(ev.ReadNoticeDelivered(addr, pending.reported_no))

    def _on_getinfo(self, packet: Packet, addr: Addr, now: float) -> None:
        self.peers.touch(addr, now)
        peer = self.peers.get(addr)
        codec, _ = outgoing_codec(peer, self.config.legacy_codec)
        body = wire_text.encode(self.config.info_text, codec)
        self._reply(peer, Command.SENDINFO, body, now, addr=addr)

    def _on_getabsenceinfo(self, packet: Packet, addr: Addr, now: float) -> None:
        self.peers.touch(addr, now)
        peer = self.peers.get(addr)
        codec, _ = outgoing_codec(peer, self.config.legacy_codec)
        text = (self.away_text or "Away") if self.away else NOT_ABSENT_TEXT
        self._reply(peer, Command.SENDABSENCEINFO, wire_text.encode(text, codec), now, addr=addr)

    def _on_sendinfo(self, packet: Packet, addr: Addr, now: float) -> None:
        self.peers.touch(addr, now)
        kind = "version" if packet.mode == Command.SENDINFO else "absence"
        if self._retries.resolve(RetryKey(addr, RetryKind.info(kind))) is None:
            return  # unasked, or a duplicate answer
        peer = self.peers.get(addr)
        codec = incoming_codec(packet, peer, self.config.legacy_codec)
        parts = packet.parts()
        text = wire_text.clean_text(wire_text.decode(parts[0] if parts else b"", codec))
        if kind == "absence" and peer is not None and peer.away:
            self._store_peer(replace(peer, away_text=wire_text.clean_name(text, 200)), peer)
        self._events.append(ev.InfoReceived(addr, kind, text))

    def _on_releasefiles(self, packet: Packet, addr: Addr, now: float) -> None:
        self.peers.touch(addr, now)
        number = _ext_number(packet)
        if number is not None:
            self._events.append(ev.FilesReleased(addr, number))

    def _on_nooperation(self, packet: Packet, addr: Addr, now: float) -> None:
        self.peers.touch(addr, now)

    # ------------------------------------------------------------------ peers

    def _sender(self, packet: Packet, addr: Addr, now: float) -> Peer:
        """The peer a message came from; a stranger becomes a peer and is asked who it is."""
        known = self.peers.touch(addr, now)
        if known is not None:
            return known
        codec = incoming_codec(packet, None, self.config.legacy_codec)
        user = wire_text.clean_name(wire_text.decode(packet.user, codec))
        host = wire_text.clean_name(wire_text.decode(packet.host, codec))
        stranger = Peer(
            addr=addr,
            user=user,
            host=host,
            version=version_text(packet),
            last_seen=now,
            announced=False,
            confirmed=self._heard_before,
            codec=codec,
            encoding_override=self._peer_encodings.get(f"{user}@{host}"),
        )
        stranger = self._store_peer(stranger, None)
        one_shot = packet.has(SendOpt.NOADDLISTOPT | NO_REPLY_OPTS)
        last_probe = self._probed.get(addr)
        due = last_probe is None or now - last_probe > self.config.probe_interval
        if not one_shot and due and self._may_answer(False, now):
            self._probed[addr] = now
            _bound(self._probed, self.config.max_peers)
            self._queue(self._entry_packet(Command.BR_ENTRY, self.next_packet_no()), addr)
        return stranger

    def _store_peer(self, peer: Peer, previous: Peer | None) -> Peer:
        """Keep ``peer`` and report it; returns it as kept (the table decides ``twin``)."""
        evicted = self.peers.put(peer)
        peer = self.peers.get(peer.addr) or peer
        if evicted is not None:
            self._events.append(ev.PeerLeft(evicted, "evicted"))
        if previous is None:
            self._events.append(ev.PeerJoined(peer))
        elif _visible(previous) != _visible(peer):
            self._events.append(ev.PeerChanged(peer, previous))
        return peer

    def _note_packet_no(self, addr: Addr, packet_no: int, entry: bool = False) -> bool:
        """Track the highest packet number from ``addr``; True when the sender restarted.

        A restart is an entry packet after the sender's BR_EXIT, or one whose number fell
        below half the highest seen (iptux counts from 1 on every start, after a crash too).
        A packet that is only late or reordered has a number just below the highest: taking
        it for a restart would show retransmissions of messages already shown again.
        """
        last = self._last_packet_no.get(addr)
        exited = entry and self._exited.pop(addr, False)
        restarted = entry and last is not None and (exited or packet_no < last // 2)
        if last is None or restarted or packet_no > last:
            self._last_packet_no[addr] = packet_no
        self._last_packet_no.move_to_end(addr)
        _bound(self._last_packet_no, self.config.sender_memory)
        return restarted

    # ------------------------------------------------------------------ sending

    def _who(self, addr: Addr) -> str:
        peer = self.peers.get(addr)
        return peer.name if peer is not None else f"{addr[0]}:{addr[1]}"

    def _queue(self, datagram: bytes, addr: Addr, tag: MessageKey | None = None) -> None:
        self._outbox.append((datagram, addr, tag))
        broadcast = addr in self.config.broadcast_targets
        if broadcast or ((peer := self.peers.get(addr)) is not None and peer.is_iptux):
            mode = get_mode(int(datagram.split(b":", 5)[4]))
            self._iptux_reading.sent(mode, datagram, None if broadcast else addr)

    def _header_size(self) -> int:
        if self._header_bytes is None:  # our names never change: measure them once
            self._header_bytes = len(self._packet(0xFFFFFFFFFF, 0xFFFFFFFF, b"", wire_text.UTF8))
        return self._header_bytes * 2

    def _text_budget(self, addr: Addr, sealing: bool = False) -> int:
        """Bytes of text (and attachment list) one datagram to ``addr`` can carry; with
        ``sealing``, encrypted if we would encrypt to it."""
        peer = self.peers.get(addr)
        known_big = peer is not None and peer.announced and not peer.is_iptux
        limit = MAX_DATAGRAM_DEFAULT if known_big else MAX_DATAGRAM_IPTUX
        budget = limit - self._header_size() - 1
        if sealing and self.can_encrypt_to(addr):
            budget = (budget - _ENCRYPTION_OVERHEAD) // 2 - 16
        return budget

    def _packet(self, packet_no: int, command: int, extension: bytes, codec: str) -> bytes:
        names = self._header_names.get(codec)
        if names is None:  # every datagram carries them: encode once per code page
            user = wire_text.encode(wire_text.wire_name(self.config.user), codec)
            host = wire_text.encode(wire_text.wire_name(self.config.host), codec)
            names = self._header_names[codec] = (user, host)
        return format_packet(self._version, packet_no, names[0], names[1], command, extension)

    def _entry_packet(
        self, mode: int, packet_no: int, utf8: bool = False, dialup: bool = False
    ) -> bytes:
        codec = wire_text.UTF8 if utf8 else self.config.legacy_codec
        command = mode | _OUR_CAPABILITIES
        if self._ring.ready:
            command |= ENCRYPTION_CAPABILITIES
        if self.away:
            command |= EntryOpt.ABSENCEOPT
        if utf8:
            command |= _UTF8OPT
        if dialup:  # "send me your entry/exit/absence by unicast": we are beyond its broadcast
            command |= EntryOpt.DIALUPOPT
        return self._packet(packet_no, command, self._entry_extension(codec), codec)

    def _entry_extension(self, codec: str) -> bytes:
        # Every BR_ENTRY we hear is answered with one of these: build it once per state.
        key = (codec, self.nick, self.group)
        cached = self._entry_ext_cache.get(key)
        if cached is None:
            nick = wire_text.truncate_encoded(self.nick, codec, MAX_NAME_BYTES)
            group = wire_text.truncate_encoded(self.group, codec, MAX_NAME_BYTES)
            cached = build_entry(nick, group, self.config.user, self.config.host, codec)
            if len(self._entry_ext_cache) > 8:
                self._entry_ext_cache.clear()
            self._entry_ext_cache[key] = cached
        return cached

    def _may_answer(self, confirmed: bool, now: float) -> bool:
        if self._guard.may_answer(confirmed, now):
            return True
        self._count("answer to an unconfirmed sender over the rate limit")
        return False

    def _answer_entry(self, peer: Peer, now: float) -> None:
        if self._guard.answer_entry_now(peer.confirmed, now):
            self._send_ansentry(peer)
        elif self._guard.owe_entry_answer(peer.addr):
            self._count("entry answer queue full, oldest dropped")

    def _send_ansentry(self, peer: Peer) -> None:
        # UTF-8 to peers that read it (as Windows does); the legacy code page otherwise.
        utf8 = peer.speaks_utf8 and peer.encoding_override in (None, wire_text.UTF8)
        self._queue(self._entry_packet(Command.ANSENTRY, self.next_packet_no(), utf8), peer.addr)

    def _broadcast_targets(self) -> list[Addr]:
        return list(self.config.broadcast_targets)

    def _unicast_targets(self) -> list[Addr]:
        """Configured hosts, and peers that asked for unicast presence (DIALUPOPT)."""
        dialup = [p.addr for p in self.peers if p.dialup]
        return list(dict.fromkeys([*self.config.unicast_targets, *dialup]))

    def _announce(self, mode: int, include_peers: bool = False) -> None:
        """One entry-type packet to every broadcast target, and by unicast beyond them."""
        packet_no = self.next_packet_no()
        broadcasts = self._broadcast_targets()
        plain = self._entry_packet(mode, packet_no)
        for addr in broadcasts:
            self._queue(plain, addr)
        unicasts = self._unicast_targets()
        if include_peers:
            unicasts += [p.addr for p in self.peers]
        dialup = self._entry_packet(mode, packet_no, dialup=True)
        for addr in dict.fromkeys(unicasts):
            if addr not in broadcasts:
                self._queue(dialup, addr)

    def _reply(
        self,
        peer: Peer | None,
        mode: int,
        body: bytes,
        now: float,
        *,
        addr: Addr | None = None,
        tag: MessageKey | None = None,
    ) -> None:
        target = addr if addr is not None else (peer.addr if peer is not None else None)
        if target is None or not self._may_answer(peer is not None and peer.confirmed, now):
            return
        codec, utf8 = outgoing_codec(peer, self.config.legacy_codec)
        # Windows sends RECVMSG without UTF8OPT; there is nothing to decode in it.
        command = mode | (_UTF8OPT if utf8 and mode != Command.RECVMSG else 0)
        datagram = self._packet(self.next_packet_no(), command, body + b"\0", codec)
        self._queue(datagram, target, tag)

    def _auto_reply(self, peer: Peer, now: float) -> None:
        if not self._may_answer(peer.confirmed, now):
            return
        codec, utf8 = outgoing_codec(peer, self.config.legacy_codec)
        command = Command.SENDMSG | SendOpt.AUTORETOPT | (SendOpt.UTF8OPT if utf8 else 0)
        text = self.away_text or "I am away from my desk."
        body = join_parts(wire_text.encode(text, codec))
        packet_no = self.next_packet_no()
        self._queue(self._packet(packet_no, command, body, codec), peer.addr)
        self._events.append(ev.AutoReplySent(peer, packet_no, text, self.nick, now))

    def _max_sends(self, kind: RetryKind) -> int:
        # Read notices are cheap and users care about them: twice as long, as Windows does.
        count = self.config.retry_count
        return count * 2 if kind is RetryKind.READ_NOTICE else count

    def _report_failure(self, pending: Pending) -> None:
        if pending.kind is RetryKind.MESSAGE:
            self._events.append(ev.MessageFailed(pending.addr, pending.reported_no))
        elif (info := pending.kind.info_kind) is not None:
            self._events.append(ev.InfoFailed(pending.addr, info))

    def _drop(self, addr: Addr, reason: str) -> None:
        self._count(reason)
        self._events.append(ev.PacketDropped(addr, reason))

    def _count(self, reason: str, amount: int = 1) -> None:
        self.stats[reason] = self.stats.get(reason, 0) + amount


_HANDLERS: dict[int, _Handler] = {
    Command.NOOPERATION: Engine._on_nooperation,
    Command.BR_ENTRY: Engine._on_entry,
    Command.ANSENTRY: Engine._on_entry,
    Command.BR_ABSENCE: Engine._on_entry,
    Command.BR_EXIT: Engine._on_exit,
    Command.SENDMSG: Engine._on_sendmsg,
    Command.RECVMSG: Engine._on_recvmsg,
    Command.READMSG: Engine._on_readmsg,
    Command.ANSREADMSG: Engine._on_ansreadmsg,
    Command.GETINFO: Engine._on_getinfo,
    Command.GETABSENCEINFO: Engine._on_getabsenceinfo,
    Command.SENDINFO: Engine._on_sendinfo,
    Command.SENDABSENCEINFO: Engine._on_sendinfo,
    Command.RELEASEFILES: Engine._on_releasefiles,
    Command.GETPUBKEY: Engine._on_getpubkey,
    Command.ANSPUBKEY: Engine._on_anspubkey,
}


def _measure(codecs_: list[str]) -> Callable[[str], int]:
    """Encoded size of a text in the widest of the recipients' code pages."""
    return lambda piece: max(len(wire_text.encode(piece, c)) for c in codecs_)


def _bound(table: OrderedDict[Addr, Any], limit: int) -> None:
    while len(table) > limit:
        table.popitem(last=False)


def _capabilities(packet: Packet) -> int:
    """What an entry packet says the peer can do. DIALUPOPT (how to reach it) and UTF8OPT
    (how this one packet is coded) vary between copies, so they are not kept as such."""
    options = packet.options & ~_PER_PACKET_ENTRY_BITS
    if packet.has(EntryOpt.UTF8OPT):
        options |= _CAPUTF8
    return options


def _visible(peer: Peer) -> tuple[object, ...]:
    """The fields whose change is worth a PeerChanged event."""
    return (
        peer.user,
        peer.host,
        peer.nick,
        peer.group,
        peer.away,
        peer.away_text,
        peer.version,
        peer.capabilities,
        peer.announced,
        peer.encoding_override,
        peer.twin,
    )


def _ext_number(packet: Packet) -> int | None:
    parts = packet.parts()
    number = parts[0].strip() if parts else b""
    if not number or len(number) > 20 or not number.isdigit():
        return None
    return int(number)


def _strip_feiq_format(text: str) -> str:
    """FeiQ appends rich-text formatting as ``text{...}``; keep the text."""
    if text.endswith("}"):
        start = text.rfind("{")
        if start > 0:
            return text[:start]
    return text
