"""Encrypted SENDMSG bodies and public keys: Windows' vectors, every scheme, both directions
against an encoder written from the Windows source, and garbage that never escapes."""

from __future__ import annotations

import contextlib
import functools

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from ipmsg_tui.protocol.crypto import (
    OUR_CAPA,
    Capa,
    CryptoError,
    cbc_decrypt,
    cbc_encrypt,
    choose_scheme,
    decrypt_message,
    encrypt_message,
    make_iv,
    split_plaintext,
    verify_signature,
)
from ipmsg_tui.protocol.pubkey import (
    check_username,
    fingerprint,
    format_anspubkey,
    format_getpubkey,
    parse_anspubkey,
    parse_getpubkey,
    username_digest,
    username_digest_field,
)

from ..support import wincrypto as win

AES_SIGNED = Capa.RSA_2048 | Capa.AES_256 | Capa.PACKETNO_IV | Capa.SIGN_SHA256
FEIQ = Capa.RSA_1024 | Capa.BLOWFISH_128


@functools.cache
def key(bits: int, which: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


# ------------------------------------------------------------------ Windows' own vectors


def test_aes_vector_from_windows_cipher_code() -> None:
    capa = Capa.AES_256 | Capa.PACKETNO_IV
    iv = make_iv(capa, 1700000000)
    assert iv == b"1700000000" + bytes(6)
    body = cbc_encrypt(capa, bytes(range(32)), iv, b"hello\0")
    assert body.hex() == "e54dbf6f1ee01b12433d5034ae5de371"
    assert cbc_decrypt(capa, bytes(range(32)), iv, body) == b"hello\0"


def test_blowfish_vector_from_windows_cipher_code() -> None:
    capa = Capa.BLOWFISH_128 | Capa.PACKETNO_IV
    iv = make_iv(capa, 1700000000)
    assert iv == b"17000000"  # ten digits cut to the 8-byte block
    body = cbc_encrypt(capa, bytes(range(16)), iv, b"hello\0")
    assert body.hex() == "785692585d976424"
    assert cbc_decrypt(capa, bytes(range(16)), iv, body) == b"hello\0"


def test_zero_iv_without_packetno_iv() -> None:
    assert make_iv(Capa.AES_256, 123) == bytes(16)
    assert make_iv(Capa.BLOWFISH_128, 123) == bytes(8)
    assert make_iv(Capa.BLOWFISH_128 | Capa.PACKETNO_IV, 123) == b"123" + bytes(5)


# ------------------------------------------------------------------ scheme choice


def test_scheme_with_windows_is_rsa2048_aes_sha256_packetno_iv_base64() -> None:
    scheme = choose_scheme(OUR_CAPA, win.WINDOWS_CAPA)
    assert scheme == AES_SIGNED | Capa.ENCODE_BASE64


def test_scheme_with_feiq_is_rsa1024_blowfish_zero_iv() -> None:
    assert choose_scheme(OUR_CAPA, win.FEIQ_GETPUBKEY_CAPA) == FEIQ


def test_scheme_sha1_only_and_none() -> None:
    sha1_peer = Capa.RSA_2048 | Capa.AES_256 | Capa.SIGN_SHA1
    assert choose_scheme(OUR_CAPA, sha1_peer) == sha1_peer
    assert choose_scheme(OUR_CAPA, Capa.RSA_2048) is None
    assert choose_scheme(OUR_CAPA, 0) is None


# ------------------------------------------------------------------ every scheme, both ways

SCHEMES = [
    AES_SIGNED,
    AES_SIGNED | Capa.ENCODE_BASE64,
    Capa.RSA_2048 | Capa.AES_256 | Capa.SIGN_SHA1,
    Capa.RSA_2048 | Capa.AES_256 | Capa.SIGN_SHA1 | Capa.ENCODE_BASE64,
    Capa.RSA_2048 | Capa.AES_256,
    FEIQ,
    FEIQ | Capa.PACKETNO_IV | Capa.ENCODE_BASE64,
]


@pytest.mark.parametrize("capa", SCHEMES, ids=lambda c: f"{int(c):X}")
def test_we_read_what_windows_writes(capa: int) -> None:
    text = "héllo\nwörld".encode()
    recipient = key(2048) if capa & Capa.RSA_2048 else key(1024)
    ext = win.windows_encrypt(text, capa, 1700000123, recipient.public_key(), key(2048, 1))
    got = decrypt_message(ext, 1700000123, key(2048), key(1024))
    assert got.capa == capa
    assert split_plaintext(got.plaintext) == (text, None)
    signed = bool(capa & (Capa.SIGN_SHA1 | Capa.SIGN_SHA256))
    assert verify_signature(got, key(2048, 1).public_key()) is signed
    if signed:
        assert not verify_signature(got, key(2048).public_key())  # someone else's key


@pytest.mark.parametrize("capa", SCHEMES, ids=lambda c: f"{int(c):X}")
def test_windows_reads_what_we_write(capa: int) -> None:
    recipient = key(2048) if capa & Capa.RSA_2048 else key(1024)
    plain = b"hi there\0\x31:a.txt:5:0:1:\a\0"
    ext = encrypt_message(plain, capa, 77, recipient.public_key(), key(2048, 1))
    got_capa, got_plain, sig = win.windows_decrypt(ext, 77, key(2048), key(1024))
    assert (got_capa, got_plain) == (capa, plain)
    assert (sig is not None) == bool(capa & (Capa.SIGN_SHA1 | Capa.SIGN_SHA256))
    text, files = split_plaintext(plain)
    assert (text, files) == (b"hi there", b"\x31:a.txt:5:0:1:\a")


def test_hex_in_upper_case_is_read() -> None:
    ext = win.windows_encrypt(b"x", AES_SIGNED, 9, key(2048).public_key(), key(2048, 1))
    head, rest = ext.split(b":", 1)
    got = decrypt_message(head + b":" + rest.upper(), 9, key(2048), key(1024))
    assert got.plaintext == b"x\0"


def test_wrong_packet_number_breaks_packetno_iv() -> None:
    ext = win.windows_encrypt(b"x" * 40, AES_SIGNED, 9, key(2048).public_key(), key(2048, 1))
    got = None
    try:
        got = decrypt_message(ext, 10, key(2048), key(1024))
    except CryptoError:
        return
    assert got.plaintext != b"x" * 40 + b"\0"


def test_encrypted_for_someone_else_is_a_crypto_error() -> None:
    other = key(2048, 2)
    ext = win.windows_encrypt(b"x", AES_SIGNED, 9, other.public_key(), key(2048, 1))
    with pytest.raises(CryptoError):
        decrypt_message(ext, 9, key(2048), key(1024))


def test_missing_private_key_is_a_crypto_error() -> None:
    ext = win.windows_encrypt(b"x", FEIQ, 9, key(1024).public_key(), None)
    with pytest.raises(CryptoError, match="no private key"):
        decrypt_message(ext, 9, key(2048), None)


def test_tampered_plaintext_fails_signature() -> None:
    ext = win.windows_encrypt(b"pay 10", AES_SIGNED, 9, key(2048).public_key(), key(2048, 1))
    got = decrypt_message(ext, 9, key(2048), key(1024))
    forged = type(got)(got.capa, b"pay 99\0", got.signature)
    assert not verify_signature(forged, key(2048, 1).public_key())


# ------------------------------------------------------------------ public keys


def test_getpubkey_round_trip() -> None:
    assert format_getpubkey(0x65920006) == b"65920006"
    assert parse_getpubkey(b"21003") == 0x21003
    with pytest.raises(CryptoError):
        parse_getpubkey(b"zz")


def test_anspubkey_windows_format_both_ways() -> None:
    public = key(2048).public_key()
    ours = format_anspubkey(int(OUR_CAPA), public)
    assert ours == win.windows_anspubkey(int(OUR_CAPA), public)
    capa, read = win.windows_read_anspubkey(ours)
    assert capa == OUR_CAPA and read.public_numbers() == public.public_numbers()
    parsed = parse_anspubkey(win.windows_anspubkey(win.WINDOWS_CAPA, public))
    assert parsed.capa == win.WINDOWS_CAPA and parsed.bits == 2048
    assert parsed.public_key.public_numbers() == public.public_numbers()
    head = ours.split(b"-")[0]
    assert head == b"%X:10001" % OUR_CAPA


@pytest.mark.parametrize(
    "bad", [b"", b"4:10001", b"4:-abcd", b"4:10001-xyz", b"4:10001-ff", b"4:0-" + b"f" * 256]
)
def test_bad_anspubkey_is_a_crypto_error(bad: bytes) -> None:
    with pytest.raises(CryptoError):
        parse_anspubkey(bad)


def test_fingerprint_is_readable_and_stable() -> None:
    text = fingerprint(key(2048).public_key())
    groups = text.split(" ")
    assert len(groups) == 10 and all(len(g) == 4 for g in groups)
    assert text == fingerprint(key(2048).public_key())
    assert text != fingerprint(key(2048, 1).public_key())


def test_username_digest_field_scans_like_windows() -> None:
    assert username_digest_field("taro-<1A2B3C4D5E6F7A8B>") == "1A2B3C4D5E6F7A8B"
    assert username_digest_field("taro-<1A2B3C4D5E6F7A8B>x") == "1A2B3C4D5E6F7A8B"
    assert username_digest_field("taro") is None
    assert username_digest_field("taro-<1A2B3C4D5E6F7A8>") is None  # 15
    assert username_digest_field("taro-<1A2B3C4D5E6F7A8BC>") is None  # 17
    assert username_digest_field("a--<1A2B3C4D5E6F7A8B>") is None  # Windows misses it too


def test_username_digest_matches_windows_computation() -> None:
    public = key(2048).public_key()
    digest = username_digest(public)
    # GenUserNameDigestVal by hand: SHA-1 of the little-endian modulus, reversed, XOR-folded.
    import hashlib

    le = public.public_numbers().n.to_bytes(256, "little")
    data = hashlib.sha1(le).digest()[::-1] + bytes(4)
    expected = bytes(data[i] ^ data[8 + i] ^ data[16 + i] for i in range(8))
    assert digest == expected
    name = f"taro-<{digest.hex()}>"
    assert check_username(name, public) is True
    assert check_username(name.upper(), public) is True
    assert check_username(name, key(2048, 1).public_key()) is False
    assert check_username("taro", public) is None


# ------------------------------------------------------------------ garbage never escapes

_head = st.sampled_from([f"{int(c):X}".encode() for c in SCHEMES] + [b"0", b"FFFFFFFF", b"x"])
_field = st.one_of(
    st.binary(max_size=300),
    st.text("0123456789abcdefABCDEF", max_size=600).map(str.encode),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=400).map(
        str.encode
    ),
)
_ext = st.one_of(
    st.binary(max_size=400),
    st.builds(lambda h, fs: b":".join([h, *fs]), _head, st.lists(_field, max_size=5)),
)


@settings(max_examples=300, deadline=None)
@given(ext=_ext, packet_no=st.integers(0, 2**64))
def test_garbage_decrypt_raises_only_crypto_error(ext: bytes, packet_no: int) -> None:
    try:
        got = decrypt_message(ext, packet_no, key(2048), key(1024))
    except CryptoError:
        return
    verify_signature(got, key(2048, 1).public_key())
    with contextlib.suppress(CryptoError):
        split_plaintext(got.plaintext)


@settings(max_examples=200, deadline=None)
@given(ext=_ext)
def test_garbage_keys_raise_only_crypto_error(ext: bytes) -> None:
    for parse in (parse_anspubkey, parse_getpubkey):
        with contextlib.suppress(CryptoError):
            parse(ext)


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=100), capa=st.sampled_from(SCHEMES), iv_no=st.integers(0, 10**12))
def test_garbage_bodies_with_a_real_session_key(body: bytes, capa: int, iv_no: int) -> None:
    """A valid session key but a garbage body: padding errors become CryptoError."""
    with contextlib.suppress(CryptoError):
        cbc_decrypt(capa, bytes(32 if capa & Capa.AES_256 else 16), make_iv(capa, iv_no), body)


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=60))
def test_any_user_name_is_scanned_safely(name: str) -> None:
    assert check_username(name, key(2048).public_key()) in (None, False, True)
