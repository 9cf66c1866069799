"""The control server: ``send``, ``who`` and ``keys accept`` beside the running app go
through it.

Started with the app (and ``listen``) on the messenger's port's socket (see
:mod:`.controlwire`), it maps each request to the messenger: ``who`` answers the live peer
list, ``send`` sends as if typed in the app (the app shows it, see ``MessagesSent``) and
answers once the receipt came, or did not; ``accept_key`` pins a peer's current key (the
app shows its warning gone, see ``KeyAccepted``). Connections from another user are refused and
logged; a request too long or not understood gets an error reply, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from pathlib import Path
from typing import Any

from ..i18n import _
from .controlwire import (
    LINE_LIMIT,
    SOCKET_MODE,
    ControlError,
    control_path,
    decode,
    encode,
    peer_to_json,
    peer_uid,
    prepare_folder,
)
from .messenger import Messenger
from .relay import RequestFailed, accept_key_for_command, send_for_command

log = logging.getLogger(__name__)

# A client that sends nothing is dropped after this long.
REQUEST_WAIT = 10.0


class ControlServer:
    def __init__(self, messenger: Messenger, path: Path | None = None) -> None:
        self.messenger = messenger
        self.path = path or control_path(messenger.settings)
        self._server: asyncio.Server | None = None
        self._inode: int | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> bool:
        """Listen on the socket; False (logged) if it cannot be made or another serves it."""
        try:
            prepare_folder(self.path.parent)
            if not await self._clear_stale():
                log.warning("control socket %s is served by another process", self.path)
                return False
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.bind(str(self.path))  # inside a 0700 folder: nobody else gets in meanwhile
                os.chmod(self.path, SOCKET_MODE)
                sock.listen(16)
                self._server = await asyncio.start_unix_server(
                    self._accept, sock=sock, limit=LINE_LIMIT
                )
            except BaseException:
                sock.close()
                raise
            self._inode = self.path.stat().st_ino
        except (OSError, ControlError) as error:
            log.warning("no control socket at %s: %s", self.path, error)
            return False
        log.info("commands beside the app: control socket %s", self.path)
        return True

    async def _clear_stale(self) -> bool:
        """Remove a socket file nobody listens on; False if someone does."""
        if not self.path.exists() and not self.path.is_symlink():
            return True
        try:
            _reader, writer = await asyncio.open_unix_connection(str(self.path))
        except OSError:
            self.path.unlink()
            return True
        writer.close()
        return False

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.wait(self._handlers)
        self._server = None
        with contextlib.suppress(OSError):  # remove our socket only, not a successor's
            if self.path.stat().st_ino == self._inode:
                self.path.unlink()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            pass
        except Exception:  # a broken client or a bug: logged, the app goes on
            log.exception("control request failed")
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        uid = peer_uid(sock) if sock is not None else -1
        if uid != os.getuid():
            log.warning("control socket: refused a connection from uid %d", uid)
            return
        try:
            line = await asyncio.wait_for(reader.readline(), REQUEST_WAIT)
            reply = await self._answer(decode(line), reader)
            if reply is None:
                return  # the command went away (Ctrl+C): what was sent stays sent
        except (ValueError, asyncio.LimitOverrunError, TimeoutError) as error:
            text = _("bad control request: {error}").format(error=error)
            reply = {"ok": False, "error": text, "status": 2}
        except RequestFailed as failure:
            reply = {
                "ok": False,
                "error": str(failure),
                "problems": failure.problems,
                "status": failure.status,
            }
        writer.write(encode(reply))
        with contextlib.suppress(OSError):  # the command may have gone (Ctrl+C)
            await writer.drain()

    async def _answer(
        self, request: dict[str, Any], reader: asyncio.StreamReader
    ) -> dict[str, Any] | None:
        """The reply, or None if the command hung up first (it sends nothing more)."""
        work = asyncio.ensure_future(self._handle(request))
        hangup = asyncio.ensure_future(reader.read(1))
        try:
            await asyncio.wait({work, hangup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hangup.cancel()
            if not work.done():
                work.cancel()
        return work.result() if work.done() and not work.cancelled() else None

    async def _handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "who":
            messenger = self.messenger
            peers = [peer_to_json(p, messenger.fingerprint(p.addr)) for p in messenger.peers]
            return {"ok": True, "peers": peers}
        if op == "send":
            return await send_for_command(self.messenger, request)
        if op == "accept_key":
            return await accept_key_for_command(self.messenger, request)
        raise RequestFailed(_("unknown control request {op}").format(op=repr(op)), 2)
