"""The script side of the line protocol: start a worker (in a namespace), talk, reap it."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .lab import Host

REPO_ROOT = Path(__file__).resolve().parents[1]


class WorkerError(RuntimeError):
    pass


class Worker:
    """``python -m MODULE ARGS`` (inside ``host``'s namespace if given)."""

    def __init__(
        self, module: str, *args: str, host: Host | None = None, code: Path | None = None
    ) -> None:
        self.name = " ".join([module.rsplit(".", 1)[-1], *args[:3]])
        command = [sys.executable, "-m", module, *args]
        if host is not None:
            command = host.command(*command)
        env = dict(os.environ)
        if code is not None:  # another checkout's ipmsg_tui, imported before the installed one
            env["PYTHONPATH"] = str(code)
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, **command: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def expect(self, key: str, timeout: float) -> dict[str, Any]:
        """The next message that has ``key``; WorkerError if none comes within ``timeout``."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                raise WorkerError(f"{self.name} exited ({self.proc.wait()}): {self.stderr_tail()}")
            message: dict[str, Any] = json.loads(line)
            if "error" in message:
                raise WorkerError(f"{self.name}: {message['error']}")
            if key in message:
                return message
        raise WorkerError(f"{self.name}: no {key!r} within {timeout:g} s: {self.stderr_tail()}")

    def stderr_tail(self, lines: int = 15) -> str:
        self._stderr.seek(0)
        return "\n".join(self._stderr.read().splitlines()[-lines:])

    def close(self, timeout: float = 10.0) -> None:
        """Ask it to quit; kill it if it does not."""
        if self.proc.poll() is None:
            try:
                self.send(quit=True)
                self.proc.stdin.close()  # type: ignore[union-attr]
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        self._stderr.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
