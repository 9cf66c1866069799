"""Sample files and folders for the file cases, and what a folder holds, to compare what was
sent with what arrived."""

from __future__ import annotations

import os
import random
from pathlib import Path


def write(path: Path, data: bytes, mtime: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def sample_folder(root: Path, mtime: int) -> Path:
    """A folder with what a folder stream must get right: nesting, an empty file, an empty
    folder, Chinese names, a colon in a name, bytes that are not text. Every entry's mtime
    differs from its neighbours', so a time put on the wrong entry shows."""
    noise = random.Random(5).randbytes(300_000)
    write(root / "a.txt", b"AAAA\n", mtime + 1)
    write(root / "c:d.txt", b"a colon in the name\n", mtime + 2)
    write(root / "sub" / "b.bin", noise, mtime + 3)
    write(root / "sub" / "empty.txt", b"", mtime + 4)
    write(root / "sub" / "更深" / "中文.txt", "中文内容\n".encode(), mtime + 5)
    (root / "empty-dir").mkdir()
    for offset, folder in enumerate(("sub/更深", "sub", "empty-dir"), start=6):
        os.utime(root / folder, (mtime + offset, mtime + offset))
    os.utime(root, (mtime, mtime))
    return root


def mtimes(root: Path, *, folders: bool = True) -> dict[str, int]:
    """Relative path -> whole-second mtime, of the files (and with ``folders`` the folders,
    ``root`` itself as ".") under ``root``."""
    paths = [root, *root.rglob("*")] if folders else list(root.rglob("*"))
    return {
        str(path.relative_to(root)): int(path.stat().st_mtime)
        for path in paths
        if folders or not path.is_dir()
    }
