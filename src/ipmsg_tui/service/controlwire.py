"""The control socket's side both ends share: where it lives, who may use it, its framing.

Commands beside the running app (``send``, ``who``) reach it through a Unix domain socket
``$XDG_RUNTIME_DIR/ipmsg-tui/<port>-net<id>.sock`` (else under ``/tmp/ipmsg-tui-<uid>/``): the
folder is 0700, the socket 0600, and each end checks the other's credentials (SO_PEERCRED),
so only the same user reaches it. One JSON object a line each way, one request a connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import stat
import struct
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..config import Settings
from ..i18n import _
from ..protocol.peers import Peer

# A request or reply line: a long message (split into parts when sent) fits, a flood not.
LINE_LIMIT = 256 * 1024
SOCKET_FOLDER_MODE = 0o700
SOCKET_MODE = 0o600


class ControlError(Exception):
    """The control socket cannot be used safely (a folder not ours, open to others)."""


def control_folder() -> Path:
    """The user's runtime folder for the socket (XDG_RUNTIME_DIR is per user and 0700)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "ipmsg-tui"
    return Path(tempfile.gettempdir()) / f"ipmsg-tui-{os.getuid()}"


def control_path(settings: Settings) -> Path:
    """One socket per port and network namespace: the app that holds the port answers for
    it, and a port is held per namespace (an app in a container or another namespace is on
    another network, though it may share this folder)."""
    return control_folder() / f"{settings.port}{_network_namespace()}.sock"


def _network_namespace() -> str:
    """``-net<inode>`` of this process's network namespace; "" where the system has none."""
    try:
        return f"-net{os.stat('/proc/self/ns/net').st_ino}"
    except OSError:
        return ""


def check_folder(folder: Path) -> None:
    """ControlError unless ``folder`` is a real folder of ours that only we can enter (in a
    shared /tmp another user could have made it first)."""
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise ControlError(_("{folder} is not a folder").format(folder=folder))
    if info.st_uid != os.getuid():
        raise ControlError(
            _("{folder} belongs to another user (uid {uid})").format(folder=folder, uid=info.st_uid)
        )
    if info.st_mode & 0o077:
        raise ControlError(
            _("{folder} is open to other users (mode {mode})").format(
                folder=folder, mode=f"{info.st_mode & 0o777:o}"
            )
        )


def prepare_folder(folder: Path) -> None:
    """Make the socket's folder (0700), or check the one there."""
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=SOCKET_FOLDER_MODE, parents=True)
    check_folder(folder)


def peer_uid(sock: socket.socket) -> int:
    """The user id of the process at the other end of a connected Unix socket."""
    credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return int(uid)


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """A request or reply; ValueError if the line is no JSON object."""
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(_("a request is a JSON object"))
    return message


def peer_to_json(peer: Peer, fingerprint: str | None) -> dict[str, Any]:
    return {**asdict(peer), "fingerprint": fingerprint}


def peer_from_json(record: dict[str, Any]) -> tuple[Peer, str | None]:
    """The peer and its key's fingerprint, as the app knows them (TypeError/ValueError if
    the record does not fit)."""
    fields = dict(record)
    fingerprint = fields.pop("fingerprint", None)
    ip, port = fields.pop("addr")
    return Peer(addr=(str(ip), int(port)), **fields), fingerprint


async def ask_running_app(
    settings: Settings,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """A connection to the app (or ``listen``) running on our port, or None if none runs
    (no socket, a stale one, or one we must not trust)."""
    path = control_path(settings)
    try:
        check_folder(path.parent)
        reader, writer = await asyncio.open_unix_connection(str(path), limit=LINE_LIMIT)
    except (OSError, ControlError):
        return None
    sock = writer.get_extra_info("socket")
    if sock is None or peer_uid(sock) != os.getuid():  # not the app of this user
        writer.close()
        return None
    return reader, writer


async def exchange(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: dict[str, Any]
) -> dict[str, Any]:
    """Send ``request``, return the reply; ControlError if the app answers none."""
    reader, writer = connection
    try:
        writer.write(encode(request))
        await writer.drain()
        line = await reader.readline()
        if not line:
            raise ControlError(_("the running app closed the control socket without an answer"))
        return decode(line)
    except (OSError, ValueError, asyncio.LimitOverrunError) as error:
        raise ControlError(
            _("the running app's control socket failed: {error}").format(error=error)
        ) from None
    finally:
        writer.close()
