"""Encrypted and signed messages between engines in memory, and with Windows-made packets."""

from __future__ import annotations

import functools
import random

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from ipmsg_tui.headless.output import key_missing_reason
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.constants import MAX_DATAGRAM_DEFAULT, Command, EntryOpt, SendOpt
from ipmsg_tui.protocol.crypto import Capa
from ipmsg_tui.protocol.engine import Engine, EngineError
from ipmsg_tui.protocol.keyring import public_der
from ipmsg_tui.protocol.packet import Packet, format_packet, join_parts, parse_packet
from ipmsg_tui.protocol.pubkey import fingerprint, parse_anspubkey, username_digest

from ..support import wincrypto as win
from ..support.wire import Switch, make_engine


@functools.cache
def keys(name: str) -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=1024),
    )


def _pair(
    alice_policy: str = "auto", bob_policy: str = "auto", bob_keys: bool = True
) -> tuple[Switch, Engine, Engine]:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice", encryption=alice_policy)
    bob = lan.add("10.77.0.2", "bob", encryption=bob_policy)
    alice.set_keys(*keys("alice"))
    if bob_keys:
        bob.set_keys(*keys("bob"))
    alice.start(lan.now)
    bob.start(lan.now)
    lan.deliver()
    return lan, alice, bob


BOB = ("10.77.0.2", 2425)
ALICE = ("10.77.0.1", 2425)


def _sendmsgs(lan: Switch, dst: tuple[str, int]) -> list[Packet]:
    return [
        p
        for src, d, data in lan.sent
        if d == dst and (p := parse_packet(data)).mode == Command.SENDMSG
    ]


def _received(lan: Switch, engine: Engine) -> list[ev.MessageReceived]:
    return [e for e in lan.of(engine, ev.MessageReceived) if isinstance(e, ev.MessageReceived)]


def test_entry_advertises_encryption_only_with_keys_and_never_ipdict() -> None:
    lan = Switch()
    alice = lan.add("10.77.0.1", "alice")
    alice.start(lan.now)
    alice.set_keys(*keys("alice"))  # keys arrive after the start: BR_ABSENCE tells everyone
    lan.deliver()
    entries = [parse_packet(data) for _, _, data in lan.sent]
    assert not entries[1].has(EntryOpt.ENCRYPTOPT)  # the BR_ENTRY before the keys
    last = entries[-1]
    assert last.mode == Command.BR_ABSENCE
    assert last.has(EntryOpt.ENCRYPTOPT) and last.has(EntryOpt.ENCEXTMSGOPT)
    assert not any(p.has(EntryOpt.CAPIPDICTOPT) for p in entries)
    assert alice.encryption_ready and alice.our_fingerprint() == fingerprint(
        keys("alice")[0].public_key()
    )


def test_policy_off_advertises_nothing_and_sends_clear() -> None:
    lan, alice, bob = _pair(bob_policy="off")
    assert not any(parse_packet(d).has(EntryOpt.ENCRYPTOPT) for s, _, d in lan.sent if s == BOB)
    alice.send_message([BOB], "hello", lan.now)
    lan.deliver()
    [msg] = _received(lan, bob)
    assert msg.text == "hello" and not msg.encrypted
    assert not any(p.mode == Command.GETPUBKEY for _, _, d in lan.sent for p in [parse_packet(d)])


def test_message_is_encrypted_signed_and_both_keys_learned() -> None:
    lan, alice, bob = _pair()
    alice.send_message([BOB], "secret plans\nline two", lan.now)
    lan.deliver()
    [msg] = _received(lan, bob)
    assert (msg.text, msg.encrypted, msg.decrypted, msg.signed) == (
        "secret plans\nline two",
        True,
        True,
        True,
    )
    assert not msg.key_changed
    [wire] = _sendmsgs(lan, BOB)
    assert wire.has(SendOpt.ENCRYPTOPT)
    assert b"secret" not in wire.extension
    head = int(wire.parts()[0].split(b":")[0], 16)
    assert head == Capa.RSA_2048 | Capa.AES_256 | Capa.PACKETNO_IV | Capa.ENCODE_BASE64 | (
        Capa.SIGN_SHA256
    )
    assert lan.of(alice, ev.MessageDelivered)
    learned = lan.of(bob, ev.KeyLearned)
    assert [e.identity for e in learned if isinstance(e, ev.KeyLearned)] == ["alice@host-1"]
    assert bob.peer_fingerprint(ALICE) == fingerprint(keys("alice")[0].public_key())
    # the key is asked once, then cached
    alice.send_message([BOB], "again", lan.now)
    lan.deliver()
    asks = [1 for s, _, d in lan.sent if s == ALICE and parse_packet(d).mode == Command.GETPUBKEY]
    assert len(asks) == 1
    assert [m.text for m in _received(lan, bob)] == ["secret plans\nline two", "again"]


def test_sealed_multipart_and_attachments_inside() -> None:
    lan, alice, bob = _pair()
    files = [Attachment(file_id=1, name="plan.txt", size=5, mtime=1_700_000_000)]
    long_text = "x" * 20000
    sent = alice.send_message([BOB], long_text, lan.now, sealed=True, attachments=files)
    assert len(sent) > 1
    lan.deliver()
    got = _received(lan, bob)
    assert "".join(m.text for m in got) == long_text
    assert all(m.sealed and m.decrypted and m.signed for m in got)
    assert [a.name for a in got[0].attachments] == ["plan.txt"]
    wires = _sendmsgs(lan, BOB)
    assert all(b"plan.txt" not in w.extension for w in wires)
    sizes = [len(d) for s, dst, d in lan.sent if dst == BOB]
    assert max(sizes) <= MAX_DATAGRAM_DEFAULT  # the encrypted parts still fit
    assert wires[0].options & EntryOpt.ENCEXTMSGOPT
    assert len(lan.of(alice, ev.MessageDelivered)) == len(sent)


def test_multiple_recipients_each_get_their_own_encryption() -> None:
    lan, alice, bob = _pair()
    carol = lan.add("10.77.0.3", "carol")
    carol.set_keys(*keys("carol"))
    carol.start(lan.now)
    lan.deliver()
    alice.send_message([BOB, ("10.77.0.3", 2425)], "to both", lan.now)
    lan.deliver()
    for engine in (bob, carol):
        [msg] = _received(lan, engine)
        assert msg.text == "to both" and msg.signed and msg.multicast


def test_silent_peer_gets_clear_text_with_a_note() -> None:
    lan, alice, bob = _pair()
    lan.drop = lambda data, src, dst: parse_packet(data).mode == Command.ANSPUBKEY
    [out] = alice.send_message([BOB], "hello", lan.now)
    lan.advance(5)
    [missing] = lan.of(alice, ev.KeyMissing)
    assert isinstance(missing, ev.KeyMissing)
    assert missing.sent_in_clear and missing.packet_no == out.packet_no
    assert not missing.queue_full
    [msg] = _received(lan, bob)
    assert msg.text == "hello" and not msg.encrypted
    asks = [1 for s, _, d in lan.sent if s == ALICE and parse_packet(d).mode == Command.GETPUBKEY]
    assert len(asks) == 3  # tried three times, then gave up


def test_a_full_key_queue_is_named_as_the_reason_not_the_peer() -> None:
    lan, alice, bob = _pair()
    lan.drop = lambda data, src, dst: parse_packet(data).mode == Command.ANSPUBKEY
    for number in range(256):  # as many as may wait for keys, in all
        alice.send_message([BOB], f"waiting {number}", lan.now)
    [out] = alice.send_message([BOB], "one too many", lan.now)
    lan.deliver()
    [missing] = lan.of(alice, ev.KeyMissing)
    assert isinstance(missing, ev.KeyMissing)
    assert (missing.packet_no, missing.sent_in_clear, missing.queue_full) == (
        out.packet_no,
        True,
        True,
    )
    assert key_missing_reason(missing) == (
        "too many messages were already waiting for keys (the key of 10.77.0.2:2425 not yet here)"
    )
    assert [m.text for m in _received(lan, bob)] == ["one too many"]


def test_required_refuses_clear_text() -> None:
    lan, alice, bob = _pair(alice_policy="required", bob_policy="off")
    with pytest.raises(EngineError, match="encryption is required, and bob cannot encrypt"):
        alice.send_message([BOB], "hello", lan.now)
    lan.deliver()
    assert not _received(lan, bob)


def test_required_refuses_a_broadcast() -> None:
    """IPMSG has no group key: a message to everyone is always clear text."""
    lan, alice, bob = _pair(alice_policy="required")
    with pytest.raises(EngineError, match="messages to everyone are never encrypted"):
        alice.broadcast_message("hello all", lan.now)
    lan.deliver()
    assert not _received(lan, bob)


def test_required_with_a_silent_peer_fails_the_message() -> None:
    lan, alice, bob = _pair(alice_policy="required")
    lan.drop = lambda data, src, dst: parse_packet(data).mode == Command.ANSPUBKEY
    [out] = alice.send_message([BOB], "hello", lan.now)
    lan.advance(5)
    assert not _received(lan, bob)
    failed = lan.of(alice, ev.MessageFailed)
    assert [e.packet_no for e in failed if isinstance(e, ev.MessageFailed)] == [out.packet_no]
    [missing] = lan.of(alice, ev.KeyMissing)
    assert isinstance(missing, ev.KeyMissing) and not missing.sent_in_clear


def test_changed_key_is_reported_and_marked() -> None:
    lan, alice, bob = _pair()
    bob.load_pins({"alice@host-1": public_der(keys("mallory")[0].public_key())})
    alice.send_message([BOB], "hi", lan.now)
    lan.deliver()
    [changed] = lan.of(bob, ev.KeyChanged)
    assert isinstance(changed, ev.KeyChanged)
    assert changed.old_fingerprint == fingerprint(keys("mallory")[0].public_key())
    assert changed.new_fingerprint == fingerprint(keys("alice")[0].public_key())
    [msg] = _received(lan, bob)
    assert msg.key_changed and msg.signed
    bob.accept_key(changed.identity, changed.public_der)
    alice.send_message([BOB], "hi again", lan.now)
    lan.deliver()
    assert not _received(lan, bob)[-1].key_changed


# ------------------------------------------------------------------ Windows-made packets

WIN = ("10.77.0.9", 2425)
NOW = 1_800_000_000.0


def _bob_with_windows_peer(user: str = "taro") -> Engine:
    bob = make_engine("10.77.0.2", "bob", NOW)
    bob.set_keys(*keys("bob"))
    bob.start(NOW)
    entry = EntryOpt.ENCRYPTOPT | EntryOpt.ENCEXTMSGOPT | EntryOpt.CAPUTF8OPT
    bob.receive_datagram(
        format_packet(b"1", 100, user.encode(), b"WINPC", Command.ANSENTRY | entry, b"Taro\0\0"),
        WIN,
        NOW,
    )
    bob.datagrams_to_send()
    bob.events()
    return bob


def _windows_sendmsg(packet_no: int, ext: bytes, user: bytes = b"taro") -> bytes:
    command = Command.SENDMSG | SendOpt.SENDCHECKOPT | SendOpt.ENCRYPTOPT | SendOpt.UTF8OPT
    return format_packet(b"1", packet_no, user, b"WINPC", command, ext + b"\0")


def _answer_key_requests(bob: Engine, private: rsa.RSAPrivateKey, user: bytes = b"taro") -> None:
    for data, addr in bob.datagrams_to_send():
        if addr == WIN and parse_packet(data).mode == Command.GETPUBKEY:
            body = win.windows_anspubkey(win.WINDOWS_CAPA, private.public_key()) + b"\0"
            answer = format_packet(b"1", 200, user, b"WINPC", Command.ANSPUBKEY, body)
            bob.receive_datagram(answer, WIN, NOW)


def _acks(datagrams: list[tuple[bytes, tuple[str, int]]]) -> list[bytes]:
    return [
        parse_packet(d).parts()[0] for d, _ in datagrams if parse_packet(d).mode == Command.RECVMSG
    ]


SCHEMES = [
    win.RSA_2048 | win.AES_256 | win.PACKETNO_IV | win.SIGN_SHA256 | win.ENCODE_BASE64,
    win.RSA_2048 | win.AES_256 | win.PACKETNO_IV | win.SIGN_SHA256,
    win.RSA_2048 | win.AES_256 | win.SIGN_SHA1,
    win.RSA_2048 | win.AES_256 | win.SIGN_SHA1 | win.ENCODE_BASE64,
]


@pytest.mark.parametrize("capa", SCHEMES, ids=lambda c: f"{c:X}")
def test_windows_signed_messages_in_every_scheme(capa: int) -> None:
    bob = _bob_with_windows_peer()
    taro = keys("taro")[0]
    ext = win.windows_encrypt(b"konnichiwa", capa, 1234, keys("bob")[0].public_key(), taro)
    bob.receive_datagram(_windows_sendmsg(1234, ext), WIN, NOW)
    assert not bob.events()  # waiting for taro's key to check the signature
    _answer_key_requests(bob, taro)
    got = [e for e in bob.events() if isinstance(e, ev.MessageReceived)]
    assert [(m.text, m.encrypted, m.signed) for m in got] == [("konnichiwa", True, True)]
    assert _acks(bob.datagrams_to_send()) == [b"1234"]


def test_feiq_message_is_encrypted_but_unsigned() -> None:
    bob = _bob_with_windows_peer()
    ext = win.windows_encrypt(
        b"ni hao", win.FEIQ_MESSAGE_CAPA, 77, keys("bob")[1].public_key(), None
    )
    bob.receive_datagram(_windows_sendmsg(77, ext), WIN, NOW)
    [msg] = [e for e in bob.events() if isinstance(e, ev.MessageReceived)]
    assert (msg.text, msg.encrypted, msg.decrypted, msg.signed) == ("ni hao", True, True, False)
    assert _acks(bob.datagrams_to_send()) == [b"77"]


def test_windows_attachment_list_inside_the_encryption() -> None:
    bob = _bob_with_windows_peer()
    taro = keys("taro")[0]
    files = b"0:report.pdf:1f:65000000:1:\a"
    capa = SCHEMES[0]
    ext = win.windows_encrypt(
        b"see file", capa, 55, keys("bob")[0].public_key(), taro, files + b"\0"
    )
    command = (
        Command.SENDMSG
        | SendOpt.SENDCHECKOPT
        | SendOpt.ENCRYPTOPT
        | SendOpt.UTF8OPT
        | SendOpt.FILEATTACHOPT
        | EntryOpt.ENCEXTMSGOPT
    )
    bob.receive_datagram(format_packet(b"1", 55, b"taro", b"WINPC", command, ext + b"\0"), WIN, NOW)
    _answer_key_requests(bob, taro)
    [msg] = [e for e in bob.events() if isinstance(e, ev.MessageReceived)]
    assert [(a.name, a.size) for a in msg.attachments] == [("report.pdf", 0x1F)]


def test_forged_signature_is_rejected_without_receipt() -> None:
    bob = _bob_with_windows_peer()
    mallory = keys("mallory")[0]
    ext = win.windows_encrypt(b"pay me", SCHEMES[0], 66, keys("bob")[0].public_key(), mallory)
    bob.receive_datagram(_windows_sendmsg(66, ext), WIN, NOW)
    _answer_key_requests(bob, keys("taro")[0])  # the real taro's key
    events = bob.events()
    assert not [e for e in events if isinstance(e, ev.MessageReceived)]
    [rejected] = [e for e in events if isinstance(e, ev.MessageRejected)]
    assert rejected.packet_no == 66 and "signature" in rejected.reason
    assert _acks(bob.datagrams_to_send()) == []
    # the retransmission is rejected again, silently (one notice per message)
    bob.receive_datagram(_windows_sendmsg(66, ext), WIN, NOW)
    assert not [e for e in bob.events() if isinstance(e, ev.MessageRejected)]
    assert _acks(bob.datagrams_to_send()) == []


def test_undecryptable_is_rejected_without_receipt() -> None:
    bob = _bob_with_windows_peer()
    ext = win.windows_encrypt(b"x", SCHEMES[0], 5, keys("carol")[0].public_key(), None)
    bob.receive_datagram(_windows_sendmsg(5, ext), WIN, NOW)
    [rejected] = [e for e in bob.events() if isinstance(e, ev.MessageRejected)]
    assert "decrypt" in rejected.reason
    assert _acks(bob.datagrams_to_send()) == []


def test_we_answer_getpubkey_the_windows_way() -> None:
    bob = _bob_with_windows_peer()
    ask = format_packet(b"1", 300, b"taro", b"WINPC", Command.GETPUBKEY, b"65920006\0")
    bob.receive_datagram(ask, WIN, NOW)
    out = [parse_packet(d) for d, a in bob.datagrams_to_send() if a == WIN]
    answer = next(p for p in out if p.mode == Command.ANSPUBKEY)
    assert not answer.has(SendOpt.UTF8OPT)
    capa, key = win.windows_read_anspubkey(answer.parts()[0])
    assert key.key_size == 2048 and capa & win.RSA_2048
    assert key.public_numbers() == keys("bob")[0].public_key().public_numbers()
    # Windows signs: we ask back for its key, marked AUTORETOPT against ping-pong
    back = next(p for p in out if p.mode == Command.GETPUBKEY)
    assert back.has(SendOpt.AUTORETOPT)
    feiq = format_packet(b"1", 301, b"feiq", b"PC2", Command.GETPUBKEY, b"21003\0")
    bob.receive_datagram(feiq, ("10.77.0.10", 2425), NOW)
    [(data, _)] = bob.datagrams_to_send()
    assert parse_anspubkey(parse_packet(data).parts()[0]).bits == 1024


def test_impostor_key_contradicting_the_user_name_is_refused() -> None:
    real = keys("taro")[0]
    name = f"taro-<{username_digest(real.public_key()).hex()}>"
    bob = _bob_with_windows_peer(name)
    ext = win.windows_encrypt(b"hi", SCHEMES[0], 9, keys("bob")[0].public_key(), keys("mallory")[0])
    bob.receive_datagram(_windows_sendmsg(9, ext, name.encode()), WIN, NOW)
    _answer_key_requests(bob, keys("mallory")[0], name.encode())
    events = bob.events()
    assert [e for e in events if isinstance(e, ev.KeyRejected)]
    assert not [e for e in events if isinstance(e, ev.MessageReceived)]
    assert bob.peer_fingerprint(WIN) is None


def test_unasked_key_answers_are_ignored() -> None:
    bob = _bob_with_windows_peer()
    body = win.windows_anspubkey(win.WINDOWS_CAPA, keys("mallory")[0].public_key()) + b"\0"
    bob.receive_datagram(
        format_packet(b"1", 9, b"taro", b"WINPC", Command.ANSPUBKEY, body), WIN, NOW
    )
    assert bob.peer_fingerprint(WIN) is None


def test_decryption_for_strangers_is_rate_limited() -> None:
    bob = make_engine("10.77.0.2", "bob", NOW, stranger_message_rate=1e9)
    bob.set_keys(*keys("bob"))
    ext = win.windows_encrypt(b"x", SCHEMES[0], 1, keys("bob")[0].public_key(), None)
    for i in range(200):
        bob.receive_datagram(_windows_sendmsg(1000 + i, ext), (f"10.77.1.{i}", 2425), NOW)
    over = bob.stats.get("encrypted message from an unconfirmed sender over the rate limit", 0)
    assert over >= 150  # a burst of 20 went through; the rest cost no RSA work


_garbage = st.one_of(
    st.binary(max_size=600).map(lambda b: b.replace(b"\0", b"")),
    st.builds(
        lambda head, rest: b"%X:" % head + rest,
        st.sampled_from([*SCHEMES, win.FEIQ_MESSAGE_CAPA, 0]),
        st.binary(max_size=600).map(lambda b: b.replace(b"\0", b"")),
    ),
)


@settings(max_examples=150, deadline=None)
@given(ext=_garbage, packet_no=st.integers(1, 2**40))
def test_garbage_encrypted_never_raises_nor_gets_receipts(ext: bytes, packet_no: int) -> None:
    bob = _bob_with_windows_peer()
    bob.receive_datagram(_windows_sendmsg(packet_no, ext), WIN, NOW)
    assert not [e for e in bob.events() if isinstance(e, ev.MessageReceived)]
    assert _acks(bob.datagrams_to_send()) == []
    for mode in (Command.ANSPUBKEY, Command.GETPUBKEY):
        bob.receive_datagram(
            format_packet(b"1", packet_no, b"taro", b"WINPC", mode, join_parts(ext)), WIN, NOW
        )


def test_a_peer_with_a_new_key_is_asked_again_and_reported() -> None:
    lan, alice, bob = _pair()
    alice.send_message([BOB], "first", lan.now)
    lan.deliver()
    alice.set_keys(*keys("alice-reinstalled"))  # alice made new keys (a reinstall)
    alice.send_message([BOB], "second", lan.now)
    lan.deliver()
    got = _received(lan, bob)
    assert [(m.text, m.signed, m.key_changed) for m in got] == [
        ("first", True, False),
        ("second", True, True),
    ]
    [changed] = lan.of(bob, ev.KeyChanged)
    assert isinstance(changed, ev.KeyChanged)
    assert changed.new_fingerprint == fingerprint(keys("alice-reinstalled")[0].public_key())
    assert not lan.of(bob, ev.MessageRejected)


def test_pin_identity_is_the_entry_name_not_the_code_page_header() -> None:
    """Windows sends ANSPUBKEY without UTF8OPT, names in its code page: the pin must still
    be under the name its (UTF-8) entry gave."""
    bob = make_engine("10.77.0.2", "bob", NOW, legacy_codec="gb18030")
    bob.set_keys(*keys("bob"))
    user = "太郎"
    entry = Command.ANSENTRY | EntryOpt.ENCRYPTOPT | EntryOpt.UTF8OPT | EntryOpt.CAPUTF8OPT
    bob.receive_datagram(
        format_packet(b"1", 100, user.encode(), b"WINPC", entry, "太郎\0\0".encode()), WIN, NOW
    )
    bob.send_message([WIN], "hi", NOW)
    body = win.windows_anspubkey(win.WINDOWS_CAPA, keys("taro")[0].public_key()) + b"\0"
    answer = format_packet(b"1", 200, user.encode("cp932"), b"WINPC", Command.ANSPUBKEY, body)
    bob.receive_datagram(answer, WIN, NOW)
    [learned] = [e for e in bob.events() if isinstance(e, ev.KeyLearned)]
    assert learned.identity == "太郎@WINPC"


@pytest.mark.parametrize("seed", range(6))
def test_acknowledged_means_shown_both_ways_over_a_lossy_wire(seed: int) -> None:
    """Both peers encrypt; the wire loses 15% and duplicates 10% of everything, the key
    exchange too, while messages go both ways: every message its sender saw acknowledged was
    shown once on the other side (its RECVMSG leaves only after the MessageReceived)."""
    lan, alice, bob = _pair()
    fate = random.Random(seed)
    lan.drop = lambda data, src, dst: fate.random() < 0.15
    lan.duplicate = lambda data, src, dst: fate.random() < 0.10
    sent: dict[tuple[str, int], list[int]] = {BOB: [], ALICE: []}
    for i in range(30):
        sent[BOB] += [m.packet_no for m in alice.send_message([BOB], f"a→b {i}", lan.now)]
        sent[ALICE] += [m.packet_no for m in bob.send_message([ALICE], f"b→a {i}", lan.now)]
        lan.advance(0.1)
    lan.advance(30)
    for sender, receiver, dst in ((alice, bob, BOB), (bob, alice, ALICE)):
        delivered = [e.packet_no for e in lan.of(sender, ev.MessageDelivered)]
        shown = [m.packet_no for m in _received(lan, receiver)]
        assert set(delivered) <= set(shown)
        assert len(shown) == len(set(shown))
        assert set(delivered) <= set(sent[dst]) and len(delivered) >= 25
        assert all(m.decrypted and m.signed for m in _received(lan, receiver))
