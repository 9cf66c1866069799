"""Files and folders for transfer tests, and what a folder holds, to compare both sides."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

FOLDER = "dir"  # what tree_digest says for a folder


def random_file(path: Path, size: int, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of each file, or ``FOLDER``, for everything under ``root``."""
    return {
        str(path.relative_to(root)): FOLDER if path.is_dir() else sha256(path)
        for path in root.rglob("*")
    }
