"""Encrypted messages with scripted Windows and FeiQ peers on 127.0.0.1: `listen` and `send`
both ways, a forged signature rejected, a changed key reported, `who` showing encryption."""

from __future__ import annotations

import functools
import json
import stat
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from ipmsg_tui.keystore import KeyPair, load_or_create_keys
from ipmsg_tui.protocol.pubkey import fingerprint

from ..support.procs import Listener, run
from ..support.scripted_peers import feiq_peer, windows_peer

LOOP = "127.0.0.1"


@functools.cache
def key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def common(port: int, *peers: int, data: Path) -> list[str]:
    args = ["--bind", LOOP, "--port", str(port), "--data-dir", str(data)]
    for peer in peers:
        args += ["--host", f"{LOOP}:{peer}"]
    return args


def _keys(data: Path) -> KeyPair:
    # Made before the process starts, so the test need not wait for the background thread.
    return load_or_create_keys(data)


def test_windows_peer_both_ways_with_listen_and_send(ports: list[int], tmp_path: Path) -> None:
    _keys(tmp_path / "a")
    ours_b = _keys(tmp_path / "b")
    with (
        windows_peer(ports[1], key("taro")) as taro,
        Listener(common(ports[0], ports[1], data=tmp_path / "a")) as alice,
    ):
        joined = alice.wait_for(lambda e: e["event"] == "peer_joined" and e["user"] == "taro")
        assert joined["encryption"] is True
        number = taro.send_encrypted("こんにちは\nsecond line", (LOOP, ports[0]))
        message = alice.wait_for(lambda e: e["event"] == "message")
        assert message["text"] == "こんにちは\nsecond line"
        assert (message["encrypted"], message["signed"]) == (True, True)
        assert message["packet_no"] == number
        taro.wait_acks(number)

        # `send` to it: encrypted to its key, signed with ours (it knows our key from the store)
        taro.their_keys[(LOOP, ports[2])] = ours_b.key_2048.public_key()
        sent = run(
            ["send", f"{LOOP}:{ports[1]}", "hello windows", *common(ports[2], data=tmp_path / "b")]
        )
        assert sent.returncode == 0, sent.stderr
        got = [g for g in taro.wait_received() if g.text == "hello windows"]
        assert got and got[0].signature_ok is True

        _keys(tmp_path / "c")
        who_args = [
            "who",
            "--json",
            "--wait",
            "1",
            *common(ports[3], ports[1], data=tmp_path / "c"),
        ]
        who = run(who_args)
        assert who.returncode == 0, who.stderr
        [peer] = json.loads(who.stdout)
        assert peer["encryption"] is True
        assert peer["fingerprint"] == fingerprint(key("taro").public_key())
        plain = run([*who_args, "--encryption", "off"])
        [peer] = json.loads(plain.stdout)
        assert peer["encryption"] is True and peer["fingerprint"] is None


def test_feiq_peer_both_ways(ports: list[int], tmp_path: Path) -> None:
    _keys(tmp_path / "a")
    _keys(tmp_path / "b")
    with (
        feiq_peer(ports[1], key("feiq", 1024)) as feiq,
        Listener(common(ports[0], ports[1], data=tmp_path / "a")) as alice,
    ):
        alice.wait_for(lambda e: e["event"] == "peer_joined" and e["user"] == "feiq")
        feiq.send_encrypted("ni hao", (LOOP, ports[0]))
        message = alice.wait_for(lambda e: e["event"] == "message")
        assert (message["text"], message["encrypted"], message["signed"]) == ("ni hao", True, False)
        sent = run(
            ["send", f"{LOOP}:{ports[1]}", "hello feiq", *common(ports[2], data=tmp_path / "b")]
        )
        assert sent.returncode == 0, sent.stderr
        [got] = [g for g in feiq.wait_received() if g.text == "hello feiq"]
        assert got.signature_ok is None  # the old scheme is never signed


def test_forged_signature_is_rejected_and_not_acknowledged(
    ports: list[int], tmp_path: Path
) -> None:
    _keys(tmp_path / "a")
    with (
        windows_peer(ports[1], key("taro"), sign_with=key("mallory")) as forger,
        Listener(common(ports[0], ports[1], data=tmp_path / "a")) as alice,
    ):
        alice.wait_for(lambda e: e["event"] == "peer_joined")
        number = forger.send_encrypted("pay mallory", (LOOP, ports[0]))
        rejected = alice.wait_for(lambda e: e["event"] == "message_rejected")
        assert rejected["packet_no"] == number and "signature" in rejected["reason"]
        assert (rejected["user"], rejected["ip"]) == ("taro", LOOP)
        assert not [e for e in alice.collect(1.0) if e["event"] == "message"]
        assert number not in forger.acks


def test_changed_key_is_reported_across_runs(ports: list[int], tmp_path: Path) -> None:
    _keys(tmp_path / "a")
    with (
        windows_peer(ports[1], key("taro")) as taro,
        Listener(common(ports[0], ports[1], data=tmp_path / "a")) as alice,
    ):
        alice.wait_for(lambda e: e["event"] == "peer_joined")
        taro.send_encrypted("first", (LOOP, ports[0]))
        alice.wait_for(lambda e: e["event"] == "message")
        assert alice.stop() == 0
    # taro reinstalled (or someone took its place): same name, another key
    with (
        windows_peer(ports[1], key("taro-new")) as taro,
        Listener(common(ports[0], ports[1], data=tmp_path / "a")) as alice,
    ):
        alice.wait_for(lambda e: e["event"] == "peer_joined")
        taro.send_encrypted("second", (LOOP, ports[0]))
        changed = alice.wait_for(lambda e: e["event"] == "key_changed")
        assert changed["old_fingerprint"] == fingerprint(key("taro").public_key())
        assert changed["new_fingerprint"] == fingerprint(key("taro-new").public_key())
        assert (changed["user"], changed["host"]) == ("taro", "WINPC")
        message = alice.wait_for(lambda e: e["event"] == "message")
        assert message["text"] == "second" and message["signed"]


def test_required_policy_refuses_a_peer_that_cannot_encrypt(
    ports: list[int], tmp_path: Path
) -> None:
    _keys(tmp_path / "b")
    with Listener([*common(ports[0], data=tmp_path / "a"), "--encryption", "off"]):
        sent = run(
            [
                "send",
                f"{LOOP}:{ports[0]}",
                "secret",
                *common(ports[1], data=tmp_path / "b"),
                "--encryption",
                "required",
            ]
        )
    assert sent.returncode == 1
    [line] = sent.stderr.strip().splitlines()
    assert line.startswith("ipmsg-tui: encryption is required, and ")
    assert line.endswith(" cannot encrypt")


def test_first_run_makes_keys_in_the_background_then_encrypts(
    ports: list[int], tmp_path: Path
) -> None:
    data = tmp_path / "fresh"
    with (
        windows_peer(ports[1], key("taro")) as taro,
        Listener(common(ports[0], ports[1], data=data)) as alice,
    ):
        # the key is made after the start: a BR_ABSENCE then carries ENCRYPTOPT
        alice.wait_for(lambda e: e["event"] == "peer_joined")
        deadline = time.monotonic() + 20
        while not (data / "keys" / "rsa1024.pem").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        for name in ("rsa2048.pem", "rsa1024.pem"):
            assert stat.S_IMODE((data / "keys" / name).stat().st_mode) == 0o600
        taro.send_encrypted("after the keys", (LOOP, ports[0]))
        message = alice.wait_for(lambda e: e["event"] == "message")
        assert message["signed"] and message["text"] == "after the keys"
    made = load_or_create_keys(data)  # reused, not remade
    assert taro.their_keys[(LOOP, ports[0])].public_numbers() == (
        made.key_2048.public_key().public_numbers()
    )


def test_keys_lists_pins_and_accept_pins_a_changed_key(ports: list[int], tmp_path: Path) -> None:
    data = tmp_path / "a"
    ours = _keys(data)
    args = common(ports[0], data=data)
    listed = run(["keys", *args])
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"our fingerprint: {fingerprint(ours.key_2048.public_key())}",
        "no pinned peer keys",
    ]
    with (
        windows_peer(ports[1], key("taro")) as taro,
        Listener(common(ports[0], ports[1], data=data)) as alice,
    ):
        alice.wait_for(lambda e: e["event"] == "peer_joined")
        taro.send_encrypted("pin me", (LOOP, ports[0]))
        alice.wait_for(lambda e: e["event"] == "message")
        assert alice.stop() == 0
    [row] = run(["keys", *args]).stdout.splitlines()[2:]
    assert row.split()[0] == "taro@WINPC"
    assert fingerprint(key("taro").public_key()) in row

    with windows_peer(ports[1], key("taro-new")):  # reinstalled: the user checked and accepts
        accepted = run(["keys", "accept", f"{LOOP}:{ports[1]}", *args])
    assert accepted.returncode == 0, accepted.stderr
    new = fingerprint(key("taro-new").public_key())
    assert accepted.stdout.strip() == f"pinned the key of taro@WINPC: {new}"
    [row] = run(["keys", *args]).stdout.splitlines()[2:]
    assert new in row

    with (  # and no warning any more
        windows_peer(ports[1], key("taro-new")) as taro,
        Listener(common(ports[0], ports[1], data=data)) as alice,
    ):
        alice.wait_for(lambda e: e["event"] == "peer_joined")
        taro.send_encrypted("trusted again", (LOOP, ports[0]))
        message = alice.wait_for(lambda e: e["event"] == "message")
        assert message["signed"] is True
        assert not [e for e in alice.collect(0.5) if e["event"] == "key_changed"]

    nobody = run(["keys", "accept", f"{LOOP}:{ports[2]}", *args])
    assert nobody.returncode == 1
    assert len(nobody.stderr.strip().splitlines()) == 1
    missing = run(["keys", "accept", *args])
    assert missing.returncode == 2
    assert missing.stderr.strip() == "ipmsg-tui: keys accept needs a PEER"


def test_a_short_command_on_a_fresh_machine_keeps_the_keys_it_started_making(
    ports: list[int], tmp_path: Path
) -> None:
    """Keys are made in the background; a command that ends first still saves them (once),
    else every run would make new ones and Windows, which keeps the first key it saw,
    would stop trusting us."""
    data = tmp_path / "fresh"
    result = run(["who", "--wait", "0", *common(ports[0], data=data)])
    assert result.returncode == 0, result.stderr
    keys = data / "keys"
    made = {path.name: path.read_bytes() for path in sorted(keys.glob("*.pem"))}
    assert sorted(made) == ["rsa1024.pem", "rsa2048.pem"]
    assert all(stat.S_IMODE((keys / name).stat().st_mode) == 0o600 for name in made)
    again = run(["who", "--wait", "0", *common(ports[0], data=data)])
    assert again.returncode == 0, again.stderr
    assert {path.name: path.read_bytes() for path in sorted(keys.glob("*.pem"))} == made
