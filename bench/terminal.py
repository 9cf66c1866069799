"""A program in a pseudo-terminal of a fixed size, and when its first full frame arrived.

Textual draws a full-screen update line by line: for each row a cursor move to its start
(``ESC [ row ; 1 H``) and the row's cells, then one last move to where the cursor belongs.
The first frame is complete once the bottom row's move has been followed by that final
cursor move: every row of the screen has then been written to the terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass

CURSOR_MOVE = re.compile(rb"\x1b\[(\d+);(\d+)H")
CTRL_Q = b"\x11"


class TerminalError(RuntimeError):
    pass


@dataclass(frozen=True)
class Launch:
    """Seconds from the spawn to the first byte on the terminal and to the first frame."""

    first_output: float
    first_frame: float


def first_frame_end(screen: bytes, rows: int) -> int | None:
    """Where in ``screen`` (the bytes received so far) the first full frame ends, or None."""
    last_row = None
    for move in CURSOR_MOVE.finditer(screen):
        if last_row is None:
            if int(move[1]) == rows and int(move[2]) == 1:
                last_row = move
        else:
            return move.end()
    return None


def launch(
    command: list[str],
    *,
    size: tuple[int, int],
    env: dict[str, str],
    preexec: Callable[[], None] | None = None,
    timeout: float = 30.0,
) -> Launch:
    """Start ``command`` in a ``size`` (columns, rows) terminal, wait for its first full
    frame, then quit it with ctrl+q (killed if it does not go)."""
    columns, rows = size
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        preexec_fn=preexec,
        start_new_session=True,
    )
    os.close(slave)
    screen = bytearray()
    first_output: float | None = None
    try:
        deadline = started + timeout
        while first_frame_end(bytes(screen), rows) is None:
            chunk = _read(master, deadline)
            if chunk is None:
                raise TerminalError(f"no full frame within {timeout:g} s: {bytes(screen[-300:])!r}")
            now = time.perf_counter()
            if first_output is None:
                first_output = now - started
            screen += chunk
        frame_at = time.perf_counter() - started
        assert first_output is not None
        _quit(child, master)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(5)
        os.close(master)
    return Launch(first_output, frame_at)


def _read(master: int, deadline: float) -> bytes | None:
    """The next bytes the program wrote, or None once it ended or ``deadline`` passed."""
    remaining = deadline - time.perf_counter()
    if remaining <= 0 or not select.select([master], [], [], remaining)[0]:
        return None
    try:
        return os.read(master, 1 << 16) or None
    except OSError:  # the program closed the terminal
        return None


def _quit(child: subprocess.Popen[bytes], master: int, grace: float = 10.0) -> None:
    """ctrl+q, reading what it still draws so that it never blocks on a full terminal."""
    os.write(master, CTRL_Q)
    deadline = time.perf_counter() + grace
    while child.poll() is None and time.perf_counter() < deadline:
        _read(master, min(deadline, time.perf_counter() + 0.1))
    if child.poll() is None:
        child.send_signal(signal.SIGKILL)
        child.wait(5)
