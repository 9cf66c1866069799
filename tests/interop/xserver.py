"""A private X display (Xvfb) inside a lab namespace, and xdotool on it.

Xvfb picks a free display number itself (``-displayfd``), never listens on TCP, and runs in
the namespace of the program it serves. xdotool runs in that namespace too, so it reaches
the server through the same (per-namespace) abstract socket.
"""

from __future__ import annotations

import contextlib
import os
import select
import struct
import subprocess
import time
from pathlib import Path

from ..support.netlab import Host
from ..support.owned import OwnedProcess

SCREEN = "1280x1024x24"
XDOTOOL_TIMEOUT = 10.0


class XError(RuntimeError):
    pass


class Screen:
    """A snapshot of the screen: Xvfb keeps it in ``-fbdir`` as an XWD image file."""

    def __init__(self, data: bytes) -> None:
        header = struct.unpack(">25I", data[:100])
        self.width, self.height = header[4], header[5]
        self._bits_per_pixel, self._bytes_per_line = header[11], header[12]
        self._little_endian = header[7] == 0
        self._masks = header[14:17]
        self._data = data
        self._offset = header[0] + header[19] * 12  # header, then the colour map
        if self._bits_per_pixel != 32:
            raise XError(f"expected a 32-bit screen, not {self._bits_per_pixel} bits per pixel")

    def rgb(self, x: int, y: int) -> tuple[int, int, int]:
        start = self._offset + y * self._bytes_per_line + x * 4
        value = int.from_bytes(
            self._data[start : start + 4], "little" if self._little_endian else "big"
        )
        red, green, blue = ((value & mask) >> _shift(mask) for mask in self._masks)
        return red, green, blue


def _shift(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


class XServer:
    def __init__(self, host: Host, log_dir: Path) -> None:
        self.host = host
        self.log_path = log_dir / "xvfb.log"
        self.fb_dir = log_dir
        self.display = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._owned: OwnedProcess | None = None

    def start(self, timeout: float = 10.0) -> None:
        read_end, write_end = os.pipe()
        command = ["ip", "netns", "exec", self.host.netns, "Xvfb", "-displayfd", str(write_end)]
        command += ["-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset"]
        command += ["-fbdir", str(self.fb_dir)]  # the screen, readable as a file
        try:
            with self.log_path.open("wb") as log:
                self._proc = subprocess.Popen(
                    command,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(write_end,),
                )
            os.close(write_end)
            write_end = -1
            number = _read_line(read_end, timeout)
        finally:
            os.close(read_end)
            if write_end >= 0:
                os.close(write_end)
        self._owned = OwnedProcess.adopt(self._proc.pid, "Xvfb")
        if not number.isdigit() or self._owned is None:
            if self._proc.poll() is None:
                self._proc.kill()  # our child, not yet reaped: its PID cannot be reused
            self.stop()
            raise XError(f"Xvfb did not start: {self.log_path.read_text(errors='replace')}")
        self.display = f":{number}"

    def run_xdotool(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.host.run(
            "xdotool", *args, env={"DISPLAY": self.display}, timeout=XDOTOOL_TIMEOUT, check=False
        )

    def xdotool(self, *args: str, check: bool = True) -> str:
        """Run xdotool against this display; its standard output."""
        result = self.run_xdotool(*args)
        if check and result.returncode != 0:
            raise XError(f"xdotool {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def screen(self) -> Screen:
        return Screen((self.fb_dir / "Xvfb_screen0").read_bytes())

    def stop(self) -> None:
        if self._owned is not None:
            self._owned.stop()
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)
        self._proc = self._owned = None


def _read_line(fd: int, timeout: float) -> str:
    """What Xvfb writes to its -displayfd: the display number and a newline."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            break
        chunk = os.read(fd, 64)
        if not chunk:
            break
        data += chunk
    return data.decode("ascii", "replace").strip()
