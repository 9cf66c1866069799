"""Benchmark 4, UI under load: the Textual app with 5,000 peers in its sidebar while 200 join
or leave per second, and a conversation of 100,000 stored messages, against the same app
idle (no peers, and only the conversation it opens, of 100 messages: the same drawing
without the size).

The app is the real ``MessengerApp`` with its real node, driven headless by Pilot at
120×40 in a namespace of its own (:mod:`bench.ui_app`); the peers are real sockets on IP
aliases in another namespace, announcing themselves with real BR_ENTRY packets and then
joining and leaving (BR_ENTRY / BR_EXIT) at 200 packets a second for the whole measurement
(:mod:`bench.ui_peers`). The history is filled through the product's schema
(:mod:`bench.history_fill`). Measured: the time from selecting the conversation until its
newest message is drawn, from a keypress until the input box draws it (every key of a few
hundred), and the app's resident memory afterwards.

    sudo .venv/bin/python -m bench.ui_load            # 5,000 peers, 100,000 messages
    sudo .venv/bin/python -m bench.ui_load --smoke    # 50 peers, 1,000 messages
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import cli
from .history_fill import fill_history, message_text
from .lab import Lan, alias_addresses, lan_of
from .report import median, percentile, ratio_line, save_json, table
from .worker import Worker

CONVERSATION = "user0@PC0000"  # crowd peer 0 (bench.storm_peers.entry_packet's naming)
PEER_NICK = "同事0"
CHURN_PEERS = 200
CHURN_RATE = 200.0  # joins and leaves a second
IDLE_MESSAGES = 100
GOAL_OPEN_MS, GOAL_ECHO_MS, GOAL_RSS_MIB = 100.0, 50.0, 150.0


@dataclass(frozen=True)
class Load:
    name: str
    peers: int
    messages: int


@dataclass
class Measured:
    load: str
    peers: int
    messages: int
    open_ms: list[float]
    echo_ms: list[float]
    rss_mib: float
    peak_rss_mib: float
    churned: int


def make_history(root: Path, load: Load) -> Path:
    data_dir = root / ("loaded" if load.peers else "idle")
    data_dir.mkdir()
    peer_ip = alias_addresses(1)[0]
    fill_history(data_dir / "history.sqlite3", CONVERSATION, load.messages, peer_ip, PEER_NICK)
    return data_dir


def run_app(lan: Lan, crowd: Worker | None, load: Load, data_dir: Path, sizes: Any) -> Measured:
    host = lan["app"]
    with Worker("bench.ui_app", "--bind", host.ip, "--data-dir", str(data_dir), host=host) as app:
        app.expect("ready", 60)
        churned = 0
        if crowd is not None:
            crowd.send(announce=True)
            crowd.expect("announced", 60)
            app.send(wait_peers=load.peers, timeout=120)
            app.expect("peers", 130)
            seconds = 600  # a bound: the churn stops when the measurement is done
            crowd.send(churn={"rate": CHURN_RATE, "seconds": seconds})
        app.send(measure={"key": CONVERSATION, "newest": message_text(load.messages - 1), **sizes})
        result = app.expect("measured", 600)["measured"]
        if crowd is not None:
            crowd.send(stop=True)
            churned = crowd.expect("churned", 30)["churned"]
    return Measured(
        load.name, result["peers"], load.messages, result["open_ms"], result["echo_ms"],
        result["rss_mib"], result["peak_rss_mib"], churned,
    )  # fmt: skip


@dataclass(frozen=True)
class Figures:
    """One load's row of the table."""

    name: str
    peers: int
    messages: int
    open_ms: float
    open_p95: float
    echo_ms: float
    echo_p95: float
    rss_mib: float
    peak_rss_mib: float


def figures(results: list[Measured]) -> list[Figures]:
    out = []
    for name in dict.fromkeys(r.load for r in results):
        mine = [r for r in results if r.load == name]
        opens = [t for r in mine for t in r.open_ms]
        echoes = [t for r in mine for t in r.echo_ms]
        out.append(
            Figures(
                name,
                max(r.peers for r in mine),
                mine[0].messages,
                median(opens),
                percentile(opens, 0.95),
                median(echoes),
                percentile(echoes, 0.95),
                max(r.rss_mib for r in mine),
                max(r.peak_rss_mib for r in mine),
            )
        )
    return out


def verdict(idle: Figures, loaded: Figures) -> str:
    """Judged on the median open, the 95th percentile echo and the peak memory."""
    ratios = {
        "open": loaded.open_ms / idle.open_ms,
        "echo p95": loaded.echo_p95 / idle.echo_p95,
        "peak RSS": loaded.peak_rss_mib / idle.peak_rss_mib,
    }
    met = (
        loaded.open_ms <= GOAL_OPEN_MS
        and loaded.echo_p95 <= GOAL_ECHO_MS
        and loaded.peak_rss_mib <= GOAL_RSS_MIB
    )
    each = ", ".join(f"{name} {ratio:.2f}×" for name, ratio in ratios.items())
    goal = (
        f"open ≤ {GOAL_OPEN_MS:g} ms, echo ≤ {GOAL_ECHO_MS:g} ms, memory ≤ {GOAL_RSS_MIB:g} MiB "
        f"under load; here {loaded.open_ms:.0f} ms, {loaded.echo_p95:.0f} ms, "
        f"{loaded.peak_rss_mib:.0f} MiB"
    )
    return ratio_line(f"under load / idle, worst of {each}", max(ratios.values()), goal, met)


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    parser.add_argument("--peers", type=int, default=None, help="peers in the sidebar (5,000)")
    parser.add_argument("--messages", type=int, default=None, help="in the conversation (100,000)")
    args = parser.parse_args()
    peers = args.peers or (50 if args.smoke else 5_000)
    messages = args.messages or (1_000 if args.smoke else 100_000)
    rounds = args.rounds or 1
    sizes = {"opens": 3, "keys": 10} if args.smoke else {"opens": 20, "keys": 300}
    idle = Load("idle app", 0, IDLE_MESSAGES)
    loaded = Load(f"{peers:,} peers, {CHURN_RATE:g}/s churn", peers, messages)
    results: list[Measured] = []
    root = Path(tempfile.mkdtemp(prefix="ipmsg-bench-ui-"))
    try:
        with lan_of("app", "peers") as lan, ExitStack() as stack:
            aliases = alias_addresses(peers + CHURN_PEERS)
            lan["peers"].add_aliases(aliases)
            # Static neighbours: the app answers thousands of addresses, beyond the kernel's
            # neighbour table (gc_thresh3 is 1024, machine-wide).
            lan["app"].add_static_neighbours(aliases, lan["peers"].mac())
            lan["peers"].add_static_neighbours([lan["app"].ip], lan["app"].mac())
            crowd_args = ["--crowd", str(peers), "--churn", str(CHURN_PEERS)]
            crowd_args += ["--target", lan["app"].ip]
            crowd = stack.enter_context(Worker("bench.ui_peers", *crowd_args, host=lan["peers"]))
            crowd.expect("ready", 60)
            for _ in range(rounds):
                for load in (idle, loaded):
                    data_dir = make_history(root, load)
                    busy = crowd if load.peers else None
                    results.append(run_app(lan, busy, load, data_dir, sizes))
                    shutil.rmtree(data_dir)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    made = figures(results)
    rows = [[f.name, f.peers, f.messages, f.open_ms, f.open_p95, f.echo_ms, f.echo_p95,
             f.rss_mib, f.peak_rss_mib] for f in made]  # fmt: skip
    header = ["app", "peers online", "messages", "open ms", "open p95", "echo ms", "echo p95",
              "RSS MiB", "peak RSS MiB"]  # fmt: skip
    print(
        f"UI under load: MessengerApp headless at 120×40, {sizes['opens']} opens and "
        f"{sizes['keys']} keypresses per round, {rounds} round(s); "
        f"churn packets sent: {sum(r.churned for r in results):,}"
    )
    print(table(header, rows))
    save_json(args.json, {"results": [asdict(r) for r in results]})
    print(verdict(made[0], made[-1]))


if __name__ == "__main__":
    cli.run(main)
