"""Shared fixtures: isolated settings and distinct loopback ports."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (IPMSG uses the same number for both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


@pytest.fixture
def ports() -> Iterator[list[int]]:
    """A supply of distinct free loopback ports: ``ports[0]``, ``ports[1]`` ..."""

    class _Ports(list[int]):
        def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
            while len(self) <= index:
                port = free_port()
                if port not in self:
                    self.append(port)
            return list.__getitem__(self, index)

    yield _Ports()


@pytest.fixture(autouse=True)
def isolated_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Path:
    """Never read the developer's own config; keep data and downloads under tmp_path."""
    config = tmp_path / "config.toml"
    monkeypatch.setenv("IPMSG_TUI_CONFIG", str(config))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(tmp_path / "downloads"))
    # The control sockets of apps and listeners (short: a socket path has ~100 bytes).
    runtime = tempfile.mkdtemp(prefix="ipmsg-run-")
    request.addfinalizer(lambda: shutil.rmtree(runtime, ignore_errors=True))
    monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
    return config
