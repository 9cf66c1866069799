"""Encrypted and signed SENDMSG bodies, the way IP Messenger for Windows writes them.

The extension of an encrypted SENDMSG is ``"%X:<session key>:<body>[:<signature>]"``:

* the first field names the scheme (capability flags, hex);
* the session key (32 bytes for AES-256, 16 for Blowfish-128) is RSA PKCS#1 v1.5 encrypted
  with the recipient's public key;
* the body is the plaintext in CBC mode with PKCS#5 padding; the IV is the packet number
  as ASCII, NUL-padded to the block (PACKETNO_IV), or zeros;
* the signature, when a SIGN_* flag is set, is PKCS#1 v1.5 over SHA-256 or SHA-1 of exactly
  the plaintext, made with the sender's key of the same size.

Fields are hex (Windows writes lowercase; either case is read) or, with ENCODE_BASE64,
standard base64. The plaintext is the text with LF line ends and its NUL; with ENCEXTMSGOPT
the attachment list and the recipient list follow, each NUL-terminated.

Windows supports only two combinations, and so do we: RSA-2048 + AES-256 (optionally
signed) and RSA-1024 + Blowfish-128 (never signed; FeiQ's scheme, with a zero IV).
Everything that goes wrong on the way in raises :class:`CryptoError` and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import os
import string
from dataclasses import dataclass
from enum import IntFlag
from typing import TYPE_CHECKING

# cryptography is imported inside the functions that use it: a command or an app start
# that never meets an encrypting peer does not pay for importing it (benchmarks 5 and 9).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.ciphers import Cipher, modes


class Capa(IntFlag):
    """Encryption capability flags (the hex in GETPUBKEY/ANSPUBKEY and message heads)."""

    RSA_1024 = 0x00000002
    RSA_2048 = 0x00000004
    BLOWFISH_128 = 0x00020000
    AES_256 = 0x00100000
    PACKETNO_IV = 0x00800000
    ENCODE_BASE64 = 0x01000000
    SIGN_SHA1 = 0x20000000
    SIGN_SHA256 = 0x40000000


SIGN_FLAGS = Capa.SIGN_SHA1 | Capa.SIGN_SHA256
# Everything we can do. NOENC_FILEBODY is not claimed: file requests are not encrypted here.
OUR_CAPA = (
    Capa.RSA_1024
    | Capa.RSA_2048
    | Capa.BLOWFISH_128
    | Capa.AES_256
    | Capa.PACKETNO_IV
    | Capa.ENCODE_BASE64
    | SIGN_FLAGS
)
_AES_SCHEME = Capa.RSA_2048 | Capa.AES_256 | Capa.PACKETNO_IV | Capa.ENCODE_BASE64
_BLOWFISH_SCHEME = Capa.RSA_1024 | Capa.BLOWFISH_128 | Capa.PACKETNO_IV | Capa.ENCODE_BASE64
_HEX_DIGITS = frozenset(string.hexdigits.encode())
_MAX_FIELD = 1 << 16  # longer than any datagram: a bound, not a rule


class CryptoError(Exception):
    """An encrypted message we cannot read, or a key or signature that does not fit."""


@dataclass(frozen=True, slots=True)
class Decrypted:
    capa: int  # the scheme the sender used
    plaintext: bytes  # exactly what was encrypted (and signed)
    signature: bytes | None  # None: the sender did not sign

    @property
    def key_bits(self) -> int:
        return 2048 if self.capa & Capa.RSA_2048 else 1024


def choose_scheme(ours: int, theirs: int) -> int | None:
    """The strongest scheme both sides have, as Windows picks it; None if there is none."""
    shared = ours & theirs
    if shared & Capa.RSA_2048 and shared & Capa.AES_256:
        if shared & Capa.SIGN_SHA256:
            return shared & (_AES_SCHEME | Capa.SIGN_SHA256)
        return shared & (_AES_SCHEME | Capa.SIGN_SHA1)
    if shared & Capa.RSA_1024 and shared & Capa.BLOWFISH_128:
        return shared & _BLOWFISH_SCHEME
    return None


def make_iv(capa: int, packet_no: int) -> bytes:
    """The CBC IV: the packet number's digits NUL-padded, or zeros. Blowfish takes the first
    eight bytes, so a ten-digit number is cut to eight digits."""
    size = 16 if capa & Capa.AES_256 else 8
    if not capa & Capa.PACKETNO_IV:
        return bytes(size)
    return str(packet_no).encode("ascii")[:size].ljust(size, b"\0")


def cbc_encrypt(capa: int, key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding

    block = 128 if capa & Capa.AES_256 else 64
    padder = padding.PKCS7(block).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = _cipher(capa, key, iv).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def cbc_decrypt(capa: int, key: bytes, iv: bytes, body: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding

    block = 128 if capa & Capa.AES_256 else 64
    if not body or len(body) % (block // 8):
        raise CryptoError("encrypted body is not a whole number of blocks")
    decryptor = _cipher(capa, key, iv).decryptor()
    padded = decryptor.update(body) + decryptor.finalize()
    unpadder = padding.PKCS7(block).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise CryptoError("wrong key or damaged body (bad padding)") from None


def _cipher(capa: int, key: bytes, iv: bytes) -> Cipher[modes.CBC]:
    from cryptography.hazmat.decrepit.ciphers.algorithms import Blowfish
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if capa & Capa.AES_256:
        return Cipher(algorithms.AES(key), modes.CBC(iv))
    return Cipher(Blowfish(key), modes.CBC(iv))


def encrypt_message(
    plaintext: bytes,
    capa: int,
    packet_no: int,
    recipient: rsa.RSAPublicKey,
    signer: rsa.RSAPrivateKey | None,
) -> bytes:
    """The extension of an encrypted SENDMSG (without its NUL). ``capa`` is a scheme from
    :func:`choose_scheme`; a SIGN_* flag in it needs ``signer``."""
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

    aes = bool(capa & Capa.AES_256)
    session_key = os.urandom(32 if aes else 16)
    body = cbc_encrypt(capa, session_key, make_iv(capa, packet_no), plaintext)
    wrapped = recipient.encrypt(session_key, PKCS1v15())
    fields = [b"%X" % capa, _encode(capa, wrapped), _encode(capa, body)]
    if capa & SIGN_FLAGS:
        if signer is None:
            raise CryptoError("a signed scheme needs our private key")
        fields.append(_encode(capa, signer.sign(plaintext, PKCS1v15(), _hash(capa))))
    return b":".join(fields)


def decrypt_message(
    extension: bytes,
    packet_no: int,
    key_2048: rsa.RSAPrivateKey | None,
    key_1024: rsa.RSAPrivateKey | None,
) -> Decrypted:
    """Read an encrypted SENDMSG extension (its first part, NUL excluded)."""
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

    fields = extension.split(b":")
    if len(fields) < 3 or len(fields[0]) > 8 or not _is_hex(fields[0]):
        raise CryptoError("not an encrypted message head")
    capa = int(fields[0], 16)
    aes = capa & Capa.RSA_2048 and capa & Capa.AES_256
    blowfish = capa & Capa.RSA_1024 and capa & Capa.BLOWFISH_128
    if not (aes or blowfish):
        raise CryptoError(f"unsupported encryption scheme {capa:X}")
    signed = bool(capa & SIGN_FLAGS)
    if len(fields) != (4 if signed else 3):
        raise CryptoError("wrong number of fields for the scheme")
    private = key_2048 if aes else key_1024
    if private is None:
        raise CryptoError("no private key of that size")
    wrapped = _decode(capa, fields[1])
    if len(wrapped) != private.key_size // 8:
        raise CryptoError("session key does not match our key size")
    try:
        session_key = private.decrypt(wrapped, PKCS1v15())
    except ValueError:
        raise CryptoError("session key not encrypted for us") from None
    if len(session_key) != (32 if aes else 16):
        raise CryptoError("session key of the wrong length")
    body = _decode(capa, fields[2])
    plaintext = cbc_decrypt(capa, session_key, make_iv(capa, packet_no), body)
    signature = _decode(capa, fields[3]) if signed else None
    return Decrypted(capa, plaintext, signature)


def verify_signature(decrypted: Decrypted, sender: rsa.RSAPublicKey) -> bool:
    """True if the sender's key signed exactly this plaintext. Unsigned: False."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

    if decrypted.signature is None:
        return False
    try:
        sender.verify(decrypted.signature, decrypted.plaintext, PKCS1v15(), _hash(decrypted.capa))
    except (InvalidSignature, ValueError):
        return False
    return True


def split_plaintext(plaintext: bytes) -> tuple[bytes, bytes | None]:
    """The text and (with ENCEXTMSGOPT) the attachment list inside a plaintext."""
    text, nul, rest = plaintext.partition(b"\0")
    if not nul:
        raise CryptoError("plaintext without its NUL")
    attachments, _, _ = rest.partition(b"\0")
    return text, (attachments or None)


def _hash(capa: int) -> hashes.HashAlgorithm:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256() if capa & Capa.SIGN_SHA256 else hashes.SHA1()


def _encode(capa: int, data: bytes) -> bytes:
    if capa & Capa.ENCODE_BASE64:
        return base64.b64encode(data)
    return data.hex().encode("ascii")


def _decode(capa: int, field: bytes) -> bytes:
    if not field or len(field) > _MAX_FIELD:
        raise CryptoError("empty or oversized field")
    if capa & Capa.ENCODE_BASE64:
        try:
            return base64.b64decode(field, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("bad base64") from None
    if len(field) % 2 or not _is_hex(field):
        raise CryptoError("bad hex")
    return bytes.fromhex(field.decode("ascii"))


def _is_hex(field: bytes) -> bool:
    return bool(field) and all(byte in _HEX_DIGITS for byte in field)
