"""Logging: to a file for the full-screen app (never onto its screen), to stderr for scripts."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import platformdirs

from .config import APP_NAME

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def default_log_file() -> Path:
    return platformdirs.user_log_path(APP_NAME) / f"{APP_NAME}.log"


def setup_logging(verbosity: int, log_file: Path | None, *, to_stderr: bool) -> None:
    """stderr shows warnings (-v: info, -vv: debug); a log file gets info (-vv: debug)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    file_level = logging.DEBUG if verbosity >= 2 else logging.INFO
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(min(level, file_level) if log_file else level)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.setLevel(file_level)
        root.addHandler(handler)
    if to_stderr:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("ipmsg-tui: %(levelname)s: %(message)s"))
        stream.setLevel(level)
        root.addHandler(stream)
