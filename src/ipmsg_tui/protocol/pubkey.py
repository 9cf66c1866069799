"""Public keys on the wire (GETPUBKEY / ANSPUBKEY), fingerprints and fingerprint user names.

* GETPUBKEY extension: the asker's capability flags in hex.
* ANSPUBKEY extension: ``"%X:%X-%s"`` — the answerer's flags, the RSA public exponent, and
  the modulus as big-endian lowercase hex (Windows reverses CryptoAPI's little-endian blob).
  Windows answers with its 2048-bit key only when the asker's flags include RSA_2048.
* Windows user names ``name-<16 hex>`` carry a 64-bit digest of the owner's 2048-bit key:
  SHA-1 of the modulus in little-endian order, the digest byte-reversed, padded with zeros
  to 24 bytes, and its three 8-byte parts XORed. A key that does not match is an impostor's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

# cryptography is imported inside the functions that use it: a command or an app start
# that never meets an encrypting peer does not pay for importing it (benchmarks 5 and 9).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

from .crypto import Capa, CryptoError, _is_hex

_MIN_BITS = 1024
_MAX_BITS = 4096


@dataclass(frozen=True, slots=True)
class PeerKey:
    capa: int  # the flags the peer sent with its key
    public_key: rsa.RSAPublicKey

    @property
    def bits(self) -> int:
        return self.public_key.key_size


def format_getpubkey(capa: int) -> bytes:
    return b"%x" % capa


def parse_getpubkey(extension: bytes) -> int:
    field = extension.strip()
    if not field or len(field) > 8 or not _is_hex(field):
        raise CryptoError("bad GETPUBKEY flags")
    return int(field, 16)


def format_anspubkey(capa: int, public_key: rsa.RSAPublicKey) -> bytes:
    numbers = public_key.public_numbers()
    modulus = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    return b"%X:%X-%s" % (capa, numbers.e, modulus.hex().encode("ascii"))


def parse_anspubkey(extension: bytes) -> PeerKey:
    capa_hex, colon, rest = extension.strip().partition(b":")
    e_hex, dash, n_hex = rest.partition(b"-")
    n_hex = n_hex.split(b":", 1)[0]
    if not (colon and dash) or not all(map(_is_hex, (capa_hex, e_hex, n_hex))):
        raise CryptoError("bad ANSPUBKEY")
    if len(capa_hex) > 8 or len(e_hex) > 8 or len(n_hex) > _MAX_BITS // 4:
        raise CryptoError("ANSPUBKEY field too long")
    from cryptography.hazmat.primitives.asymmetric import rsa

    exponent, modulus = int(e_hex, 16), int(n_hex, 16)
    if not _MIN_BITS <= modulus.bit_length() <= _MAX_BITS:
        raise CryptoError(f"RSA key of {modulus.bit_length()} bits")
    try:
        key = rsa.RSAPublicNumbers(exponent, modulus).public_key()
    except ValueError as error:
        raise CryptoError(f"bad RSA key: {error}") from None
    return PeerKey(int(capa_hex, 16), key)


def key_capa_for(asker_capa: int) -> int:
    """Which of our keys answers a GETPUBKEY: RSA_2048 if the asker can use it."""
    return Capa.RSA_2048 if asker_capa & Capa.RSA_2048 else Capa.RSA_1024


def fingerprint(public_key: rsa.RSAPublicKey) -> str:
    """A fingerprint two people can read to each other: the first 160 bits of SHA-256 over
    the key (SubjectPublicKeyInfo DER), as ten groups of four hex digits."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.sha256(der).hexdigest()[:40].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 40, 4))


def username_digest_field(user: str) -> str | None:
    """The 16 characters of a ``-<16 alnum>`` field, found the way Windows'
    GetUserNameDigestField scans (a small state machine; the first complete field wins)."""
    state, start, count = 0, 0, 0
    for index, char in enumerate(user):
        if state == 0:
            if char == "-":
                state, start, count = 1, index, 0
        elif state == 1:
            state = 2 if char == "<" else 0
        elif state == 2:
            if char.isascii() and char.isalnum():
                count += 1
            elif count == 16 and char == ">":
                return user[start + 2 : start + 18]
            else:
                state = 0
    return None


def username_digest(public_key: rsa.RSAPublicKey) -> bytes:
    """The 8-byte digest Windows appends to user names (GenUserNameDigestVal)."""
    n = public_key.public_numbers().n
    little_endian = n.to_bytes(256, "little") if n.bit_length() <= 2048 else b""
    reversed_sha1 = hashlib.sha1(little_endian).digest()[::-1] + bytes(4)
    return bytes(reversed_sha1[i] ^ reversed_sha1[8 + i] ^ reversed_sha1[16 + i] for i in range(8))


def check_username(user: str, public_key: rsa.RSAPublicKey) -> bool | None:
    """None: the name carries no digest. True/False: the key matches it or not."""
    field = username_digest_field(user)
    if field is None or not _is_hex(field.encode("ascii")):
        return None
    if public_key.key_size != 2048:
        return False
    return bytes.fromhex(field) == username_digest(public_key)
