"""A bounded flood on loopback, for the app's responsiveness test (no root, no namespace).

Sends ``--count`` datagrams to 127.0.0.1:``--port`` over about ``--seconds``, paced evenly,
from ``--sources`` sockets on loopback addresses 127.0.5.1 and up (each a different fake
peer): random bytes, truncated packets, BR_ENTRYs and SENDMSGs asking for receipts. It
stops at the count or the time, whichever comes first, and prints how many it sent.

    python -m tests.ui.loopback_flood --port 40000 --count 20000 --seconds 3
"""

from __future__ import annotations

import argparse
import random
import socket
import time

from ipmsg_tui.protocol.constants import Command, EntryOpt, SendOpt

ENTRY = Command.BR_ENTRY | EntryOpt.CAPUTF8OPT | EntryOpt.UTF8OPT
MESSAGE = Command.SENDMSG | SendOpt.SENDCHECKOPT | SendOpt.UTF8OPT


def packet(rng: random.Random, number: int, source: int) -> bytes:
    """One datagram; fake peer ``source`` keeps its user name, so its messages follow its
    entry like a real (if very talkative) client's."""
    user = b"flood%d" % source
    kind = rng.random()
    if kind < 0.30:
        return rng.randbytes(rng.randint(0, 200))
    if kind < 0.45:  # cut off somewhere
        whole = b"1:%d:%s:fakehost:%d:hello %d\0" % (number, user, MESSAGE, number)
        return whole[: rng.randint(0, len(whole) - 1)]
    if kind < 0.80:
        nick = f"洪水 {source}".encode()
        return b"1:%d:%s:fakehost:%d:%s\0fakes\0" % (number, user, ENTRY, nick)
    return b"1:%d:%s:fakehost:%d:spam %d\0" % (number, user, MESSAGE, number)


def flood(port: int, count: int, seconds: float, sources: int, seed: int) -> int:
    rng = random.Random(seed)
    senders = []
    for index in range(sources):
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.bind((f"127.0.{5 + index // 250}.{1 + index % 250}", 0))
        sender.setblocking(False)
        senders.append(sender)
    plan = [(rng.randrange(sources), number) for number in range(1, count + 1)]
    datagrams = [(senders[s], packet(rng, n, s)) for s, n in plan]
    start = time.monotonic()
    sent = 0
    try:
        for index, (sender, datagram) in enumerate(datagrams):
            if time.monotonic() - start > seconds * 2:
                break
            try:
                sender.sendto(datagram, ("127.0.0.1", port))
                sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass  # a full queue, or an ICMP error from an earlier datagram: go on
            if index % 200 == 199:  # evenly over the period
                time.sleep(max(0.0, start + (index + 1) * seconds / count - time.monotonic()))
    finally:
        for sender in senders:
            sender.close()
    return sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(flood(args.port, args.count, args.seconds, args.sources, args.seed), flush=True)


if __name__ == "__main__":
    main()
