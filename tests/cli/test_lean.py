"""A short command loads only what it uses (benchmark 9: a `send` must start quickly). Each
test runs the real command in a process of its own, on 127.0.0.1, and reads which modules
it had loaded when it ended."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..support.procs import Listener, child_env
from .test_commands import common

# The file service and the transfers: only a command with files needs them.
TRANSFER_MODULES = {
    "ipmsg_tui.net.files",
    "ipmsg_tui.net.downloads",
    "ipmsg_tui.net.uploads",
    "ipmsg_tui.net.offering",
    "ipmsg_tui.net.fileevents",
    "ipmsg_tui.net.transfers",
    "ipmsg_tui.net.bulk",
    "ipmsg_tui.protocol.offers",
    "ipmsg_tui.protocol.dirstream",
    "ipmsg_tui.transferlog",
}


def run_and_list_modules(args: list[str]) -> tuple[int, str, set[str]]:
    """Exit status, stderr and the modules loaded of ``ipmsg-tui ARGS`` run to its end."""
    code = (
        "import json, sys\n"
        "from ipmsg_tui.cli import main\n"
        f"status = main({args!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
        "sys.exit(status)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=child_env()
    )
    modules = set(json.loads(done.stdout.splitlines()[-1])) if done.stdout else set()
    return done.returncode, done.stderr, modules


def test_a_message_without_files_loads_no_transfer_modules(
    ports: list[int], tmp_path: Path
) -> None:
    with Listener(common(ports[0], ports[1], data=tmp_path / "a")) as peer:
        status, stderr, modules = run_and_list_modules(
            ["send", f"127.0.0.1:{ports[0]}", "lean", *common(ports[1], data=tmp_path / "b")]
        )
        assert status == 0, stderr
        assert peer.wait_for(lambda e: e["event"] == "message")["text"] == "lean"
    assert not TRANSFER_MODULES & modules
    assert "tomllib" not in modules  # no settings file: nothing to parse
    assert "platform" not in modules  # the host and OS names come from os.uname()


def test_who_loads_no_transfer_modules(ports: list[int], tmp_path: Path) -> None:
    status, stderr, modules = run_and_list_modules(
        ["who", "--wait", "0", *common(ports[0], data=tmp_path / "a")]
    )
    assert status == 0, stderr
    assert not TRANSFER_MODULES & modules


def test_clear_text_loads_no_cryptography(ports: list[int], tmp_path: Path) -> None:
    """Encryption off: neither our keys nor the peer's are touched, so cryptography (its
    import alone is a good part of a short command) is never imported."""
    clear = ["--encryption", "off"]
    with Listener([*common(ports[0], ports[1], data=tmp_path / "a"), *clear]) as peer:
        status, stderr, modules = run_and_list_modules(
            [
                "send",
                f"127.0.0.1:{ports[0]}",
                "plain",
                *clear,
                *common(ports[1], data=tmp_path / "b"),
            ]
        )
        assert status == 0, stderr
        assert peer.wait_for(lambda e: e["event"] == "message")["text"] == "plain"
    assert not {m for m in modules if m.split(".")[0] == "cryptography"}
