"""Run real ``ipmsg-tui`` processes and read their JSON event lines."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Event = dict[str, Any]


def command(*args: str, netns: str | None = None) -> list[str]:
    """``python -m ipmsg_tui ARGS``, inside network namespace ``netns`` if given."""
    base = [sys.executable, "-m", "ipmsg_tui", *args]
    return ["ip", "netns", "exec", netns, *base] if netns else base


def run(
    args: Sequence[str],
    *,
    netns: str | None = None,
    timeout: float = 30,
    env: dict[str, str] | None = None,
    **kw: Any,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args, netns=netns),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(env),
        **kw,
    )


async def run_beside(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    """``ipmsg-tui ARGS`` as a real process while this event loop goes on serving (an app or
    a messenger the command talks to): its exit status, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        *command(*args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env=child_env(),
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Our environment plus ``extra`` (USER and LOGNAME name the login a process sees)."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


class Listener:
    """``ipmsg-tui listen --json`` in the background; its events arrive in ``self.events``."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        netns: str | None = None,
        cwd: Path | None = None,
        commands: bool = False,
        env: dict[str, str] | None = None,
    ):
        extra = ["--commands"] if commands else []
        self.proc = subprocess.Popen(
            command("listen", "--json", *extra, *args, netns=netns),
            stdin=subprocess.PIPE if commands else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(env),
            cwd=cwd,
        )
        self.events: list[Event] = []
        self.ended = False
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stderr = ""
        threading.Thread(target=self._pump, daemon=True).start()

    def command(self, **request: Any) -> None:
        """Write one JSON command to a ``--commands`` listener."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _drain(self, timeout: float) -> None:
        """Move at most one line (waiting up to ``timeout``) into ``events``."""
        if self.ended:
            return
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return
        if line is None:
            self.ended = True
        else:
            self.events.append(json.loads(line))

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 10.0) -> Event:
        """The first event (seen so far or arriving within ``timeout``) matching ``predicate``."""
        deadline = time.monotonic() + timeout
        index = 0
        while True:
            while index < len(self.events):
                index += 1
                if predicate(self.events[index - 1]):
                    return self.events[index - 1]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.ended and index == len(self.events)):
                raise AssertionError(
                    f"no matching event within {timeout} s; events: {self.events}; "
                    f"stderr: {self.stderr_text()}"
                )
            self._drain(min(remaining, 0.2))

    def wait_for_all(
        self, predicate: Callable[[Event], bool], count: int, timeout: float = 10.0
    ) -> list[Event]:
        """The first ``count`` events matching ``predicate``, waiting up to ``timeout``."""
        matched: list[Event] = []

        def counting(event: Event) -> bool:
            if predicate(event):
                matched.append(event)
            return len(matched) == count

        self.wait_for(counting, timeout)
        return matched

    def collect(self, seconds: float) -> list[Event]:
        """Every event that arrives within ``seconds`` (and those already seen)."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0 and not self.ended:
            self._drain(remaining)
        return self.events

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        while not self.ended:
            self._drain(1.0)
        return code

    def stderr_text(self) -> str:
        if self.proc.poll() is not None and self.proc.stderr and not self.stderr:
            self.stderr = self.proc.stderr.read()
        return self.stderr

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
