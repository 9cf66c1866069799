"""Messages each way across a LAN that loses, duplicates and reorders packets.

Every message the sender saw acknowledged is shown exactly once on the other side; every
one it did not is reported to its sender as not delivered; none is shown twice. In clear text
1,000 each way at 200 a second test the retries; encrypted (two ipmsg-tui peers encrypt by
default), fewer and slower, since each message costs both sides an RSA private-key operation
and the key exchange itself crosses the same lossy LAN.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipmsg_tui.keystore import load_or_create_keys

from ..support.netlab import Impairment, Lan, lan_of
from ..support.procs import Event, Listener

# (encryption policy, messages each way, messages a second)
RUNS = [("off", 1000, 200), ("auto", 200, 40)]


@pytest.fixture
def lossy_lan() -> Iterator[Lan]:
    with lan_of("a", "b", impairment=Impairment(loss=0.10, duplicate=0.05, jitter_ms=15)) as lan:
        yield lan


def peer(lan: Lan, name: str, tmp_path: Path, encryption: str) -> Listener:
    config = tmp_path / f"{name}.toml"
    config.write_text(f'host = "host-{name}"\nnick = "{name}"\n')
    args = ["--config", str(config), "--data-dir", str(tmp_path / name)]
    args += ["--encryption", encryption]
    if encryption != "off":  # made beforehand: until its keys exist a peer sends in clear
        load_or_create_keys(tmp_path / name)
    return Listener(args, netns=lan[name].netns, commands=True)


def outcome(events: list[Event], kind: str) -> Counter[int]:
    return Counter(e["packet_no"] for e in events if e["event"] == kind)


@pytest.mark.parametrize(("encryption", "messages", "per_second"), RUNS)
def test_messages_each_way_over_a_lossy_lan(
    lossy_lan: Lan, tmp_path: Path, encryption: str, messages: int, per_second: int
) -> None:
    a_peer = peer(lossy_lan, "a", tmp_path, encryption)
    b_peer = peer(lossy_lan, "b", tmp_path, encryption)
    with a_peer as a, b_peer as b:
        a.wait_for(lambda e: e["event"] == "peer_joined", timeout=20)
        b.wait_for(lambda e: e["event"] == "peer_joined", timeout=20)
        start = time.monotonic()
        for i in range(messages):
            a.command(send=f"a→b #{i} 你好", to=lossy_lan["b"].ip)
            b.command(send=f"b→a #{i} 👋", to=lossy_lan["a"].ip)
            time.sleep(max(0.0, start + (i + 1) / per_second - time.monotonic()))
        # Retries end 5 s after the last send; then every send has an outcome.
        for sender in (a, b):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                ev = sender.collect(0.5)
                done = sum(outcome(ev, k).total() for k in ("message_delivered", "message_failed"))
                if done >= messages:
                    break
        # Each peer's output was read only while it was the one waited for: a message the
        # other one got acknowledged after that was printed (before its RECVMSG left) but
        # is still unread in the pipe. Read what is there before judging what was shown.
        for peer_ in (a, b):
            peer_.collect(1.0)
        for sender, receiver in ((a, b), (b, a)):
            sent = outcome(sender.events, "sent")
            delivered = outcome(sender.events, "message_delivered")
            failed = outcome(sender.events, "message_failed")
            shown = outcome(receiver.events, "message")
            assert len(sent) == messages and max(sent.values()) == 1
            assert set(delivered) | set(failed) == set(sent)  # every send has an outcome...
            assert not set(delivered) & set(failed)  # ...and only one
            assert max(delivered.values()) == 1
            assert set(delivered) <= set(shown)  # acknowledged means shown
            assert max(shown.values()) == 1  # and never twice
            assert len(delivered) >= messages * 0.99  # five tries beat 10% loss
            encrypted = [e for e in receiver.events if e["event"] == "message" and e["encrypted"]]
            assert len(encrypted) == (len(shown) if encryption == "auto" else 0)
    faults = lossy_lan.stop_switch()  # the faults were real
    assert faults["lost"] > 0.05 * faults["frames"] and faults["duplicated"] > 0
    for name, other in (("a", "b"), ("b", "a")):
        with sqlite3.connect(tmp_path / name / "history.sqlite3") as db:
            kept = Counter(
                n for (n,) in db.execute("SELECT packet_no FROM messages WHERE direction='in'")
            )
        sender_events = b.events if name == "a" else a.events
        assert set(outcome(sender_events, "message_delivered")) <= set(kept), f"{other}→{name}"
        assert max(kept.values()) == 1
