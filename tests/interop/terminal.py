"""The real app in a terminal: ``ipmsg-tui`` in a tmux session inside a lab namespace.

tmux draws what the app writes into a screen we can read back as text (``capture-pane``), with
CJK in their two cells, and types keys into it (``send-keys``) as a user would. The tmux
server runs in the namespace too, on a socket of its own in the test's folder; both it and
the app are signalled only while they are still the processes we started.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ..support.netlab import Host
from ..support.owned import OwnedProcess, children_of

ROOT = Path(__file__).resolve().parents[2]
COLUMNS, LINES = 110, 32
TMUX_TIMEOUT = 10.0


class TerminalError(AssertionError):
    pass


class AppTerminal:
    """``ipmsg-tui ARGS`` (the app) in a COLUMNS x LINES tmux window on ``host``."""

    def __init__(self, host: Host, workdir: Path, args: Sequence[str]) -> None:
        self.host = host
        self.socket = workdir / "tmux.sock"
        self.status_file = workdir / "app.status"
        self.args = list(args)
        self._server: OwnedProcess | None = None
        self._app: OwnedProcess | None = None

    def start(self, timeout: float = 10.0) -> None:
        app = shlex.join([sys.executable, "-m", "ipmsg_tui", *self.args])
        # The pane's shell keeps the app's exit status (tmux reaps a pane's process late).
        self._tmux(
            "-f", "/dev/null", "new-session", "-d", "-s", "app",
            "-x", str(COLUMNS), "-y", str(LINES), "-c", str(ROOT),
            f"{app}; echo $? > {shlex.quote(str(self.status_file))}",
        )  # fmt: skip
        server_pid, shell_pid = int(self._pane("#{pid}")), int(self._pane("#{pane_pid}"))
        self._server = OwnedProcess.adopt(server_pid, "tmux: server")
        deadline = time.monotonic() + timeout
        while self._app is None and time.monotonic() < deadline:
            for pid in children_of(shell_pid):
                self._app = OwnedProcess.adopt(pid, Path(sys.executable).name[:15])
            time.sleep(0.05)
        if self._server is None or self._app is None:
            self.stop()
            raise TerminalError("tmux or the app did not start")

    def screen(self) -> str:
        """What the terminal shows now, one line per row."""
        return self._tmux("capture-pane", "-p", "-t", "app")

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        """The screen once it shows ``text``."""
        deadline = time.monotonic() + timeout
        while text not in (shown := self.screen()):
            if time.monotonic() >= deadline:
                raise TerminalError(f"{text!r} not on the screen within {timeout} s:\n{shown}")
            if not self.running():
                raise TerminalError(f"the app ended; its last screen:\n{shown}")
            time.sleep(0.1)
        return shown

    def keys(self, *keys: str) -> None:
        """Keys by tmux's names: "Enter", "Escape", "C-q", "/" ..."""
        self._tmux("send-keys", "-t", "app", *keys)

    def type(self, text: str) -> None:
        """``text`` as typed, character for character (UTF-8 as a terminal sends it)."""
        self._tmux("send-keys", "-t", "app", "-l", text)

    def running(self) -> bool:
        return self._app is not None and self._app.alive()

    def exit_status(self, timeout: float = 10.0) -> int:
        """The app's exit status, once it has ended."""
        deadline = time.monotonic() + timeout
        while not self.status_file.exists() or not self.status_file.read_text().strip():
            if time.monotonic() >= deadline:
                raise TerminalError(f"the app still runs after {timeout} s")
            time.sleep(0.05)
        return int(self.status_file.read_text())

    def stop(self) -> None:
        """End the app (if it is still running) and the tmux server, ours only."""
        for process in (self._app, self._server):
            if process is not None:
                process.stop()
        self._app = self._server = None

    def _pane(self, variable: str) -> str:
        return self._tmux("display-message", "-p", "-t", "app", variable).strip()

    def _tmux(self, *args: str) -> str:
        command = ["ip", "netns", "exec", self.host.netns, "tmux", "-u", "-S", str(self.socket)]
        env = {**os.environ, "LANG": "C.UTF-8", "TERM": "xterm-256color"}
        result = subprocess.run(
            [*command, *args], capture_output=True, text=True, timeout=TMUX_TIMEOUT, env=env
        )
        if result.returncode != 0:
            raise TerminalError(f"tmux {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout
