"""Encryption over real sockets on a namespace LAN (10.77.0.x, port 2425, found by broadcast).

Scripted peers that encrypt the Windows way and the FeiQ way (tests/support/scripted_peers.py,
written from the Windows source) exchange messages with ``listen`` and ``send`` both ways; a
forged signature is rejected and never acknowledged; a changed key is reported until
``accept_key``; a peer that never gives its key gets clear text with a note, or nothing under
``required``; two ipmsg-tui hosts talk encrypted and signed, which the wire shows.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ipmsg_tui.keystore import KeyPair, load_or_create_keys
from ipmsg_tui.protocol.pubkey import fingerprint

from ..support.netlab import Host, Lan, lan_of
from ..support.procs import Listener, run
from ..support.scripted_peers import ENCRYPTOPT, SENDMSG, ScriptedPeer, feiq_peer, windows_peer
from ..support.sniff import Datagram, Sniffer

PORT = 2425


@functools.cache
def key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@pytest.fixture
def lan() -> Iterator[Lan]:
    with lan_of("a", "b", "c", "d") as lan:
        yield lan


def host_args(tmp_path: Path, name: str) -> list[str]:
    """Each host has its own name and data dir (keys made beforehand: no waiting for the
    background thread)."""
    config = tmp_path / f"{name}.toml"
    config.write_text(f'host = "lan-{name}"\nuser = "user{name}"\n')
    data = tmp_path / f"data-{name}"
    return ["--config", str(config), "--data-dir", str(data)]


def own_runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> None:
    """Processes started from now on get a runtime folder of host ``name``: the namespaces
    share /tmp, and a `send` finding another host's control socket would go through it."""
    folder = tmp_path / f"run-{name}"
    folder.mkdir(mode=0o700, exist_ok=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))


def keys_of(tmp_path: Path, name: str) -> KeyPair:
    return load_or_create_keys(tmp_path / f"data-{name}")


def at(host: Host) -> tuple[str, int]:
    return (host.ip, PORT)


def sendmsgs(sniffer: Sniffer, src: Host, dst: Host, at_least: int = 0) -> list[Datagram]:
    """The SENDMSGs from ``src`` to ``dst`` seen so far; with ``at_least``, waiting for
    that many (a message already answered has crossed the wire, but the sniffer's thread
    may not have read it yet on a busy machine)."""

    def wanted(d: Datagram) -> bool:
        return d.mode == SENDMSG and d.src[0] == src.ip and d.dst[0] == dst.ip

    return sniffer.wait_for(wanted, at_least) if at_least else sniffer.matching(wanted)


def test_windows_and_feiq_peers_both_ways_with_listen_and_send(
    lan: Lan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_runtime(monkeypatch, tmp_path, "a")
    keys_of(tmp_path, "a")
    ours_d = keys_of(tmp_path, "d")
    with (
        windows_peer(PORT, key("taro"), netns=lan["b"].netns) as taro,
        feiq_peer(PORT, key("feiq", 1024), netns=lan["c"].netns) as feiq,
        Sniffer(lan["a"]) as wire,
        Listener(host_args(tmp_path, "a"), netns=lan["a"].netns, commands=True) as alice,
    ):
        for peer, user in ((taro, "taro"), (feiq, "feiq")):
            peer.announce(at(lan["a"]))
            joined = alice.wait_for(
                lambda e, u=user: e["event"] == "peer_joined" and e["user"] == u
            )
            assert joined["encryption"] is True

        # scripted peers -> listen
        number = taro.send_encrypted("こんにちは from Windows", at(lan["a"]))
        message = alice.wait_for(lambda e: e["event"] == "message" and e["user"] == "taro")
        assert (message["text"], message["encrypted"], message["signed"]) == (
            "こんにちは from Windows",
            True,
            True,
        )
        taro.wait_acks(number)
        number = feiq.send_encrypted("ni hao from FeiQ", at(lan["a"]))
        message = alice.wait_for(lambda e: e["event"] == "message" and e["user"] == "feiq")
        assert (message["text"], message["encrypted"], message["signed"]) == (
            "ni hao from FeiQ",
            True,
            False,
        )
        feiq.wait_acks(number)

        # listen -> scripted peers (through --commands), encrypted to their keys
        alice.command(send="hello Windows, from listen", to=lan["b"].ip, id=1)
        alice.command(send="hello FeiQ, from listen", to=lan["c"].ip, id=2)
        for peer, text, signed in (
            (taro, "hello Windows, from listen", True),
            (feiq, "hello FeiQ, from listen", None),
        ):
            peer.wait_received(1)
            [got] = [g for g in peer.received if g.text == text]
            assert got.signature_ok is signed  # Windows checks ours; FeiQ's scheme has none
        sent = alice.wait_for_all(lambda e: e["event"] == "sent", 2)
        delivered = alice.wait_for_all(lambda e: e["event"] == "message_delivered", 2)
        assert {e["packet_no"] for e in delivered} == {e["packet_no"] for e in sent}
        # on the wire: ENCRYPTOPT, and the text nowhere
        out = sendmsgs(wire, lan["a"], lan["b"], 1) + sendmsgs(wire, lan["a"], lan["c"], 1)
        assert out and all(d.command & ENCRYPTOPT for d in out)
        assert not [d for d in out if b"from listen" in d.payload]

        # `send` (a fresh process on host d) -> scripted peers
        taro.their_keys[at(lan["d"])] = ours_d.key_2048.public_key()
        own_runtime(monkeypatch, tmp_path, "d")
        for peer, target, text in ((taro, lan["b"].ip, "hi taro"), (feiq, lan["c"].ip, "hi feiq")):
            sent = run(["send", target, text, *host_args(tmp_path, "d")], netns=lan["d"].netns)
            assert sent.returncode == 0, sent.stderr
            assert sent.stderr == ""
            [got] = [g for g in peer.wait_received(2) if g.text == text]
            assert got.signature_ok is (True if peer is taro else None)


def test_forged_signature_is_rejected_and_never_acknowledged(lan: Lan, tmp_path: Path) -> None:
    keys_of(tmp_path, "a")
    with (
        windows_peer(PORT, key("taro"), sign_with=key("mallory"), netns=lan["b"].netns) as forger,
        Listener(host_args(tmp_path, "a"), netns=lan["a"].netns) as alice,
    ):
        forger.announce(at(lan["a"]))
        alice.wait_for(lambda e: e["event"] == "peer_joined" and e["user"] == "taro")
        number = forger.send_encrypted("pay mallory", at(lan["a"]))
        rejected = alice.wait_for(lambda e: e["event"] == "message_rejected")
        assert rejected["packet_no"] == number and "signature" in rejected["reason"]
        assert (rejected["ip"], rejected["user"], rejected["host"]) == (
            lan["b"].ip,
            "taro",
            "WINPC",
        )
        for _ in range(3):  # the sender's retries fail too
            forger.retransmit(number)
        events = alice.collect(1.5)
        assert not [e for e in events if e["event"] == "message"]
        assert number not in forger.acks


def test_changed_key_is_reported_until_accepted(lan: Lan, tmp_path: Path) -> None:
    keys_of(tmp_path, "a")
    args = host_args(tmp_path, "a")

    def run_listener(peer_key: rsa.RSAPrivateKey, text: str) -> tuple[Listener, ScriptedPeer]:
        taro = windows_peer(PORT, peer_key, netns=lan["b"].netns)
        alice = Listener(args, netns=lan["a"].netns, commands=True)
        taro.announce(at(lan["a"]))
        alice.wait_for(lambda e: e["event"] == "peer_joined" and e["user"] == "taro")
        taro.send_encrypted(text, at(lan["a"]))
        alice.wait_for(lambda e: e["event"] == "message" and e["text"] == text)
        return alice, taro

    alice, taro = run_listener(key("taro"), "first")  # pinned on first use
    assert not [e for e in alice.events if e["event"] == "key_changed"]
    assert alice.stop() == 0
    taro.close()

    for attempt in ("second", "third"):  # taro reinstalled: reported on every run ...
        alice, taro = run_listener(key("taro-new"), attempt)
        changed = alice.wait_for(lambda e: e["event"] == "key_changed")
        assert changed["old_fingerprint"] == fingerprint(key("taro").public_key())
        assert changed["new_fingerprint"] == fingerprint(key("taro-new").public_key())
        assert (changed["ip"], changed["user"], changed["host"]) == (lan["b"].ip, "taro", "WINPC")
        if attempt == "third":  # ... until the user accepts it
            alice.command(accept_key="taro", id=9)
            accepted = alice.wait_for(lambda e: e["event"] == "key_accepted")
            assert accepted == {
                "event": "key_accepted",
                "id": 9,
                "ip": lan["b"].ip,
                "port": PORT,
                "identity": "taro@WINPC",
                "fingerprint": fingerprint(key("taro-new").public_key()),
            }
            alice.command(accept_key="nobody", id=10)
            error = alice.wait_for(lambda e: e["event"] == "error")
            assert error["id"] == 10
        assert alice.stop() == 0
        taro.close()

    alice, taro = run_listener(key("taro-new"), "fourth")
    message = alice.wait_for(lambda e: e["event"] == "message" and e["text"] == "fourth")
    assert message["signed"] is True
    assert not [e for e in alice.collect(1.0) if e["event"] == "key_changed"]
    assert alice.stop() == 0
    taro.close()


def test_a_peer_that_never_gives_its_key_gets_clear_text_or_nothing(
    lan: Lan, tmp_path: Path
) -> None:
    keys_of(tmp_path, "d")
    with (
        windows_peer(PORT, key("taro"), answers_keys=False, netns=lan["b"].netns) as mute,
        Sniffer(lan["b"]) as wire,
    ):
        args = host_args(tmp_path, "d")
        sent = run(["send", lan["b"].ip, "plain after all", *args], netns=lan["d"].netns)
        assert sent.returncode == 0, sent.stderr
        assert sent.stderr.strip() == f"ipmsg-tui: sent unencrypted: no key from {lan['b'].ip}:2425"
        [got] = mute.wait_received()
        assert (got.text, got.signature_ok) == ("plain after all", None)
        [clear] = sendmsgs(wire, lan["d"], lan["b"], 1)
        assert not clear.command & ENCRYPTOPT and b"plain after all" in clear.payload

        refused = run(
            ["send", lan["b"].ip, "never in clear", *args, "--encryption", "required"],
            netns=lan["d"].netns,
        )
        assert refused.returncode == 1
        assert "not sent (encryption required): no key from" in refused.stderr
        assert len(sendmsgs(wire, lan["d"], lan["b"])) == 1  # nothing more went out
        assert [g.text for g in mute.received] == ["plain after all"]


def test_two_ipmsg_tui_hosts_talk_encrypted_and_signed(lan: Lan, tmp_path: Path) -> None:
    keys_of(tmp_path, "a")
    keys_of(tmp_path, "b")
    with (
        Sniffer(lan["a"]) as wire,
        Listener(host_args(tmp_path, "a"), netns=lan["a"].netns, commands=True) as alice,
        Listener(host_args(tmp_path, "b"), netns=lan["b"].netns, commands=True) as bob,
    ):
        alice.wait_for(lambda e: e["event"] == "peer_joined" and e["ip"] == lan["b"].ip)
        bob.wait_for(lambda e: e["event"] == "peer_joined" and e["ip"] == lan["a"].ip)
        alice.command(send="secret plans 🔐", to=lan["b"].ip)
        bob.command(send="top secret reply", to=lan["a"].ip)
        for listener, text, sender in (
            (bob, "secret plans 🔐", "a"),
            (alice, "top secret reply", "b"),
        ):
            message = listener.wait_for(lambda e: e["event"] == "message")
            assert (message["text"], message["ip"]) == (text, lan[sender].ip)
            assert (message["encrypted"], message["signed"]) == (True, True)
        for listener in (alice, bob):
            listener.wait_for(lambda e: e["event"] == "message_delivered")
        both = sendmsgs(wire, lan["a"], lan["b"], 1) + sendmsgs(wire, lan["b"], lan["a"], 1)
        assert len(both) >= 2 and all(d.command & ENCRYPTOPT for d in both)
        for text in ("secret plans 🔐", "top secret reply"):
            assert not [d for d in both if text.encode() in d.payload]
