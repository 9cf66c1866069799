"""What every benchmark script shares: its common options and a clean exit on signals."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from .lab import LabError
from .terminal import TerminalError
from .worker import WorkerError


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--smoke", action="store_true", help="a tiny size, for CI: no real figures")
    p.add_argument("--rounds", type=int, default=None, help="repetitions of each measurement")
    p.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    p.add_argument(
        "--before",
        type=Path,
        default=None,
        metavar="SRC",
        help="also measure the ipmsg_tui package in SRC (another checkout's src/) in the same "
        "rounds, as 'before': before/after figures that hold on a noisy machine",
    )
    return p


def run(main: Callable[[], None]) -> None:
    """Run ``main`` so that Ctrl+C, SIGTERM and SIGHUP still unwind its ``with`` blocks
    (namespaces deleted, tmpfs unmounted, workers killed)."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        main()
    except (LabError, WorkerError, TerminalError) as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        sys.exit(1)
