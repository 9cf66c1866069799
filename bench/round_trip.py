"""Benchmark 2, message round trip: SENDMSG→RECVMSG between two engines, against a raw echo.

One message in flight at a time, on loopback and across the namespace LAN. Per path, three
client/server pairs (see :mod:`bench.rtt_peers`) take turns in blocks, so a noisy machine
slows them alike: a raw UDP echo on blocking sockets (the physical limit from Python), the
same echo on asyncio, and two ipmsg-tui engines.

    sudo .venv/bin/python -m bench.round_trip              # 10,000 messages per kind and path
    sudo .venv/bin/python -m bench.round_trip --smoke      # 200
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import cli
from .lab import Host, lan_of
from .report import median, percentile, ratio_line, save_json, table
from .worker import Worker

KINDS = {"raw": "raw UDP echo", "asyncio": "asyncio UDP echo", "ours": "ipmsg-tui engines"}
BEFORE = {"before": "ipmsg-tui engines, before"}  # with --before SRC
GOAL_MEDIAN_RATIO = 2.0
LAN_PORTS = {"ours": 2425, "raw": 2426, "asyncio": 2427, "before": 2428}


@dataclass
class Tally:
    rtts_us: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0
    lost: int = 0

    @property
    def messages(self) -> int:
        return len(self.rtts_us) + self.lost


@dataclass
class Pair:
    server: Worker
    client: Worker

    def server_cpu(self) -> float:
        self.server.send(cpu=True)
        return float(self.server.expect("cpu", 10)["cpu"])

    def run_block(self, count: int, tally: Tally | None) -> None:
        cpu_before = self.server_cpu()
        self.client.send(run=count)
        block = self.client.expect("block", 60 + count * 0.1)["block"]
        if tally is not None:
            tally.rtts_us += block["rtts_us"]
            tally.seconds += block["seconds"]
            tally.cpu += block["cpu"] + self.server_cpu() - cpu_before
            tally.lost += block["lost"]


def free_port() -> int:
    """A loopback port free for UDP now (the engine also wants TCP, which it does not use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def pairs(
    kinds: list[str],
    client_host: Host | None,
    server_host: Host | None,
    client_ip: str,
    server_ip: str,
    before: Path | None,
) -> Iterator[dict[str, Pair]]:
    """A started client/server pair of each kind."""
    loopback = server_host is None
    with ExitStack() as stack:
        made: dict[str, Pair] = {}
        for kind in kinds:
            engine = kind in ("ours", "before")
            code = before if kind == "before" else None
            port = free_port() if loopback else LAN_PORTS[kind]
            server_args = ["server", "--kind", "ours" if engine else kind, "--bind", server_ip,
                           "--port", str(port)]  # fmt: skip
            server = stack.enter_context(
                Worker("bench.rtt_peers", *server_args, host=server_host, code=code)
            )
            server.expect("ready", 30)
            # The engine answers from its own port; echo clients take any.
            client_port = (free_port() if loopback else LAN_PORTS[kind]) if engine else 0
            client_args = ["client", "--kind", "ours" if engine else kind, "--bind", client_ip,
                           "--port", str(client_port), "--peer", f"{server_ip}:{port}"]  # fmt: skip
            client = stack.enter_context(
                Worker("bench.rtt_peers", *client_args, host=client_host, code=code)
            )
            client.expect("ready", 30)
            made[kind] = Pair(server, client)
        yield made


def measure(made: dict[str, Pair], count: int, block: int) -> dict[str, Tally]:
    tallies = {kind: Tally() for kind in made}
    for pair in made.values():  # warm up: first packets, caches, ARP
        pair.run_block(min(block, 200), None)
    order = list(made)
    for index in range(max(1, count // block)):
        rotated = order[index % len(order) :] + order[: index % len(order)]
        for kind in rotated:
            made[kind].run_block(block, tallies[kind])
    return tallies


def rows(path: str, tallies: dict[str, Tally]) -> list[list[object]]:
    out: list[list[object]] = []
    for kind, t in tallies.items():
        label = {**KINDS, **BEFORE}[kind]
        out.append(
            [
                path,
                label,
                t.messages,
                t.messages / t.seconds,
                median(t.rtts_us),
                percentile(t.rtts_us, 0.99),
                t.cpu / t.messages * 1e6,
                t.lost,
            ]
        )
    return out


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None, help="per kind and path")
    parser.add_argument("--block", type=int, default=1000, help="messages per turn")
    args = parser.parse_args()
    count = args.messages or (200 if args.smoke else 10_000)
    block = min(args.block, count)
    results: dict[str, dict[str, Tally]] = {}
    kinds = [*KINDS, *(BEFORE if args.before else [])]
    with pairs(kinds, None, None, "127.0.0.1", "127.0.0.1", args.before) as made:
        results["loopback"] = measure(made, count, block)
    with (
        lan_of("a", "b") as lan,
        pairs(kinds, lan["a"], lan["b"], lan["a"].ip, lan["b"].ip, args.before) as made,
    ):
        results["LAN"] = measure(made, count, block)
    header = ["path", "kind", "messages", "msgs/s", "median µs", "p99 µs", "CPU µs/msg",
              "lost"]  # fmt: skip
    print(f"Message round trip: one message in flight, blocks of {block:,}, turns rotated")
    print(table(header, [row for path, t in results.items() for row in rows(path, t)]))
    ratios = {
        path: median(t["ours"].rtts_us) / median(t["raw"].rtts_us) for path, t in results.items()
    }
    save_json(
        args.json,
        {path: {k: vars(v) for k, v in t.items()} for path, t in results.items()},
    )
    worst = max(ratios.values())
    print(
        ratio_line(
            "median RTT ipmsg-tui / raw echo ("
            + ", ".join(f"{path} {r:.2f}×" for path, r in ratios.items())
            + "), worst",
            worst,
            f"≤ {GOAL_MEDIAN_RATIO:g}×",
            worst <= GOAL_MEDIAN_RATIO,
        )
    )


if __name__ == "__main__":
    cli.run(main)
