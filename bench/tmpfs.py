"""A tmpfs of our own for the file benchmark: disks must not be what is measured."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .lab import LabError


@contextmanager
def tmpfs(size_bytes: int) -> Iterator[Path]:
    """A fresh tmpfs of ``size_bytes`` mounted for the block; unmounted and removed after."""
    if shutil.which("mount") is None:
        raise LabError("mount is not installed")
    root = Path(tempfile.mkdtemp(prefix="ipmsg-bench-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0755", "ipmsg-bench", str(root)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        root.rmdir()
        raise LabError(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield root
    finally:
        # Lazy: a worker killed a moment ago may still hold a file open.
        subprocess.run(["umount", "--lazy", str(root)], capture_output=True)
        root.rmdir()
