"""How paths typed or pasted are read, and how times and sizes read on screen."""

from __future__ import annotations

import time
from pathlib import Path

from ipmsg_tui.ui.model.paths import describe_missing, parse_paths, tilde
from ipmsg_tui.ui.model.timefmt import day_label, file_size


def test_pasted_paths_quoted_uris_or_one_per_line(tmp_path: Path) -> None:
    spaced = tmp_path / "a b.pdf"
    plain = tmp_path / "c.png"
    spaced.write_text("x")
    plain.write_text("y")
    assert parse_paths(f"'{spaced}' {plain}", tmp_path) == [spaced, plain]
    assert parse_paths(str(spaced), tmp_path) == [spaced]  # typed with a space, unquoted
    assert parse_paths(f"file://{tmp_path}/a%20b.pdf\nc.png", tmp_path) == [spaced, plain]
    assert describe_missing(parse_paths("c.png gone.txt", tmp_path)) == (
        f"No such file or folder: {tmp_path / 'gone.txt'}"
    )
    assert describe_missing([]) == "Type or paste a path first"
    assert tilde(Path.home() / "Downloads" / "x.pdf") == "~/Downloads/x.pdf"


def test_days_read_today_yesterday_or_a_date() -> None:
    now = time.mktime((2024, 5, 8, 9, 30, 0, 0, 0, -1))
    assert day_label(now - 3600, now) == "Today"
    assert day_label(now - 86400, now) == "Yesterday"
    assert day_label(now - 2 * 86400, now) == "2024-05-06 Mon"
    assert file_size(1536).endswith("KB") or file_size(1536).endswith("KiB")
