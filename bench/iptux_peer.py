"""iptux as a sender and a receiver kind of the file benchmark, driven through its GUI by the
interop suite's harness (:mod:`tests.interop`: Xvfb in the iptux host's namespace, iptux
with a fresh HOME, xdotool on its windows). It speaks :mod:`bench.file_peers`' commands:

* ``{"offer": {"path": P, "to": IP}}``: attach P in the chat with IP and send it (Ctrl+S);
  answers ``{"offered": "any"}``: the receiver takes the next offer from iptux.
* ``{"fetch": {"from": IP, "name": N, "size": S, ...}}``: click "Accept" in the chat with IP
  and wait until the file in iptux's receive folder has all S bytes; answers
  ``{"fetched": {"finished_at": T, ...}}`` (``time.monotonic``). Clicking in the GUI takes
  seconds, so the script times the transfer from when the request reached our sender.
* ``{"cpu": true}``: the iptux process's CPU time (user + system), read from /proc.

Runs in the script's namespace (xdotool and iptux are started inside the iptux host's); its
HOME, and so the folder it receives into, is under ``--workdir`` (on the benchmark's tmpfs).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.interop.iptux import Iptux, IptuxConfig
from tests.interop.xserver import XServer
from tests.support.netlab import Host

from .channel import emit, read_command

WAIT_STEP = 0.005


def iptux_cpu(netns: str) -> float:
    """User + system seconds of the iptux processes in ``netns``."""
    pids = subprocess.run(
        ["ip", "netns", "pids", netns], capture_output=True, text=True, timeout=20
    ).stdout.split()
    ticks = 0
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "iptux":
                continue
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_complete(path: Path, size: int, timeout: float) -> float:
    """When ``path`` reached ``size`` bytes (``time.monotonic``)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if path.stat().st_size >= size:
                return time.monotonic()
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"iptux did not receive {path.name} within {timeout:g} s")
        time.sleep(WAIT_STEP)


def fetch(peer: Iptux, request: dict[str, Any]) -> None:
    target = peer.recv_dir / request["name"]
    target.unlink(missing_ok=True)
    peer.gui.accept_files(request["from"])
    finished_at = wait_complete(target, int(request["size"]), 600)
    peer.gui.close_chat(request["from"])
    emit(
        fetched={
            "finished_at": finished_at,
            "bytes": target.stat().st_size,
            "files": 1,
            "path": str(target),
        }
    )


def serve(peer: Iptux, netns: str) -> None:
    while "quit" not in (command := read_command()):
        if "offer" in command:
            offer = command["offer"]
            peer.gui.send_file(offer["to"], Path(offer["path"]))
            peer.gui.close_chat(offer["to"])
            emit(offered="any")
        elif "fetch" in command:
            fetch(peer, command["fetch"])
        elif "cpu" in command:
            emit(cpu=iptux_cpu(netns))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--netns", required=True)
    parser.add_argument("--ip", required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args()
    host = Host("iptux", args.netns, args.ip)
    args.workdir.mkdir(parents=True, exist_ok=True)
    x = XServer(host, args.workdir)
    peer = Iptux(host, x, args.workdir)
    try:
        x.start()
        peer.start(IptuxConfig())
        emit(ready="iptux")
        serve(peer, args.netns)
    except Exception as error:  # reported to the script, which stops the benchmark
        emit(error=f"iptux: {error}")
    finally:
        peer.stop()
        x.stop()


if __name__ == "__main__":
    main()
