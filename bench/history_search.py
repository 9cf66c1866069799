"""Benchmark 6, search at scale: ``ipmsg-tui history --search WORD`` as a whole command over
a million stored messages, against ``ipmsg-tui history --limit 1`` (the same command start,
database open and one message printed: what any history command costs) in the same rounds.

The history holds mixed Latin, Chinese and Japanese chat over 50 conversations
(:func:`bench.history_fill.fill_mixed`); the searched words occur in one message of 200
each: a Latin word typed in another case ("kangaroo" stored as "Kangaroo") and a
two-character Chinese word (午饭), the length the trigram index alone cannot answer. Every
hit is printed (5,000 lines for each word at a million messages), read from a pipe. The
messages are put in by SQL, as in a database from before search: the first search indexes
them all, timed once as its own row. Commands alternate within every round, after one
untimed warm-up round. Nothing touches the network: no namespace, no socket.

    .venv/bin/python -m bench.history_search            # 1,000,000 messages, 9 rounds
    .venv/bin/python -m bench.history_search --smoke    # 2,000 messages, 2 rounds
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import cli
from .history_fill import RARE_CJK, RARE_LATIN, fill_mixed
from .report import median, percentile, ratio_line, save_json, table

GOAL_RATIO = 2.0  # a search may cost at most one more command start
GOAL_ADDED = 0.5  # and adds well under a second to the command
BASELINE = "history --limit 1"
LATIN = f"history --search {RARE_LATIN}"
CJK = f"history --search {RARE_CJK}"
FIRST = f"first search: indexes every message ({LATIN})"


@dataclass
class Timed:
    seconds: float
    cpu_seconds: float  # the command's own user + system time: less swayed by neighbours
    lines: int


def ipmsg_tui() -> str:
    return str(Path(sys.executable).parent / "ipmsg-tui")


def run_command(args: list[str], home: Path) -> Timed:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "IPMSG_TUI_CONFIG": str(home / "config.toml"),  # none: the defaults
    }
    command = [ipmsg_tui(), *args, "--data-dir", str(home / "data")]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, env=env, check=False, timeout=600)
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return Timed(seconds, cpu, result.stdout.count(b"\n"))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None, help="default 1,000,000")
    args = parser.parse_args()
    if args.before is not None:
        parser.error("--before: there is no history command before this one to compare")
    count = args.messages or (2_000 if args.smoke else 1_000_000)
    rounds = args.rounds or (2 if args.smoke else 9)
    home = Path(tempfile.mkdtemp(prefix="ipmsg-bench-search-"))
    commands = {
        BASELINE: ["history", "--limit", "1"],
        LATIN: ["history", "--search", RARE_LATIN],
        CJK: ["history", "--search", RARE_CJK],
    }
    try:
        database = home / "data" / "history.sqlite3"
        started = time.perf_counter()
        fill_mixed(database, count)
        fill_seconds = time.perf_counter() - started
        first = run_command(commands[LATIN], home)
        size_mib = database.stat().st_size / 2**20
        results: dict[str, list[Timed]] = {name: [] for name in commands}
        for index in range(-1, rounds):  # round -1: warm-up, not counted
            order = list(commands) if index % 2 == 0 else list(reversed(commands))
            for name in order:
                timed = run_command(commands[name], home)
                if index >= 0:
                    results[name].append(timed)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    base = median([r.seconds for r in results[BASELINE]])
    base_cpu = median([r.cpu_seconds for r in results[BASELINE]])
    rows: list[list[object]] = [
        [
            FIRST,
            1,
            first.lines,
            1000 * first.seconds,
            "",
            "",
            1000 * (first.seconds - base),
            1000 * first.cpu_seconds,
            1000 * (first.cpu_seconds - base_cpu),
        ]
    ]
    for name, runs in results.items():
        times = [1000 * r.seconds for r in runs]
        rows.append(
            [
                name,
                len(runs),
                runs[0].lines,
                median(times),
                min(times),
                percentile(times, 0.9),
                median(times) - 1000 * base,
                1000 * median([r.cpu_seconds for r in runs]),
                1000 * (median([r.cpu_seconds for r in runs]) - base_cpu),
            ]
        )
    print(
        f"history search over {count:,} messages in 50 conversations "
        f"(database {size_mib:,.0f} MiB, filled in {fill_seconds:.0f} s), "
        f"whole commands, medians of {rounds} rounds"
    )
    header = [
        "command",
        "runs",
        "lines",
        "median ms",
        "best ms",
        "p90 ms",
        "added ms",
        "CPU ms",
        "added CPU ms",
    ]
    print(table(header, rows))
    save_json(
        args.json,
        {"first_search": asdict(first), **{k: [asdict(r) for r in v] for k, v in results.items()}},
    )
    slowest = max(median([r.seconds for r in results[name]]) for name in (LATIN, CJK))
    ratio = slowest / base
    print(
        ratio_line(
            f"median of the slower search ({RARE_LATIN}, {RARE_CJK}) / {BASELINE}",
            ratio,
            f"≤ {GOAL_RATIO:g}×, adding < {GOAL_ADDED:g} s",
            ratio <= GOAL_RATIO and slowest - base < GOAL_ADDED,
        )
    )


if __name__ == "__main__":
    cli.run(main)
