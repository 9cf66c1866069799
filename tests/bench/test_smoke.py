"""Each benchmark runs end to end in its tiny ``--smoke`` size and prints its table and
ratio line. No timing is asserted: the figures of a smoke run mean nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bench.lab import unavailable_reason

ROOT = Path(__file__).resolve().parents[2]
RATIO_LINE = re.compile(r"^ratio: .+ = \d+\.\d\d× \(goal .+: (met|MISSED)\)$")


@pytest.fixture(autouse=True)
def lab_available() -> None:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


@pytest.mark.parametrize(
    "script",
    [
        "presence_storm",
        "round_trip",
        "file_throughput",
        "file_command",
        "command_time",
        "ui_load",
        "startup",
        "forged_encrypted",
        "encrypted_send",
        "history_search",
    ],
)
def test_benchmark_smoke_run_prints_a_table_and_a_ratio(script: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{script}", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rule = next(i for i, line in enumerate(lines) if set(line) <= {"-", " "} and line)
    assert rule >= 2 and len(lines) > rule + 2, result.stdout  # title, header, rule, rows
    assert RATIO_LINE.match(lines[-1]), lines[-1]
