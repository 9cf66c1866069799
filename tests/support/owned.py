"""Processes a test started, signalled only while they are still those processes.

A PID can be reused once its process is gone, so before every signal we check that the PID
still names a process with the expected command name (``/proc/PID/comm``) and the start time
we recorded when we took charge of it.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses; cut at the last ")".
    return raw[raw.rindex(")") + 2 :].split()


def comm_of(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def children_of(pid: int) -> list[int]:
    """PIDs whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@dataclass(frozen=True)
class OwnedProcess:
    """A process we started, known by PID, command name and start time."""

    pid: int
    comm: str
    started: str  # field 22 of /proc/PID/stat (clock ticks after boot)

    @classmethod
    def adopt(cls, pid: int, comm: str) -> OwnedProcess | None:
        """Take charge of ``pid`` if it runs ``comm`` now; None otherwise."""
        fields = _stat_fields(pid)
        if fields is None or comm_of(pid) != comm:
            return None
        return cls(pid, comm, fields[19])

    def alive(self) -> bool:
        fields = _stat_fields(self.pid)
        return (
            fields is not None
            and fields[0] != "Z"
            and fields[19] == self.started
            and comm_of(self.pid) == self.comm
        )

    def signal(self, sig: int) -> bool:
        """Send ``sig`` if the process is still ours; whether it was sent."""
        if not self.alive():
            return False
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM, then SIGKILL if it is still there after ``grace`` seconds."""
        if self.signal(signal.SIGTERM) and not self.wait_gone(grace):
            self.signal(signal.SIGKILL)
            self.wait_gone(grace)
