"""A lossy Ethernet hub in user space, for when the kernel has no netem.

It opens TAP devices (one per host; the test harness moves each into its host's namespace)
and repeats every frame to the other ports, losing, duplicating and delaying (so
reordering) IPv4 frames at random. ARP passes untouched so that addresses resolve
promptly. Run inside the lab's own namespace::

    python -m tests.support.lossy_switch --loss 0.1 --duplicate 0.05 --jitter-ms 20 tap1 tap2

It prints "ready" once the TAP devices exist, and runs until ``--seconds`` or SIGTERM, on
which it prints what it did to the frames (``frames=N lost=N duplicated=N``).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import heapq
import os
import random
import select
import signal
import struct
import sys
import time

_TUNSETIFF = 0x400454CA
_IFF_TAP = 0x0002
_IFF_NO_PI = 0x1000
_ETH_P_IPV4 = b"\x08\x00"
_MAX_FRAME = 65536


def open_tap(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, _TUNSETIFF, struct.pack("16sH", name.encode(), _IFF_TAP | _IFF_NO_PI))
    return fd


def run(
    names: list[str], loss: float, duplicate: float, jitter: float, seconds: float, seed: int
) -> None:
    rng = random.Random(seed)
    ports = [open_tap(name) for name in names]
    counts = {"frames": 0, "lost": 0, "duplicated": 0}

    def report(*_: object) -> None:
        print(" ".join(f"{k}={v}" for k, v in counts.items()), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    print("ready", flush=True)
    queue: list[tuple[float, int, int, bytes]] = []  # (due, sequence, out fd, frame)
    sequence = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else 0.5
        readable, _, _ = select.select(ports, [], [], min(timeout, 0.5))
        now = time.monotonic()
        for fd in readable:
            try:
                frame = os.read(fd, _MAX_FRAME)
            except BlockingIOError:
                continue
            impaired = frame[12:14] == _ETH_P_IPV4
            for out in ports:
                if out == fd:
                    continue
                copies = 1
                counts["frames"] += 1
                if impaired:
                    if rng.random() < loss:
                        counts["lost"] += 1
                        continue
                    if rng.random() < duplicate:
                        counts["duplicated"] += 1
                        copies = 2
                for _ in range(copies):
                    delay = rng.uniform(0, jitter) if impaired else 0.0
                    sequence += 1
                    heapq.heappush(queue, (now + delay, sequence, out, frame))
        while queue and queue[0][0] <= time.monotonic():
            _, _, out, frame = heapq.heappop(queue)
            # The host's side may not be up yet, or its queue full: like a wire, drop it.
            with contextlib.suppress(OSError):
                os.write(out, frame)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("taps", nargs="+")
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--duplicate", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=2425)
    args = parser.parse_args()
    run(args.taps, args.loss, args.duplicate, args.jitter_ms / 1000, args.seconds, args.seed)


if __name__ == "__main__":
    sys.exit(main())
