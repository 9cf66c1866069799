"""The control socket is the user's alone: modes, credentials, stale and foreign files."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ipmsg_tui.config import load_settings
from ipmsg_tui.service import Messenger
from ipmsg_tui.service.control import ControlServer
from ipmsg_tui.service.controlwire import ask_running_app, control_path, exchange

from ..support.netlab import lan_of

NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"
# Connects as another user, sends a request, prints what came back (or the error).
CLIENT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError as error:
    print(type(error).__name__)
    raise SystemExit(0)
try:
    s.sendall(b'{"op": "who"}\\n')
    answer = s.recv(4096)
except OSError:
    answer = b""
print(repr(answer) if answer else "closed without an answer")
"""


@pytest.fixture
async def messenger(tmp_path: Path, ports: list[int]) -> AsyncIterator[Messenger]:
    settings = load_settings(
        tmp_path / "a.toml", bind="127.0.0.1", port=ports[0], data_dir=tmp_path / "data"
    )
    running = Messenger(settings)
    await running.start(announce=False)
    yield running
    await running.stop()
    running.close()


async def test_the_socket_is_0600_in_a_0700_folder_and_gone_after_stop(
    messenger: Messenger,
) -> None:
    server = ControlServer(messenger)
    assert await server.start()
    path = control_path(messenger.settings)
    assert server.path == path and path.parent.name == "ipmsg-tui"
    assert stat.S_ISSOCK(path.lstat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    connection = await ask_running_app(messenger.settings)
    assert connection is not None
    assert await exchange(connection, {"op": "who"}) == {"ok": True, "peers": []}
    await server.stop()
    assert not path.exists()
    assert await ask_running_app(messenger.settings) is None  # alone again


async def test_a_stale_socket_is_replaced_a_live_one_is_not(messenger: Messenger) -> None:
    path = control_path(messenger.settings)
    path.parent.mkdir(mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))  # a crashed app's socket: the file stays, nobody listens
    stale.close()
    assert await ask_running_app(messenger.settings) is None
    first = ControlServer(messenger)
    assert await first.start()
    second = ControlServer(messenger)
    assert not await second.start()  # another serves it: left alone
    connection = await ask_running_app(messenger.settings)
    assert connection is not None
    assert (await exchange(connection, {"op": "who"}))["ok"] is True
    await second.stop()
    assert path.exists()
    await first.stop()


async def test_bad_requests_get_an_error_reply(messenger: Messenger) -> None:
    server = ControlServer(messenger)
    assert await server.start()
    try:
        for request, error in [
            ({"op": "format-disk"}, "unknown control request 'format-disk'"),
            ({"op": "send", "targets": ["x"]}, '"send" needs "targets" and a "text" or "files"'),
            ({"op": "send", "targets": ["x"], "text": "t", "files": ["rel"]}, "absolute paths"),
        ]:
            connection = await ask_running_app(messenger.settings)
            assert connection is not None
            reply = await exchange(connection, request)
            assert reply["ok"] is False and reply["status"] == 2 and error in reply["error"]
        reader, writer = await asyncio.open_unix_connection(str(server.path))
        writer.write(b"not json\n")
        reply_line = await reader.readline()
        writer.close()
        assert b'"ok": false' in reply_line and b"bad control request" in reply_line
    finally:
        await server.stop()


async def test_a_folder_open_to_others_is_not_used(messenger: Messenger) -> None:
    folder = control_path(messenger.settings).parent
    folder.mkdir(mode=0o700)
    folder.chmod(0o755)
    assert not await ControlServer(messenger).start()
    assert await ask_running_app(messenger.settings) is None


async def _as_nobody(path: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        "runuser",
        "-u",
        "nobody",
        "--",
        SYSTEM_PYTHON,  # the venv's may sit where nobody can read it; stdlib is enough
        "-c",
        CLIENT,
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err
    return out.decode().strip()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as nobody")
async def test_another_user_cannot_reach_it_and_is_refused_if_the_modes_let_it(
    messenger: Messenger, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = tempfile.mkdtemp(prefix="ipmsg-run-")  # nobody may pass through, not further
    os.chmod(runtime, 0o755)
    monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
    server = ControlServer(messenger)
    assert await server.start()
    try:
        assert await _as_nobody(server.path) == "PermissionError"
        # Were the modes ever loosened, the credentials still keep others out.
        server.path.parent.chmod(0o777)
        server.path.chmod(0o666)
        with caplog.at_level(logging.WARNING, logger="ipmsg_tui.service.control"):
            assert await _as_nobody(server.path) == "closed without an answer"
        assert f"refused a connection from uid {NOBODY}" in caplog.text
    finally:
        await server.stop()
        os.rmdir(server.path.parent)
        os.rmdir(runtime)


def test_an_app_in_another_network_namespace_is_not_the_one_a_command_asks() -> None:
    """Hosts in network namespaces (or containers) may share the runtime folder; each holds
    port 2425 on its own network, so each has its own socket."""
    code = (
        "from ipmsg_tui.config import load_settings\n"
        "from ipmsg_tui.service.controlwire import control_path\n"
        "print(control_path(load_settings(None)))\n"
    )
    with lan_of("one", "two") as lan:
        paths = {
            subprocess.run(
                lan[name].command(sys.executable, "-c", code),
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            for name in ("one", "two")
        }
    here = str(control_path(load_settings(None)))
    assert len(paths) == 2 and here not in paths
    assert all(Path(path).parent == Path(here).parent for path in paths)  # one folder for all
