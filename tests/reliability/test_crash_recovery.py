"""Kill -9 the receiver under steady traffic and restart it: nothing it acknowledged is lost.

A received message is committed to the history before its RECVMSG leaves, so whatever the
sender saw acknowledged is in the receiver's database, once, with its unread count.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

from ..support.procs import Listener

RATE = 50  # messages per second
SECONDS = 4.0


def args(port: int, peer: int, data: Path, nick: str) -> list[str]:
    return ["--bind", "127.0.0.1", "--port", str(port), "--host", f"127.0.0.1:{peer}",
            "--data-dir", str(data), "--nick", nick]  # fmt: skip


def test_kill_9_loses_no_acknowledged_message(ports: list[int], tmp_path: Path) -> None:
    received = tmp_path / "receiver"
    with Listener(args(ports[0], ports[1], tmp_path / "sender", "sender"), commands=True) as sender:
        receiver = Listener(args(ports[1], ports[0], received, "receiver"))
        sender.wait_for(lambda e: e["event"] == "peer_joined")
        start = time.monotonic()
        total = int(RATE * SECONDS)
        killed = restarted = False
        for i in range(total):
            sender.command(send=f"steady #{i}", to=f"127.0.0.1:{ports[1]}")
            elapsed = time.monotonic() - start
            if not killed and elapsed > 1.5:
                receiver.stop(signal.SIGKILL)  # no BR_EXIT, no clean shutdown
                killed = True
            if killed and not restarted and elapsed > 2.0:
                receiver = Listener(args(ports[1], ports[0], received, "receiver"))
                restarted = True
            time.sleep(max(0.0, start + (i + 1) / RATE - time.monotonic()))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = [
                e
                for e in sender.collect(0.5)
                if e["event"] in ("message_delivered", "message_failed")
            ]
            if len(done) >= total:
                break
        receiver.stop()
        delivered = {e["packet_no"] for e in sender.events if e["event"] == "message_delivered"}
        assert killed and restarted and len(delivered) >= total * 0.95

    with sqlite3.connect(received / "history.sqlite3") as db:
        kept = Counter(
            n for (n,) in db.execute("SELECT packet_no FROM messages WHERE direction = 'in'")
        )
        (unread,) = db.execute("SELECT SUM(unread) FROM conversations").fetchone()
    assert delivered <= set(kept), f"lost: {sorted(delivered - set(kept))[:10]}"
    assert max(kept.values()) == 1  # retransmissions after the restart were not kept twice
    assert unread == sum(kept.values())  # every kept message still counts as unread
