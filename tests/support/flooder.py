"""A bounded flood of IPMSG-ish datagrams from many spoofed source addresses.

Runs inside a test namespace (it needs a raw socket, so root) and sends ``--count``
datagrams to ``--target`` over ``--seconds``, paced evenly: random bytes, truncated
packets, BR_ENTRYs with random names, SENDMSGs asking for receipts, IPDict packets and
odd commands, each from a random address of the LAN's /24 and a random port. It stops at
the count or the time, whichever comes first, and prints how many it sent.

    python -m tests.support.flooder --target 10.77.0.1 --count 200000 --seconds 10
"""

from __future__ import annotations

import argparse
import random
import socket
import struct
import time

_SPOOF_HOSTS = range(10, 250)  # the test hosts are .1-.9


def _packet(rng: random.Random, number: int) -> bytes:
    kind = rng.random()
    user = b"u%x" % rng.getrandbits(24)
    if kind < 0.35:
        return rng.randbytes(rng.randint(0, 200))
    if kind < 0.55:  # truncated somewhere
        whole = b"1:%d:%s:flood:288:message %d\x00" % (number, user, number)
        return whole[: rng.randint(0, len(whole))]
    if kind < 0.80:
        nick = f"洪水{number}".encode()
        return b"1:%d:%s:flood:%d:%s\x00grp\x00" % (number, user, 0x01200001, nick)
    if kind < 0.92:
        return b"1:%d:%s:flood:%d:spam %d\x00" % (number, user, 0x120, number)
    return rng.choice(
        [
            b"IP2:1a:0:VER:1:3:Z",
            b"1:%d:%s:flood:%d:\x00" % (number, user, 0x40),  # GETINFO
            b"1:%d:%s:flood:%d:%d\x00" % (number, user, 0x30, rng.getrandbits(31)),  # READMSG
            b"1:%d:%s:flood:%d:%d\x00" % (number, user, 0x21, rng.getrandbits(31)),  # RECVMSG
            b"1:%d:%s:flood:%d:\x00" % (number, user, 0x79),  # FeiQ typing
            b"1_lbt6_0#128#74E6E2152F9D#0#0#0#4001#9:%d:%s:flood:2:\x00" % (number, user),
        ]
    )


def _datagram(src: str, sport: int, dst: str, dport: int, payload: bytes) -> bytes:
    # IPv4 header (the kernel fills in length, id and checksum), UDP without checksum.
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64, socket.IPPROTO_UDP, 0,
        socket.inet_aton(src), socket.inet_aton(dst),
    )  # fmt: skip
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    return ip + udp + payload


def flood(target: str, port: int, count: int, seconds: float, seed: int) -> int:
    rng = random.Random(seed)
    prefix = target.rsplit(".", 1)[0]
    # Built beforehand, so that the flood's pace is the sending, not the building.
    datagrams = [
        _datagram(
            f"{prefix}.{rng.choice(_SPOOF_HOSTS)}",
            rng.randint(1024, 65535),
            target,
            port,
            _packet(rng, number + 1),
        )
        for number in range(count)
    ]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    start = time.monotonic()
    sent = 0
    for number, datagram in enumerate(datagrams):
        if time.monotonic() - start > seconds:
            break
        try:
            raw.sendto(datagram, (target, 0))
            sent += 1
        except OSError:  # the send queue is full: wait a little, as a real flood would
            time.sleep(0.001)
        if number % 1000 == 999:  # pace evenly over the period
            time.sleep(max(0.0, start + (number + 1) * seconds / count - time.monotonic()))
    return sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, default=2425)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(flood(args.target, args.port, args.count, args.seconds, args.seed), flush=True)


if __name__ == "__main__":
    main()
