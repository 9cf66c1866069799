"""The total a folder is announced with: what its walk will send, found more cheaply."""

from __future__ import annotations

import os
from pathlib import Path

from ipmsg_tui.net.sharing import folder_total, walk_folder


def test_a_folder_is_announced_with_what_its_walk_sends(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    for index in range(30):
        folder = root / f"d{index % 4}" / f"e{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index}.bin").write_bytes(os.urandom(index * 37))
    (tmp_path / "outside.bin").write_bytes(b"x" * 5000)
    (root / "link.bin").symlink_to(tmp_path / "outside.bin")  # never sent, never counted
    (root / "linked-dir").symlink_to(tmp_path)
    os.mkfifo(root / "fifo")
    deep = root.joinpath(*(f"n{i}" for i in range(6)))
    deep.mkdir(parents=True)
    (deep / "too-deep.bin").write_bytes(b"y" * 99)  # beyond max_depth 4: left out
    walked = sum(item.size for item in walk_folder(root, max_depth=4) if item.kind == "file")
    assert folder_total(root, max_depth=4) == walked == sum(i * 37 for i in range(30))
