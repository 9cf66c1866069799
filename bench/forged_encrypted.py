"""What a flood of forged encrypted messages costs, next to a flood of plain garbage.

RSA decryption costs about a thousand packet parses, so the engine decrypts for senders it
has not confirmed only within a budget (see protocol/floodguard.py). This feeds one engine
(in process, no sockets: the engine is sans-IO) the same number of datagrams from spoofed,
never-confirmed addresses, taking turns each round:

* baseline: garbage SENDMSGs (random text, not encrypted);
* forged: SENDMSG|ENCRYPTOPT whose session key is a random RSA-2048-sized block — every one
  would cost a full RSA decryption if the engine tried.

Goal (issue 10): the forged flood costs at most about 2× the CPU of the garbage one.

    .venv/bin/python -m bench.forged_encrypted            # 20,000 datagrams, 3 rounds
    .venv/bin/python -m bench.forged_encrypted --smoke    # 500 datagrams, 1 round
"""

from __future__ import annotations

import argparse
import base64
import os
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from ipmsg_tui.protocol.constants import Command, SendOpt
from ipmsg_tui.protocol.engine import Engine
from ipmsg_tui.protocol.engineconfig import EngineConfig
from ipmsg_tui.protocol.packet import format_packet

from .report import median, ratio_line, save_json, table

NOW = 1_800_000_000.0
_SCHEME = 0x40000000 | 0x01000000 | 0x00800000 | 0x00100000 | 0x4  # Windows' usual
_CMD = Command.SENDMSG | SendOpt.SENDCHECKOPT | SendOpt.UTF8OPT


def _engine(keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> Engine:
    config = EngineConfig(user="bench", host="bench", nick="bench", local_ips=frozenset())
    engine = Engine(config, NOW)
    engine.set_keys(*keys)
    return engine


def _datagrams(count: int, forged: bool) -> list[tuple[bytes, tuple[str, int]]]:
    out = []
    for i in range(count):
        addr = (f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", 2425)
        if forged:
            fields = [base64.b64encode(os.urandom(n)) for n in (256, 48, 256)]
            ext = b"%X:" % _SCHEME + b":".join(fields)
            command = _CMD | SendOpt.ENCRYPTOPT
        else:
            ext = base64.b64encode(os.urandom(180))
            command = _CMD
        out.append((format_packet(b"1", 1000 + i, b"u%d" % i, b"h", command, ext + b"\0"), addr))
    return out


def _cpu(engine: Engine, datagrams: list[tuple[bytes, tuple[str, int]]]) -> float:
    start = time.process_time()
    for index, (data, addr) in enumerate(datagrams):
        # 10 seconds' worth of flood: the budgets refill as they would in real time.
        engine.receive_datagram(data, addr, NOW + 10.0 * index / len(datagrams))
        if index % 64 == 0:
            engine.datagrams_to_send()
            engine.events()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--datagrams", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    count, rounds = (500, 1) if args.smoke else (args.datagrams, args.rounds)
    keys = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=1024),
    )
    garbage, forged = _datagrams(count, False), _datagrams(count, True)
    results: dict[str, list[float]] = {"garbage": [], "forged": []}
    decrypted = 0
    for _ in range(rounds):
        results["garbage"].append(_cpu(_engine(keys), garbage))
        engine = _engine(keys)
        results["forged"].append(_cpu(engine, forged))
        decrypted = engine.stats.get("rejected encrypted message", 0)
    base, flood = median(results["garbage"]), median(results["forged"])
    print(f"{count:,} datagrams from {count:,} spoofed senders over 10 s, {rounds} round(s)")
    print(
        table(
            ["flood", "CPU s (median)", "µs per datagram", "RSA decryptions"],
            [
                ["plain garbage", base, base / count * 1e6, 0],
                ["forged encrypted", flood, flood / count * 1e6, decrypted],
            ],
        )
    )
    save_json(args.json, {"datagrams": count, **results})
    ratio = flood / base if base > 0 else float("inf")
    print(ratio_line("forged encrypted / plain garbage CPU", ratio, "≤ 2×", ratio <= 2.0))


if __name__ == "__main__":
    main()
