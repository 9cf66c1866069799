"""Benchmark 5, start-up: ``ipmsg-tui`` from launch to its first full frame, against a bare
Textual app (an App with a Static) measured the same way in the same rounds.

Each program is started in a pseudo-terminal of 120×40 inside a namespace of its own (the
app binds 10.77.0.1 there and announces itself on that private LAN only), and timed from the
spawn until every row of its first frame has reached the terminal (:mod:`bench.terminal`);
then ctrl+q ends it. Programs alternate within every round; one untimed warm-up round first
(disk cache, compiled bytecode, the app's history database created).

    sudo .venv/bin/python -m bench.startup             # 15 rounds
    sudo .venv/bin/python -m bench.startup --smoke     # 2 rounds
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from . import cli
from .lab import Host, lan_of
from .report import median, percentile, ratio_line, save_json, table
from .terminal import Launch, launch

SIZE = (120, 40)
GOAL_RATIO = 1.3  # issue 14 item 3
BARE = "bare Textual app"
OURS = "ipmsg-tui"
BEFORE = "ipmsg-tui before"


@dataclass(frozen=True)
class Program:
    name: str
    command: list[str]
    code: Path | None = None  # another checkout's src/, imported first


def programs(host: Host, home: Path, before: Path | None) -> list[Program]:
    python = Path(sys.executable)

    def app_args(name: str) -> list[str]:
        log = f"{home / name}.log"
        return ["--bind", host.ip, "--data-dir", str(home / name), "--log-file", log]

    made = [
        Program(BARE, [str(python), "-m", "bench.bare_app"]),
        Program(OURS, [str(python.parent / "ipmsg-tui"), *app_args("ours")]),
    ]
    if before is not None:
        made.append(Program(BEFORE, [str(python), "-m", "ipmsg_tui", *app_args("before")], before))
    return made


def environment(home: Path, code: Path | None) -> dict[str, str]:
    """A terminal's environment, with a home of its own (no settings, fresh history)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "IPMSG_TUI_CONFIG": str(home / "config.toml"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),  # for bench.bare_app
    }
    if code is not None:
        env["PYTHONPATH"] = f"{code}{os.pathsep}{env['PYTHONPATH']}"
    return env


def measure(program: Program, host: Host, home: Path) -> Launch:
    return launch(
        program.command,
        size=SIZE,
        env=environment(home, program.code),
        preexec=host.enter,
    )


def summary(results: dict[str, list[Launch]]) -> tuple[str, float]:
    rows = []
    for name, launches in results.items():
        frames = [1000 * r.first_frame for r in launches]
        rows.append(
            [
                name,
                len(launches),
                median([1000 * r.first_output for r in launches]),
                median(frames),
                min(frames),
                percentile(frames, 0.9),
            ]
        )
    header = ["program", "runs", "first output ms", "first frame ms", "best ms", "p90 ms"]
    ratio = median([r.first_frame for r in results[OURS]]) / median(
        [r.first_frame for r in results[BARE]]
    )
    return table(header, rows), ratio


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.smoke else 15)
    home = Path(tempfile.mkdtemp(prefix="ipmsg-bench-startup-"))
    try:
        with lan_of("app") as lan:
            host = lan["app"]
            made = programs(host, home, args.before)
            results: dict[str, list[Launch]] = {p.name: [] for p in made}
            for index in range(-1, rounds):  # round -1: warm-up, not counted
                order = made if index % 2 == 0 else list(reversed(made))
                for program in order:
                    result = measure(program, host, home)
                    if index >= 0:
                        results[program.name].append(result)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    text, ratio = summary(results)
    columns, rows_ = SIZE
    print(
        f"Start-up to the first full frame in a {columns}×{rows_} pseudo-terminal, "
        f"medians of {rounds} rounds"
    )
    print(text)
    save_json(args.json, {name: [asdict(r) for r in runs] for name, runs in results.items()})
    print(
        ratio_line(
            "median time to first frame, ipmsg-tui / bare Textual app",
            ratio,
            f"≤ {GOAL_RATIO:g}×",
            ratio <= GOAL_RATIO,
        )
    )


if __name__ == "__main__":
    cli.run(main)
