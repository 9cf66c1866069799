"""Paths the user types or pastes: one path, or what a terminal pastes for dropped files.

Terminals paste dropped files as shell-quoted paths (``'/a b/c.pdf' '/d.png'``), some as
``file://`` URIs, some one per line; a path typed by hand may contain spaces unquoted.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import unquote, urlparse


def tilde(path: Path | str) -> str:
    """A path as it reads best: ``~/Downloads/x.pdf`` under the home folder."""
    text = str(path)
    home = str(Path.home())
    if home != "/" and (text == home or text.startswith(home + "/")):
        return "~" + text[len(home) :]
    return text


def expand(text: str, base: Path) -> Path:
    """``~`` expanded; relative paths are taken from ``base``."""
    if text.startswith("file://"):
        text = unquote(urlparse(text).path)
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def parse_paths(text: str, base: Path) -> list[Path]:
    """The paths in ``text`` (existing or not: the caller says which are missing)."""
    text = text.strip()
    if not text:
        return []
    whole = expand(text, base)
    if whole.exists():  # a path typed with spaces, unquoted
        return [whole]
    paths: list[Path] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if expand(line, base).exists():
            paths.append(expand(line, base))
            continue
        try:
            words = shlex.split(line)
        except ValueError:  # an unbalanced quote: take the line as it is
            words = [line]
        paths.extend(expand(word, base) for word in words)
    return paths


def describe_missing(paths: list[Path]) -> str | None:
    """What is wrong with the paths, in one line, or None if they all exist."""
    missing = [str(p) for p in paths if not p.exists()]
    if not paths:
        return "Type or paste a path first"
    if missing:
        return "No such file or folder: " + ", ".join(missing[:3])
    return None
