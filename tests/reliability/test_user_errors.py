"""Mistakes and odd machines get one clear line, exit status 2, and nothing half-written."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..support.netlab import lab_unavailable_reason, lan_of
from ..support.procs import run


@contextmanager
def read_only_folder(path: Path) -> Iterator[Path]:
    """A folder nobody can write to, not even root: a read-only tmpfs mount."""
    path.mkdir(parents=True)
    if lab_unavailable_reason() is not None:  # mounting needs root, like the LAN tests
        pytest.skip("mounting a read-only folder needs root")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_no_interface_with_a_broadcast_address(tmp_path: Path) -> None:
    with lan_of("lonely") as lan:
        lonely = lan["lonely"]
        lonely.run("ip", "link", "set", "eth0", "down")  # only loopback is left
        lonely.run("ip", "addr", "flush", "dev", "eth0")
        result = run(["who", "--data-dir", str(tmp_path)], netns=lonely.netns)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ipmsg-tui: no network interface has a broadcast address, so nobody would hear us; "
        "add peers with --host ADDR or a broadcast address with --broadcast ADDR"
    )


def test_unwritable_download_folder(tmp_path: Path, ports: list[int]) -> None:
    with read_only_folder(tmp_path / "ro") as folder:
        result = run(["listen", "--accept-files", "--save-dir", str(folder), "--bind", "127.0.0.1",
                      "--port", str(ports[0]), "--data-dir", str(tmp_path / "data")])  # fmt: skip
        assert list(folder.iterdir()) == []
    assert result.returncode == 2
    assert result.stderr.strip() == f"ipmsg-tui: cannot write to {folder}: Read-only file system"


def test_unwritable_data_folder(tmp_path: Path, ports: list[int]) -> None:
    with read_only_folder(tmp_path / "ro") as folder:
        result = run(
            ["listen", "--bind", "127.0.0.1", "--port", str(ports[0]), "--data-dir", str(folder)]
        )
        assert list(folder.iterdir()) == []
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"ipmsg-tui: cannot open the history database {folder}/history.sqlite3"
    )
