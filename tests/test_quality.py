"""The layering and the code checks run with the tests, so CI enforces them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_MODULES = sorted(
    f"ipmsg_tui.protocol.{p.stem}" for p in (ROOT / "src/ipmsg_tui/protocol").glob("*.py")
)
HEADLESS_MODULES = [
    "ipmsg_tui.cli",
    "ipmsg_tui.headless.who",
    "ipmsg_tui.headless.send",
    "ipmsg_tui.headless.listen",
    "ipmsg_tui.session",
    "ipmsg_tui.net.node",
    "ipmsg_tui.store",
    "ipmsg_tui.history",
    "ipmsg_tui.config",
]


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_protocol_core_imports_no_io_or_ui() -> None:
    loaded = _loaded_after_import(CORE_MODULES)
    assert not {"asyncio", "socket", "selectors", "sqlite3", "textual"} & loaded


def test_nothing_outside_the_ui_imports_textual() -> None:
    loaded = _loaded_after_import(HEADLESS_MODULES)
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_version_and_help_import_nothing_but_the_command_line(option: str) -> None:
    """They must answer about as fast as a bare interpreter starts (benchmark 9)."""
    code = (
        "import json, sys\n"
        "from ipmsg_tui.cli import main\n"
        f"try: main([{option!r}])\n"
        "except SystemExit: pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(("ipmsg-tui ", "usage: ipmsg-tui"))  # it did answer
    loaded = set(json.loads(out.stderr))
    ours = {m for m in loaded if m.startswith("ipmsg_tui")}
    assert ours == {"ipmsg_tui", "ipmsg_tui.cli"}
    heavy = {"asyncio", "sqlite3", "cryptography", "textual", "platformdirs", "ifaddr"}
    assert not heavy & loaded


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return path


# Python sources of the project (bench/ and scripts/ once they exist).
SOURCES = [d for d in ("src", "tests", "bench", "scripts") if (ROOT / d).is_dir()]


@pytest.mark.parametrize(
    "command",
    [
        ["lint-imports"],
        ["ruff", "check", *SOURCES],
        ["ruff", "format", "--check", *SOURCES],
        ["mypy", "src"],
    ],
    ids=["import-linter", "ruff", "ruff-format", "mypy"],
)
def test_code_checks(command: list[str]) -> None:
    result = subprocess.run(
        [_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
