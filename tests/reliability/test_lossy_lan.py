"""1,000 messages each way across a LAN that loses, duplicates and reorders packets.

Every message the sender saw acknowledged is shown exactly once on the other side; every
one it did not is reported to its sender as not delivered; none is shown twice.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.netlab import Impairment, Lan, lan_of
from ..support.procs import Event, Listener

MESSAGES = 1000
PER_SECOND = 200


@pytest.fixture
def lossy_lan() -> Iterator[Lan]:
    with lan_of("a", "b", impairment=Impairment(loss=0.10, duplicate=0.05, jitter_ms=15)) as lan:
        yield lan


def peer(lan: Lan, name: str, tmp_path: Path) -> Listener:
    config = tmp_path / f"{name}.toml"
    config.write_text(f'host = "host-{name}"\nnick = "{name}"\n')
    args = ["--config", str(config), "--data-dir", str(tmp_path / name)]
    return Listener(args, netns=lan[name].netns, commands=True)


def outcome(events: list[Event], kind: str) -> Counter[int]:
    return Counter(e["packet_no"] for e in events if e["event"] == kind)


def test_thousand_messages_each_way_over_a_lossy_lan(lossy_lan: Lan, tmp_path: Path) -> None:
    with peer(lossy_lan, "a", tmp_path) as a, peer(lossy_lan, "b", tmp_path) as b:
        a.wait_for(lambda e: e["event"] == "peer_joined", timeout=20)
        b.wait_for(lambda e: e["event"] == "peer_joined", timeout=20)
        start = time.monotonic()
        for i in range(MESSAGES):
            a.command(send=f"a→b #{i} 你好", to=lossy_lan["b"].ip)
            b.command(send=f"b→a #{i} 👋", to=lossy_lan["a"].ip)
            time.sleep(max(0.0, start + (i + 1) / PER_SECOND - time.monotonic()))
        # Retries end 5 s after the last send; then every send has an outcome.
        for sender in (a, b):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                ev = sender.collect(0.5)
                done = sum(outcome(ev, k).total() for k in ("message_delivered", "message_failed"))
                if done >= MESSAGES:
                    break
        for sender, receiver in ((a, b), (b, a)):
            sent = outcome(sender.events, "sent")
            delivered = outcome(sender.events, "message_delivered")
            failed = outcome(sender.events, "message_failed")
            shown = outcome(receiver.events, "message")
            assert len(sent) == MESSAGES and max(sent.values()) == 1
            assert set(delivered) | set(failed) == set(sent)  # every send has an outcome...
            assert not set(delivered) & set(failed)  # ...and only one
            assert max(delivered.values()) == 1
            assert set(delivered) <= set(shown)  # acknowledged means shown
            assert max(shown.values()) == 1  # and never twice
            assert len(delivered) >= MESSAGES * 0.99  # five tries beat 10% loss
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
