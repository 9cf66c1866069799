"""Encrypted messages the way IP Messenger for Windows and FeiQ make them, for tests.

Written from the Windows source (msgmng.cpp MakeEncryptMsg / DecryptMsg, mainwinmsg.cpp,
tstr.cpp) with raw PyCA primitives, deliberately NOT using ipmsg_tui.protocol.crypto, so
that a mistake there cannot hide itself. CryptoAPI's little-endian outputs are reversed by
Windows before encoding (bin2hexstr_revendian); we mimic that literally.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.decrepit.ciphers.algorithms import Blowfish
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

RSA_1024, RSA_2048 = 0x2, 0x4
BLOWFISH_128, AES_256 = 0x20000, 0x100000
PACKETNO_IV, ENCODE_BASE64 = 0x800000, 0x1000000
SIGN_SHA1, SIGN_SHA256 = 0x20000000, 0x40000000
WINDOWS_CAPA = 0x65920006 & ~0x04000000  # its GetCapa() minus NOENC_FILEBODY
FEIQ_GETPUBKEY_CAPA = 0x21003
FEIQ_MESSAGE_CAPA = 0x20002


def _rev_hex(little_endian: bytes) -> bytes:  # bin2hexstr_revendian
    return bytes(reversed(little_endian)).hex().encode()


def _rev_b64(little_endian: bytes) -> bytes:  # bin2b64str_revendian
    return base64.b64encode(bytes(reversed(little_endian)))


def windows_encrypt(
    text: bytes,
    capa: int,
    packet_no: int,
    recipient: rsa.RSAPublicKey,
    signer: rsa.RSAPrivateKey | None,
    extra: bytes = b"",
) -> bytes:
    """MakeEncryptMsg: ``capa`` already narrowed to one scheme. ``extra`` is what follows
    the text's NUL with ENCEXTMSGOPT (attachment list + NUL)."""
    iv = bytearray(32)
    if capa & PACKETNO_IV:
        digits = b"%u" % packet_no
        iv[: len(digits)] = digits
    msg = text.replace(b"\r\n", b"\n") + b"\0" + extra
    rev = _rev_b64 if capa & ENCODE_BASE64 else _rev_hex
    plain = base64.b64encode if capa & ENCODE_BASE64 else (lambda b: b.hex().encode())
    if capa & AES_256:
        key = os.urandom(32)
        cipher = Cipher(algorithms.AES(key), modes.CBC(bytes(iv[:16])))
        block = 128
    else:
        key = os.urandom(16)
        cipher = Cipher(Blowfish(key), modes.CBC(bytes(iv[:8])))
        block = 64
    # CryptEncrypt hands back the RSA block little-endian; Windows reverses it again.
    wrapped_le = bytes(reversed(recipient.encrypt(key, PKCS1v15())))
    padder = padding.PKCS7(block).padder()
    enc = cipher.encryptor()
    body = enc.update(padder.update(msg) + padder.finalize()) + enc.finalize()
    out = b"%X:%s:%s" % (capa, rev(wrapped_le), plain(body))
    if capa & (SIGN_SHA1 | SIGN_SHA256) and signer is not None:
        algo = hashes.SHA256() if capa & SIGN_SHA256 else hashes.SHA1()
        sig_le = bytes(reversed(signer.sign(msg, PKCS1v15(), algo)))
        out += b":" + rev(sig_le)
    return out


def windows_decrypt(
    ext: bytes, packet_no: int, key_2048: rsa.RSAPrivateKey, key_1024: rsa.RSAPrivateKey
) -> tuple[int, bytes, bytes | None]:
    """DecryptMsg: (capa, plaintext with its NUL, signature big-endian or None)."""
    fields = ext.split(b":")
    capa = int(fields[0], 16)
    b64 = capa & ENCODE_BASE64

    def unhex(field: bytes) -> bytes:
        return base64.b64decode(field) if b64 else bytes.fromhex(field.decode())

    iv = bytearray(16)
    if capa & PACKETNO_IV:
        digits = str(packet_no).encode()[:16]
        iv[: len(digits)] = digits
    private = key_2048 if capa & RSA_2048 else key_1024
    key = private.decrypt(unhex(fields[1]), PKCS1v15())
    if capa & AES_256:
        dec = Cipher(algorithms.AES(key), modes.CBC(bytes(iv))).decryptor()
        block = 128
    else:
        dec = Cipher(Blowfish(key), modes.CBC(bytes(iv[:8]))).decryptor()
        block = 64
    padded = dec.update(unhex(fields[2])) + dec.finalize()
    unpadder = padding.PKCS7(block).unpadder()
    plain = unpadder.update(padded) + unpadder.finalize()
    sig = unhex(fields[3]) if capa & (SIGN_SHA1 | SIGN_SHA256) and len(fields) > 3 else None
    return capa, plain, sig


def windows_anspubkey(capa: int, public_key: rsa.RSAPublicKey) -> bytes:
    """MsgGetPubKey's answer: "%X:%X-" + modulus, reversed from CryptoAPI's blob."""
    numbers = public_key.public_numbers()
    blob_le = numbers.n.to_bytes(public_key.key_size // 8, "little")
    return b"%X:%X-" % (capa, numbers.e) + _rev_hex(blob_le)


def windows_read_anspubkey(ext: bytes) -> tuple[int, rsa.RSAPublicKey]:
    capa_hex, _, rest = ext.rstrip(b"\0").partition(b":")
    e_hex, _, n_hex = rest.partition(b"-")
    key = rsa.RSAPublicNumbers(int(e_hex, 16), int(n_hex, 16)).public_key()
    return int(capa_hex, 16), key
