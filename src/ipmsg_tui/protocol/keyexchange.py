"""The engine's encryption: key exchange (GETPUBKEY/ANSPUBKEY), sealing outgoing messages
and unsealing incoming ones, pins and the failures users must hear about.

A mixin of :class:`~.engine.Engine`, kept apart so the engine reads as presence and
messaging; the bookkeeping lives in :mod:`.keyring` and the cryptography in :mod:`.crypto`
and :mod:`.pubkey`. The names under ``TYPE_CHECKING`` are what it uses of the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import events as ev
from . import text as wire_text
from .attachments import Attachment
from .codepages import incoming_codec
from .constants import Command, EntryOpt, SendOpt
from .crypto import (
    OUR_CAPA,
    Capa,
    CryptoError,
    Decrypted,
    choose_scheme,
    decrypt_message,
    encrypt_message,
)
from .crypto import split_plaintext as split_decrypted
from .crypto import verify_signature as signature_ok
from .keyring import (
    KEY_REQUEST_INTERVAL,
    KEY_REQUEST_TRIES,
    KeyRequest,
    KeyRing,
    Policy,
    WaitingReceive,
    WaitingSend,
    public_der,
)
from .packet import Packet, join_parts
from .peers import Addr, Peer
from .pubkey import (
    check_username,
    fingerprint,
    format_anspubkey,
    format_getpubkey,
    key_capa_for,
    parse_anspubkey,
    parse_getpubkey,
)
from .retransmit import RetryKey, RetryKind
from .seen import MessageKey, SeenMessage
from .tolist import inner_list, others_named, parse_to_list

if TYPE_CHECKING:  # (cryptography: imported where used, see .crypto)
    from cryptography.hazmat.primitives.asymmetric import rsa

    from .dedup import DedupCache
    from .engineconfig import EngineConfig
    from .floodguard import FloodGuard
    from .peers import PeerTable
    from .retransmit import Retransmissions
    from .seen import SeenKey

ENCRYPTION_CAPABILITIES = EntryOpt.ENCRYPTOPT | EntryOpt.ENCEXTMSGOPT
_ENCRYPTOPT = int(SendOpt.ENCRYPTOPT)  # the same bit in entry and send options
_ENCEXTMSG = int(EntryOpt.ENCEXTMSGOPT)  # SENDMSG: attachment list inside the encryption
_REASK_INTERVAL = 60.0  # a peer whose signature fails its cached key is asked again so often


@dataclass(frozen=True, slots=True)
class _Unsealed:
    """A decrypted SENDMSG on its way to the user (maybe waiting for its sender's key)."""

    packet: Packet
    decrypted: Decrypted
    text: bytes
    inner_files: bytes | None
    wants_ack: bool
    dedup_key: SeenMessage


class KeyExchange:
    if TYPE_CHECKING:  # provided by Engine
        config: EngineConfig
        peers: PeerTable
        started: bool
        _ring: KeyRing
        _events: Any
        _dedup: DedupCache[SeenKey]
        _rejected: DedupCache[MessageKey]
        _guard: FloodGuard
        _retries: Retransmissions

        def next_packet_no(self) -> int: ...
        def _announce(self, mode: int, include_peers: bool = False) -> None: ...
        def _packet(self, packet_no: int, command: int, extension: bytes, codec: str) -> bytes: ...
        def _queue(self, datagram: bytes, addr: Addr, tag: MessageKey | None = None) -> None: ...
        def _drop(self, addr: Addr, reason: str) -> None: ...
        def _count(self, reason: str, amount: int = 1) -> None: ...
        def _may_answer(self, confirmed: bool, now: float) -> bool: ...
        def _reply(
            self,
            peer: Peer | None,
            mode: int,
            body: bytes,
            now: float,
            *,
            addr: Addr | None = None,
            tag: MessageKey | None = None,
        ) -> None: ...
        def _attachments(self, files: bytes | None, codec: str) -> list[Attachment]: ...
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
        ) -> None: ...

    # ------------------------------------------------------------------ public

    def set_keys(self, key_2048: rsa.RSAPrivateKey, key_1024: rsa.RSAPrivateKey) -> None:
        """Our key pairs, once the key store has them: from now on we advertise ENCRYPTOPT
        (at once, with a BR_ABSENCE, if we are running) unless the policy is "off"."""
        self._ring.key_2048, self._ring.key_1024 = key_2048, key_1024
        if self.started and self._ring.ready:
            self._announce(Command.BR_ABSENCE)

    @property
    def encryption_policy(self) -> Policy:
        return self._ring.policy

    @property
    def encryption_ready(self) -> bool:
        return self._ring.ready

    def our_fingerprint(self) -> str | None:
        return self._ring.our_fingerprint()

    def peer_fingerprint(self, addr: Addr) -> str | None:
        """The fingerprint of the key ``addr`` answered with, None until it did."""
        key = self._ring.peer_keys.get(addr)
        return fingerprint(key.public_key) if key is not None else None

    def peer_public_der(self, addr: Addr) -> bytes | None:
        """The key ``addr`` answered with, in the form a pin is kept in; None until it did."""
        key = self._ring.peer_keys.get(addr)
        return public_der(key.public_key) if key is not None else None

    def request_key(self, addr: Addr, now: float) -> None:
        """Ask ``addr`` for its key now (to show its fingerprint), if it can encrypt."""
        if self.can_encrypt_to(addr) and addr not in self._ring.peer_keys:
            self._ask_key(addr, now)

    def load_pins(self, pins: Mapping[str, bytes]) -> None:
        """Keys pinned earlier (identity ``user@host`` -> public key DER), from the store."""
        self._ring.pins.update(pins)

    def accept_key(self, identity: str, public_der_: bytes) -> None:
        """The user accepts a changed key: it becomes the pin, messages stop being marked."""
        self._ring.accept(identity, public_der_)

    def sends_waiting_for_keys(self) -> int:
        """Messages of ours held until their recipient's key comes (or is given up on)."""
        return len(self._ring.sends)

    def can_encrypt_to(self, addr: Addr) -> bool:
        """We would encrypt to ``addr`` (maybe after asking for its key)."""
        peer = self.peers.get(addr)
        return (
            self._ring.ready
            and peer is not None
            and bool(peer.capabilities & _ENCRYPTOPT)
            and addr not in self._ring.silent
        )

    # ------------------------------------------------------------------ receiving

    def _on_encrypted_sendmsg(
        self, packet: Packet, peer: Peer, wants_ack: bool, now: float
    ) -> None:
        """Decrypt, check the signature (asking for the sender's key first if need be),
        then show and acknowledge; or reject, unacknowledged, with a MessageRejected."""
        addr = peer.addr
        tag = MessageKey(addr, packet.packet_no)
        parts = packet.parts()
        dedup_key = SeenMessage(tag, hash(tuple(parts)))
        if dedup_key in self._dedup:  # shown before: only our RECVMSG was lost
            if wants_ack:
                self._reply(peer, Command.RECVMSG, b"%d" % packet.packet_no, now, tag=tag)
            self._count("duplicate message")
            return
        if self._ring.is_waiting(addr, packet.packet_no):
            self._count("duplicate message waiting for a key")
            return
        if not self._guard.admit_decryption(peer.confirmed, now):
            self._drop(addr, "encrypted message from an unconfirmed sender over the rate limit")
            return
        try:
            decrypted = decrypt_message(
                parts[0] if parts else b"",
                packet.packet_no,
                self._ring.key_2048,
                self._ring.key_1024,
            )
            text, inner_files = split_decrypted(decrypted.plaintext)
        except CryptoError as error:
            self._reject(addr, packet.packet_no, f"cannot decrypt: {error}", now)
            return
        unsealed = _Unsealed(packet, decrypted, text, inner_files, wants_ack, dedup_key)
        if decrypted.signature is None:  # FeiQ: encrypted, not signed
            self._show_unsealed(addr, unsealed, False, now)
            return
        key = self._ring.peer_keys.get(addr)
        if key is None:
            if self._ring.wait_receive(WaitingReceive(addr, packet.packet_no, unsealed)):
                self._ask_key(addr, now)
            else:
                self._drop(addr, "too many messages waiting for their sender's key")
            return
        self._check_signature(addr, unsealed, key.public_key, now, fresh=False)

    def _check_signature(
        self, addr: Addr, unsealed: _Unsealed, key: rsa.RSAPublicKey, now: float, fresh: bool
    ) -> None:
        """Show the message if ``key`` signed it. A cached key that does not fit may be out
        of date (the peer made a new one): ask again, at most once a minute per peer, and
        check with the answer; a key fresh from the peer that does not fit means a forgery."""
        if signature_ok(unsealed.decrypted, key):
            self._show_unsealed(addr, unsealed, True, now)
            return
        last = self._ring.reasked.get(addr)
        if not fresh and (last is None or now - last > _REASK_INTERVAL):
            self._ring.reasked[addr] = now
            self._ring.peer_keys.pop(addr, None)
            if self._ring.wait_receive(WaitingReceive(addr, unsealed.packet.packet_no, unsealed)):
                self._ask_key(addr, now)
                return
        reason = "the signature does not match the sender's key (forged?)"
        self._reject(addr, unsealed.packet.packet_no, reason, now)

    def _show_unsealed(self, addr: Addr, unsealed: _Unsealed, signed: bool, now: float) -> None:
        peer = self.peers.get(addr)
        if peer is None:  # gone meanwhile (evicted): nobody to show it from
            return
        packet = unsealed.packet
        self._dedup.check_and_add(unsealed.dedup_key, now)
        codec = incoming_codec(packet, peer, self.config.legacy_codec)
        parts = packet.parts()
        if packet.options & _ENCEXTMSG:
            files = unsealed.inner_files
        else:
            files = parts[1] if packet.has(SendOpt.FILEATTACHOPT) and len(parts) > 1 else None
        self._emit_message(
            packet,
            peer,
            wire_text.decode(unsealed.text, codec),
            self._attachments(files, codec),
            now,
            unsealed.wants_ack,
            encrypted=True,
            decrypted=True,
            signed=signed,
            key_changed=peer.key in self._ring.changed,
            others=self._others_named(unsealed, peer, codec),
        )

    def _others_named(
        self, unsealed: _Unsealed, peer: Peer, codec: str
    ) -> tuple[tuple[str, str], ...]:
        """Windows' TO: list of a message to several, without us and the sender; a list
        that is not one is dropped (and counted), the message still shown."""
        packet = unsealed.packet
        if not packet.options & _ENCEXTMSG or not packet.has(SendOpt.MULTICASTOPT):
            return ()
        raw = inner_list(unsealed.decrypted.plaintext)
        if raw is None:
            return ()
        listed = parse_to_list(raw, codec)
        if listed is None:
            self._count("bad TO: list")
            return ()
        ours = (self.config.user, self.config.host)
        return others_named(listed, ours, (peer.user, peer.host))

    def _reject(self, addr: Addr, packet_no: int, reason: str, now: float) -> None:
        """No RECVMSG (its sender sees the failure); the user hears once per message."""
        self._count("rejected encrypted message")
        if not self._rejected.check_and_add(MessageKey(addr, packet_no), now):
            self._events.append(ev.MessageRejected(addr, self.peers.get(addr), packet_no, reason))

    # ------------------------------------------------------------------ keys

    def _on_getpubkey(self, packet: Packet, addr: Addr, now: float) -> None:
        """Answer with our 2048-bit key if the asker can use it, else the 1024-bit one."""
        peer = self.peers.touch(addr, now)
        if not self._ring.ready:
            return  # Windows then sends in clear
        parts = packet.parts()
        try:
            capa = parse_getpubkey(parts[0] if parts else b"") & OUR_CAPA
        except CryptoError:
            self._drop(addr, "bad GETPUBKEY")
            return
        if not capa or not self._may_answer(peer is not None and peer.confirmed, now):
            return
        private = (
            self._ring.key_2048 if key_capa_for(capa) == Capa.RSA_2048 else self._ring.key_1024
        )
        assert private is not None  # ready
        # Windows asks back for the key it will check our signatures with; AUTORETOPT on
        # the question stops the ping-pong.
        signs = capa & (Capa.SIGN_SHA1 | Capa.SIGN_SHA256)
        if signs and not packet.has(SendOpt.AUTORETOPT) and addr not in self._ring.peer_keys:
            self._ask_key(addr, now, SendOpt.AUTORETOPT)
        body = format_anspubkey(int(OUR_CAPA), private.public_key()) + b"\0"
        # Without UTF8OPT and with names in the legacy code page, as Windows sends it.
        datagram = self._packet(
            self.next_packet_no(), Command.ANSPUBKEY, body, self.config.legacy_codec
        )
        self._queue(datagram, addr)

    def _on_anspubkey(self, packet: Packet, addr: Addr, now: float) -> None:
        """A key we asked for: check it against the user name and the pin, then send what
        waited for it and show what waited for its signature check."""
        peer = self.peers.touch(addr, now)
        request = self._ring.requests.pop(addr, None)
        if request is None or not self._ring.ready:
            self._drop(addr, "unasked public key")  # never let a spoofer replace a key
            return
        parts = packet.parts()
        try:
            key = parse_anspubkey(parts[0] if parts else b"")
        except CryptoError as error:
            self._ring.requests[addr] = request  # keep asking; it may answer properly
            self._drop(addr, f"bad ANSPUBKEY: {error}")
            return
        if peer is not None:  # names as its entry gave them (Windows sends this one in its
            user, identity = peer.user, peer.key  # code page, the entry also in UTF-8)
        else:
            codec = incoming_codec(packet, peer, self.config.legacy_codec)
            user = wire_text.clean_name(wire_text.decode(packet.user, codec))
            host = wire_text.clean_name(wire_text.decode(packet.host, codec))
            identity = f"{user}@{host}"
        if check_username(user, key.public_key) is False:
            self._ring.requests[addr] = request  # as silent as a peer that never answers
            reason = "its key does not match the fingerprint in its user name: an impostor?"
            self._events.append(ev.KeyRejected(addr, identity, reason))
            self._count("key contradicting the user name")
            return
        self._ring.remember(addr, key)
        self._note_pin(addr, peer, identity, key.public_key)
        for item in self._ring.take_sends(addr):
            self._send_part(item, now)
        for waiting in self._ring.take_receives(addr):
            assert isinstance(waiting.payload, _Unsealed)
            self._check_signature(addr, waiting.payload, key.public_key, now, fresh=True)

    def _note_pin(
        self, addr: Addr, peer: Peer | None, identity: str, key: rsa.RSAPublicKey
    ) -> None:
        der = public_der(key)
        pinned = self._ring.pins.get(identity)
        if pinned is None:
            self._ring.pins[identity] = der
            self._events.append(ev.KeyLearned(addr, identity, fingerprint(key), der))
        elif pinned != der:
            first_time = identity not in self._ring.changed
            self._ring.changed.add(identity)
            if first_time:
                old_key = _public_key(pinned)
                old = fingerprint(old_key) if old_key is not None else "unreadable pin"
                self._events.append(ev.KeyChanged(addr, peer, identity, old, fingerprint(key), der))
        else:
            self._ring.changed.discard(identity)

    def _ask_key(self, addr: Addr, now: float, options: int = 0) -> None:
        if addr in self._ring.requests:
            return
        self._send_getpubkey(addr, options)
        self._ring.requests[addr] = KeyRequest(1, now + KEY_REQUEST_INTERVAL)

    def _send_getpubkey(self, addr: Addr, options: int = 0) -> None:
        body = format_getpubkey(int(OUR_CAPA)) + b"\0"
        command = Command.GETPUBKEY | options
        self._queue(
            self._packet(self.next_packet_no(), command, body, self.config.legacy_codec), addr
        )

    def _key_requests_due(self, now: float) -> None:
        for addr, request in list(self._ring.requests.items()):
            if request.due > now:
                continue
            if request.sent < KEY_REQUEST_TRIES:
                request.sent += 1
                request.due = now + KEY_REQUEST_INTERVAL
                self._send_getpubkey(addr)
                continue
            # It advertised encryption but never gave us its key.
            del self._ring.requests[addr]
            self._ring.silent.add(addr)
            for item in self._ring.take_sends(addr):
                self._send_part(item, now)
            for waiting in self._ring.take_receives(addr):
                # A signature nobody can check is as good as none: never shown as theirs.
                reason = "the sender never gave its key to check the signature"
                self._reject(addr, waiting.packet_no, reason, now)

    # ------------------------------------------------------------------ sending

    def _send_part(self, item: WaitingSend, now: float) -> None:
        """One SENDMSG part to one peer: encrypted if it can take it (once we have its key),
        else in clear with a KeyMissing note, or (policy "required") not at all."""
        addr = item.addr
        scheme: int | None = None
        queue_full = False
        if self.can_encrypt_to(addr):
            key = self._ring.peer_keys.get(addr)
            if key is None:
                if self._ring.wait_send(item):
                    self._ask_key(addr, now)
                    return
                queue_full = True  # the note must say so: the peer may well have a key
            else:
                scheme = choose_scheme(OUR_CAPA, key.capa)
        peer = self.peers.get(addr)
        advertised = peer is not None and bool(peer.capabilities & _ENCRYPTOPT)
        if scheme is None and self._ring.ready and advertised:
            refused = self._ring.policy == "required"
            self._events.append(
                ev.KeyMissing(addr, item.packet_no, not refused, queue_full=queue_full)
            )
            if refused:
                self._events.append(ev.MessageFailed(addr, item.packet_no))
                return
        datagram = self._sendmsg_datagram(item, scheme)
        self._queue(datagram, addr)
        self._retries.add(RetryKey(addr, RetryKind.MESSAGE, item.packet_no), datagram, now)

    def _sendmsg_datagram(self, item: WaitingSend, scheme: int | None) -> bytes:
        command = item.command
        outside = [item.attachments] if item.attachments is not None else []
        if scheme is None:
            return self._packet(
                item.packet_no, command, join_parts(item.text, *outside), item.codec
            )
        key = self._ring.peer_keys[item.addr]
        peer = self.peers.get(item.addr)
        inside = bool(outside) and peer is not None and bool(peer.capabilities & _ENCEXTMSG)
        plaintext = item.text + b"\0" + (outside[0] + b"\0" if inside else b"")
        signer = self._ring.key_2048 if scheme & Capa.RSA_2048 else self._ring.key_1024
        sealed = encrypt_message(plaintext, scheme, item.packet_no, key.public_key, signer)
        command |= _ENCRYPTOPT | (_ENCEXTMSG if inside else 0)
        parts = [sealed] if inside else [sealed, *outside]
        return self._packet(item.packet_no, command, join_parts(*parts), item.codec)


def _public_key(der: bytes) -> rsa.RSAPublicKey | None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None
