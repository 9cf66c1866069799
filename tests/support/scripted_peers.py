"""Scripted encrypting peers on real UDP sockets: "Windows" and "FeiQ".

They speak from the Windows source's description (tests/support/wincrypto.py), never through
ipmsg_tui's own encoder: a Windows-like peer answers GETPUBKEY with its RSA-2048 key, asks
for ours before sending, and sends RSA-2048 + AES-256 + PACKETNO_IV + SHA-256 signatures
(base64 or hex); a FeiQ-like peer answers with an RSA-1024 key and sends RSA-1024 +
Blowfish-128 with a zero IV and no signature. Both decrypt what they receive and
acknowledge it with RECVMSG, as the real clients do.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from . import wincrypto as win
from .netns import socket_in

SENDMSG, RECVMSG, BR_ENTRY, ANSENTRY = 0x20, 0x21, 0x01, 0x03
GETPUBKEY, ANSPUBKEY, BR_EXIT = 0x72, 0x73, 0x02
SENDCHECKOPT, ENCRYPTOPT, UTF8OPT, CAPUTF8OPT = 0x100, 0x400000, 0x800000, 0x1000000
ENCEXTMSGOPT = 0x4000000


@dataclass
class Got:
    packet_no: int
    text: str
    signature_ok: bool | None  # None: unsigned


@dataclass
class ScriptedPeer:
    port: int
    user: str
    host: str
    scheme: int  # the capa its messages use
    capa: int  # what it puts in GETPUBKEY / ANSPUBKEY
    key: rsa.RSAPrivateKey  # what it answers GETPUBKEY with (and signs with)
    key_1024: rsa.RSAPrivateKey | None = None
    version: bytes = b"1"
    entry_flags: int = ENCRYPTOPT | ENCEXTMSGOPT | CAPUTF8OPT
    sign_with: rsa.RSAPrivateKey | None = None  # a forger signs with another key
    received: list[Got] = field(default_factory=list)
    acks: list[int] = field(default_factory=list)
    their_keys: dict[tuple[str, int], rsa.RSAPublicKey] = field(default_factory=dict)
    answers_keys: bool = True  # False: advertises ENCRYPTOPT, never answers GETPUBKEY
    netns: str | None = None  # live in this lab namespace (bound to all its addresses)

    def __post_init__(self) -> None:
        if self.netns is None:
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.bind(("127.0.0.1", self.port))
        else:  # on a lab LAN: every address, so broadcasts arrive too
            self._sock = socket_in(self.netns, socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            self._sock.bind(("0.0.0.0", self.port))
        self._sock.settimeout(0.1)
        self._packet_no = int(time.time())
        self._sent: dict[int, tuple[bytes, tuple[str, int]]] = {}
        self._running = True
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, daemon=True, name="scripted-peer")
        self._thread.start()

    # ------------------------------------------------------------------ wire

    def _next_no(self) -> int:
        self._packet_no += 1
        return self._packet_no

    def _send(self, command: int, ext: bytes, to: tuple[str, int], no: int | None = None) -> int:
        number = no if no is not None else self._next_no()
        head = b"%s:%d:%s:%s:%d:" % (
            self.version,
            number,
            self.user.encode(),
            self.host.encode(),
            command,
        )
        self._sock.sendto(head + ext, to)
        self._sent[number] = (head + ext, to)
        return number

    def retransmit(self, number: int) -> None:
        """Send packet ``number`` again, as a client does when no RECVMSG came."""
        datagram, to = self._sent[number]
        self._sock.sendto(datagram, to)

    def announce(self, to: tuple[str, int]) -> None:
        self._send(BR_ENTRY | self.entry_flags, b"%s\0\0" % self.user.encode(), to)

    def _pump(self) -> None:
        while self._running:
            try:
                data, addr = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self._handle(data, (addr[0], addr[1]))

    def _handle(self, data: bytes, addr: tuple[str, int]) -> None:
        fields = data.split(b":", 5)
        if len(fields) < 6:
            return
        number, command, ext = int(fields[1]), int(fields[4]), fields[5]
        mode = command & 0xFF
        if mode == BR_ENTRY:
            self._send(ANSENTRY | self.entry_flags, b"%s\0\0" % self.user.encode(), addr)
        elif mode == GETPUBKEY and not self.answers_keys:
            return
        elif mode == GETPUBKEY:  # MsgGetPubKey: our key, 2048 only to askers that can use it
            asker = int(ext.rstrip(b"\0") or b"0", 16)
            key = self.key if asker & win.RSA_2048 or self.key_1024 is None else self.key_1024
            self._send(ANSPUBKEY, win.windows_anspubkey(self.capa, key.public_key()) + b"\0", addr)
        elif mode == ANSPUBKEY:
            _, public = win.windows_read_anspubkey(ext)
            with self._lock:
                self.their_keys[addr] = public
        elif mode == RECVMSG:
            with self._lock:
                self.acks.append(int(ext.rstrip(b"\0") or b"0"))
        elif mode == SENDMSG and command & ENCRYPTOPT:
            self._receive_encrypted(number, command, ext.split(b"\0")[0], addr)
        elif mode == SENDMSG:
            with self._lock:
                self.received.append(Got(number, ext.split(b"\0")[0].decode(), None))
            if command & SENDCHECKOPT:
                self._send(RECVMSG, b"%d\0" % number, addr)

    def _receive_encrypted(
        self, number: int, command: int, ext: bytes, addr: tuple[str, int]
    ) -> None:
        key_1024 = self.key_1024 if self.key_1024 is not None else self.key
        capa, plain, signature = win.windows_decrypt(ext, number, self.key, key_1024)
        verdict: bool | None = None
        if signature is not None:
            sender = self.their_keys.get(addr)
            verdict = sender is not None and _verifies(sender, signature, plain, capa)
        with self._lock:
            self.received.append(Got(number, plain.split(b"\0")[0].decode(), verdict))
        if command & SENDCHECKOPT:
            self._send(RECVMSG, b"%d\0" % number, addr)

    # ------------------------------------------------------------------ actions

    def fetch_key(self, to: tuple[str, int], timeout: float = 5.0) -> rsa.RSAPublicKey:
        """GETPUBKEY (as Windows does before sending), repeated until answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._send(GETPUBKEY, b"%x\0" % self.capa, to)
            for _ in range(25):
                with self._lock:
                    if to in self.their_keys:
                        return self.their_keys[to]
                time.sleep(0.02)
        raise AssertionError(f"no ANSPUBKEY from {to}")

    def send_encrypted(self, text: str, to: tuple[str, int]) -> int:
        recipient = self.fetch_key(to)
        number = self._next_no()
        signer = self.sign_with or self.key
        ext = win.windows_encrypt(text.encode(), self.scheme, number, recipient, signer)
        command = SENDMSG | SENDCHECKOPT | ENCRYPTOPT | UTF8OPT
        self._send(command, ext + b"\0", to, number)
        return number

    def wait_received(self, count: int = 1, timeout: float = 10.0) -> list[Got]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.received)} of {count} messages within {timeout} s")

    def wait_acks(self, number: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if number in self.acks:
                    return
            time.sleep(0.02)
        raise AssertionError(f"no RECVMSG for {number} within {timeout} s")

    def close(self) -> None:
        self._running = False
        self._thread.join(2)
        self._sock.close()

    def __enter__(self) -> ScriptedPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _verifies(key: rsa.RSAPublicKey, signature: bytes, plain: bytes, capa: int) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

    algo = hashes.SHA256() if capa & win.SIGN_SHA256 else hashes.SHA1()
    try:
        key.verify(signature, plain, PKCS1v15(), algo)
    except InvalidSignature:
        return False
    return True


def windows_peer(
    port: int, key: rsa.RSAPrivateKey, base64: bool = True, **kw: object
) -> ScriptedPeer:
    scheme = win.RSA_2048 | win.AES_256 | win.PACKETNO_IV | win.SIGN_SHA256
    if base64:
        scheme |= win.ENCODE_BASE64
    capa = win.WINDOWS_CAPA if base64 else win.WINDOWS_CAPA & ~win.ENCODE_BASE64
    return ScriptedPeer(port, "taro", "WINPC", scheme, capa, key, **kw)  # type: ignore[arg-type]


def feiq_peer(port: int, key_1024: rsa.RSAPrivateKey, **kw: object) -> ScriptedPeer:
    return ScriptedPeer(  # type: ignore[misc]
        port,
        "feiq",
        "FEIQPC",
        win.FEIQ_MESSAGE_CAPA,
        win.FEIQ_GETPUBKEY_CAPA,
        key_1024,
        key_1024,
        version=b"1_lbt6_0#128#000C29D68D8F#0#0#0#4001#9",
        entry_flags=ENCRYPTOPT,
        **kw,  # type: ignore[arg-type]
    )
