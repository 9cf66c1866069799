"""A bounded flood against a running peer: it keeps answering, and its memory stays bounded.

200,000 datagrams in about 10 s (random bytes, truncated packets, entries and messages from
thousands of spoofed addresses) hit a ``listen`` process while a real client on the LAN
keeps finding it and sending it messages.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.netlab import REPO_ROOT, Lan, lan_of
from ..support.procs import Listener, run

FLOOD = 200_000
FLOOD_SECONDS = 10.0
MEMORY_CAP_MB = 200  # the peer table, dedup caches and queues are all capped


@pytest.fixture
def lan() -> Iterator[Lan]:
    with lan_of("target", "flooder", "client") as lan:
        yield lan


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def flood(lan: Lan) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.support.flooder", "--target", lan["target"].ip,
               "--count", str(FLOOD), "--seconds", str(FLOOD_SECONDS)]  # fmt: skip
    return subprocess.Popen(
        ["ip", "netns", "exec", lan["flooder"].netns, *command],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_flood_is_survived(lan: Lan, tmp_path: Path) -> None:
    log = tmp_path / "target.log"
    client = ["--data-dir", str(tmp_path / "client"), "--nick", "client"]
    target_args = [
        "--data-dir",
        str(tmp_path / "target"),
        "--nick",
        "target",
        "--log-file",
        str(log),
    ]
    in_client = lan["client"].netns
    with Listener(target_args, netns=lan["target"].netns) as target:
        time.sleep(0.5)
        memory = [rss_mb(target.proc.pid)]
        flooder = flood(lan)
        try:
            time.sleep(1.0)
            results = []
            while flooder.poll() is None:  # a real user keeps working during the flood
                text = f"still there? {len(results)}"
                results.append(run(["send", lan["target"].ip, text, *client], netns=in_client))
                memory.append(rss_mb(target.proc.pid))
                target.collect(0.1)
            who = run(["who", "--json", *client], netns=in_client)
            sent = int(flooder.communicate(timeout=30)[0])
        finally:
            if flooder.poll() is None:
                flooder.kill()
        target.collect(2.0)
        memory.append(rss_mb(target.proc.pid))
        assert target.stop() == 0

    assert sent >= FLOOD * 0.9
    assert len(results) >= 3 and all(r.returncode == 0 for r in results), [
        r.stderr for r in results
    ]
    texts = [
        e["text"] for e in target.events if e["event"] == "message" and e["ip"] == lan["client"].ip
    ]
    assert texts == [f"still there? {i}" for i in range(len(results))]
    assert '"nick": "target"' in who.stdout, who.stderr
    spoofed = {(e["ip"], e["port"]) for e in target.events if e["event"] == "peer_joined"}
    assert len(spoofed) > 10_000  # the peer table really was pushed past its cap
    assert max(memory) < MEMORY_CAP_MB, memory
    lines = log.read_text().splitlines()
    assert any("dropped" in line and "since the last summary" in line for line in lines)
    assert len(lines) < 100  # a summary now and then, not a line per bad packet
