"""One message to several peers (MULTICASTOPT), between engines wired in memory: one packet
number, a copy per recipient encrypted to it alone, retried and acknowledged per recipient."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives.asymmetric import rsa

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.constants import Command, SendOpt
from ipmsg_tui.protocol.engine import Engine
from ipmsg_tui.protocol.packet import Packet, parse_packet
from ipmsg_tui.protocol.peers import Addr

from ..support.wire import Switch

ALICE: Addr = ("10.77.0.1", 2425)
BOB: Addr = ("10.77.0.2", 2425)
CAROL: Addr = ("10.77.0.3", 2425)


@functools.cache
def _keys(name: str) -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=1024),
    )


def _trio(encrypting: tuple[str, ...] = ()) -> tuple[Switch, Engine, Engine, Engine]:
    lan = Switch()
    engines = []
    for ip, name in ((ALICE[0], "alice"), (BOB[0], "bob"), (CAROL[0], "carol")):
        engine = lan.add(ip, name)
        if name in encrypting:
            engine.set_keys(*_keys(name))
        engine.start(lan.now)
        engines.append(engine)
    lan.deliver()
    return lan, engines[0], engines[1], engines[2]


def _sendmsgs(lan: Switch, dst: Addr) -> list[Packet]:
    return [
        packet
        for _, to, data in lan.sent
        if to == dst and (packet := parse_packet(data)).mode == Command.SENDMSG
    ]


def _received(lan: Switch, engine: Engine) -> list[ev.MessageReceived]:
    return [e for e in lan.of(engine, ev.MessageReceived) if isinstance(e, ev.MessageReceived)]


def test_each_recipient_gets_its_own_copy_with_one_packet_number_and_multicastopt() -> None:
    lan, alice, bob, carol = _trio()
    (sent,) = alice.send_message([BOB, CAROL], "stand-up in 5", lan.now)
    assert sent.recipients == (BOB, CAROL)
    lan.deliver()
    copies = [*_sendmsgs(lan, BOB), *_sendmsgs(lan, CAROL)]
    assert len(copies) == 2  # unicast, one each: no broadcast
    assert {p.packet_no for p in copies} == {sent.packet_no}
    assert all(p.has(SendOpt.MULTICASTOPT | SendOpt.SENDCHECKOPT) for p in copies)
    assert not any(p.has(SendOpt.BROADCASTOPT) for p in copies)
    for engine in (bob, carol):
        (message,) = _received(lan, engine)
        assert message.multicast and message.text == "stand-up in 5"
    delivered = lan.of(alice, ev.MessageDelivered)
    assert set(delivered) == {
        ev.MessageDelivered(BOB, sent.packet_no),
        ev.MessageDelivered(CAROL, sent.packet_no),
    }


def test_one_recipient_down_is_retried_alone_and_fails_alone() -> None:
    lan, alice, _, _ = _trio()
    lan.drop = lambda data, src, dst: dst == CAROL  # carol went away without a BR_EXIT
    (sent,) = alice.send_message([BOB, CAROL], "who is in?", lan.now)
    lan.advance(8)
    assert len(_sendmsgs(lan, BOB)) == 1  # acknowledged at once: never sent again
    to_carol = _sendmsgs(lan, CAROL)
    assert len(to_carol) == alice.config.retry_count
    assert all(p.packet_no == sent.packet_no and p.has(SendOpt.MULTICASTOPT) for p in to_carol)
    assert lan.of(alice, ev.MessageDelivered) == [ev.MessageDelivered(BOB, sent.packet_no)]
    assert lan.of(alice, ev.MessageFailed) == [ev.MessageFailed(CAROL, sent.packet_no)]
    assert alice.pending_count() == 0


def test_resending_to_the_one_that_missed_it_keeps_multicastopt() -> None:
    lan, alice, bob, carol = _trio()
    (again,) = alice.send_message([CAROL], "who is in?", lan.now, multicast=True)
    (alone,) = alice.send_message([BOB], "just you", lan.now)
    assert alone.recipients == (BOB,)
    lan.deliver()
    (to_carol,) = _sendmsgs(lan, CAROL)
    assert to_carol.packet_no == again.packet_no and to_carol.has(SendOpt.MULTICASTOPT)
    (to_bob,) = _sendmsgs(lan, BOB)
    assert not to_bob.has(SendOpt.MULTICASTOPT)
    (message,) = _received(lan, carol)
    assert message.multicast
    (message,) = _received(lan, bob)
    assert not message.multicast


def test_encrypted_to_the_one_that_can_and_clear_to_the_one_that_cannot() -> None:
    lan, alice, bob, carol = _trio(encrypting=("alice", "bob"))
    (sent,) = alice.send_message([BOB, CAROL], "secret-ish", lan.now, sealed=True)
    lan.deliver()
    to_bob = [p for p in _sendmsgs(lan, BOB) if p.has(SendOpt.ENCRYPTOPT)]
    (to_carol,) = _sendmsgs(lan, CAROL)
    assert to_bob and to_bob[0].packet_no == sent.packet_no == to_carol.packet_no
    assert b"secret-ish" not in to_bob[0].extension  # bob's copy: his key only
    assert not to_carol.has(SendOpt.ENCRYPTOPT) and b"secret-ish" in to_carol.extension
    (got_bob,) = _received(lan, bob)
    (got_carol,) = _received(lan, carol)
    assert got_bob.decrypted and got_bob.signed and got_bob.multicast and got_bob.sealed
    assert not got_carol.encrypted and got_carol.multicast and got_carol.sealed
    assert {d.addr for d in lan.of(alice, ev.MessageDelivered)} == {BOB, CAROL}
    # Each opens it: one read notice each, for the shared packet number.
    for engine, message in ((bob, got_bob), (carol, got_carol)):
        engine.open_sealed(message.addr, message.packet_no, message.read_check, lan.now)
    lan.deliver()
    assert set(lan.of(alice, ev.MessageOpened)) == {
        ev.MessageOpened(BOB, sent.packet_no),
        ev.MessageOpened(CAROL, sent.packet_no),
    }


def test_attachments_go_to_every_recipient_with_the_shared_number() -> None:
    lan, alice, bob, carol = _trio()
    files = [Attachment(file_id=1, name="plan.txt", size=5, mtime=1_700_000_000)]
    (sent,) = alice.send_message([BOB, CAROL], "the plan", lan.now, attachments=files)
    lan.deliver()
    for engine in (bob, carol):
        (message,) = _received(lan, engine)
        assert message.multicast and [a.name for a in message.attachments] == ["plan.txt"]
        assert message.packet_no == sent.packet_no
