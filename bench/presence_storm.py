"""Benchmark 1, presence storm: N peers announce and answer at once.

N peers (one socket per IP alias in one namespace, see :mod:`bench.storm_peers`) each send
a BR_ENTRY and an ANSENTRY to a receiver in another namespace, which starts reading once the
whole storm is in its buffer. Measured: the time from the first datagram until the receiver
lists all N, and the receiver's CPU time for it, for the ipmsg-tui engine and for a bare
asyncio receiver that only splits headers (:mod:`bench.storm_listeners`). Each round runs
both, in alternating order; the ratio compares each one's best round.

    sudo .venv/bin/python -m bench.presence_storm            # N = 2,000, 7 rounds
    sudo .venv/bin/python -m bench.presence_storm --smoke    # N = 50, 1 round
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from . import cli
from .lab import Host, Lan, alias_addresses, lan_of
from .report import median, ratio_line, save_json, table
from .worker import Worker

KINDS = {"bare": "bare asyncio receiver", "ours": "ipmsg-tui engine"}
BEFORE = {"before": "ipmsg-tui engine, before"}  # with --before SRC
GOAL_CPU_RATIO = 2.0
ANSWER_WAIT = 15.0  # how long the peers wait for the engine's answers


@dataclass
class Round:
    kind: str
    listed: int
    seconds_to_list: float
    cpu_to_list: float
    cpu_total: float
    kernel_drops: int
    receive_buffer: int
    answered: int
    seconds_to_answer: float | None


def udp_receive_errors(host: Host) -> int:
    """Datagrams the kernel dropped for want of receive buffer, in ``host``'s namespace."""
    text = subprocess.run(
        host.command("cat", "/proc/net/snmp"), capture_output=True, text=True, check=True
    ).stdout
    header, values = [line.split() for line in text.splitlines() if line.startswith("Udp:")][:2]
    return int(values[header.index("RcvbufErrors")])


def rmem_max() -> str:
    return Path("/proc/sys/net/core/rmem_max").read_text().strip()


def storm_round(
    kind: str, lan: Lan, peers: Worker, count: int, timeout: float, before: Path | None
) -> Round:
    us = lan["us"]
    drops_before = udp_receive_errors(us)
    worker_kind = "bare" if kind == "bare" else "ours"
    args = ["--kind", worker_kind, "--expect", str(count), "--datagrams", str(2 * count),
            "--ip", us.ip, "--timeout", str(timeout)]  # fmt: skip
    code = before if kind == "before" else None
    with Worker("bench.storm_listeners", *args, host=us, code=code) as receiver:
        ready = receiver.expect("ready", 30)
        peers.send(go=True, answers=0 if kind == "bare" else count, wait=ANSWER_WAIT)
        sent = peers.expect("sent", 30)
        receiver.send(begin=True)  # the whole storm is in its socket's buffer now
        listed = receiver.expect("listed", timeout + 10)
        answered = peers.expect("answered", ANSWER_WAIT + 10)
        receiver.send(quit=True)
        final = receiver.expect("final", 30)
    last_answer = answered["last_answer"]
    return Round(
        kind=kind,
        listed=listed["listed"],
        seconds_to_list=listed["at"] - sent["started"],
        cpu_to_list=listed["cpu"],
        cpu_total=final["cpu"],
        kernel_drops=udp_receive_errors(us) - drops_before,
        receive_buffer=ready["rcvbuf"],
        answered=answered["answered"],
        seconds_to_answer=None if last_answer is None else last_answer - sent["started"],
    )


def summary(rounds: list[Round], count: int, kinds: dict[str, str]) -> tuple[str, str]:
    rows = []
    best: dict[str, float] = {}
    for kind, label in kinds.items():
        mine = [r for r in rounds if r.kind == kind]
        cpu = median([r.cpu_to_list for r in mine])
        best[kind] = min(r.cpu_to_list for r in mine)
        answers = [r.seconds_to_answer for r in mine if r.seconds_to_answer is not None]
        rows.append(
            [
                label,
                f"{min(r.listed for r in mine):,}/{count:,}",
                median([r.seconds_to_list for r in mine]) * 1000,
                cpu * 1000,
                best[kind] * 1000,
                best[kind] / (2 * count) * 1e6,
                median([r.cpu_total for r in mine]) * 1000,
                max(r.kernel_drops for r in mine),
                mine[0].receive_buffer / (1 << 20),
                f"{min(r.answered for r in mine):,} in {median(answers) * 1000:,.0f} ms"
                if kind != "bare" and answers
                else "-",
            ]
        )
    header = [
        "receiver",
        "listed",
        "time to list ms",
        "CPU ms",
        "best CPU ms",
        "best µs/datagram",
        "CPU ms incl. answers",
        "kernel drops",
        "rcvbuf MiB",
        "peers answered",
    ]
    # Best rounds: interference only adds CPU, and the bare receiver's cost is bimodal (it
    # sleeps and wakes per datagram when it keeps pace with the storm, not when behind).
    ratio = best["ours"] / best["bare"]
    everyone = all(r.listed == count for r in rounds if r.kind == "ours")
    verdict = ratio_line(
        f"best CPU to list all {count:,} peers, ipmsg-tui / bare receiver",
        ratio,
        f"≤ {GOAL_CPU_RATIO:g}× with every peer listed",
        ratio <= GOAL_CPU_RATIO and everyone,
    )
    return table(header, rows), verdict


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    parser.add_argument("--peers", type=int, default=None, help="N (default 2,000; smoke 50)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per receiver and round")
    args = parser.parse_args()
    count = args.peers or (50 if args.smoke else 2000)
    rounds_wanted = args.rounds or (1 if args.smoke else 7)
    rounds: list[Round] = []
    kinds = {**KINDS, **(BEFORE if args.before else {})}
    with lan_of("us", "peers") as lan:
        aliases = alias_addresses(count)
        lan["peers"].add_aliases(aliases)
        lan["us"].add_static_neighbours(aliases, lan["peers"].mac())
        lan["peers"].add_static_neighbours([lan["us"].ip], lan["us"].mac())
        storm_args = ["--count", str(count), "--target", lan["us"].ip]
        with Worker("bench.storm_peers", *storm_args, host=lan["peers"]) as peers:
            peers.expect("ready", 120)
            for index in range(rounds_wanted):
                order = list(kinds) if index % 2 == 0 else list(reversed(kinds))
                for kind in order:
                    rounds.append(storm_round(kind, lan, peers, count, args.timeout, args.before))
    text, verdict = summary(rounds, count, kinds)
    print(
        f"Presence storm: {count:,} peers, {2 * count:,} datagrams; medians of {rounds_wanted} "
        f"rounds, 'best' the least of any round (net.core.rmem_max {rmem_max()})"
    )
    print(text)
    save_json(args.json, {"peers": count, "rounds": [asdict(r) for r in rounds]})
    print(verdict)


if __name__ == "__main__":
    cli.run(main)
