"""The control server: ``send`` and ``who`` beside the running app go through it.

Started with the app (and ``listen``) on the messenger's port's socket (see
:mod:`.controlwire`), it maps each request to the messenger: ``who`` answers the live peer
list, ``send`` sends as if typed in the app (the app shows it, see ``MessagesSent``) and
answers once the receipt came, or did not. Connections from another user are refused and
logged; a request too long or not understood gets an error reply, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..net.files import OfferError
from ..protocol import events as ev
from ..protocol.engine import EngineError
from ..protocol.keyring import KEY_REQUEST_INTERVAL, KEY_REQUEST_TRIES
from ..protocol.peers import Addr
from ..targets import AmbiguousTarget, TargetError, UnknownTarget
from . import events as news
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
from .messenger import FilesOffered, Messenger, Recipient

log = logging.getLogger(__name__)

# How long a named target may take to appear among the peers (as `send` waits on its own).
NAME_WAIT = 2.0
KEY_EXCHANGE_WAIT = KEY_REQUEST_TRIES * KEY_REQUEST_INTERVAL
# A client that sends nothing is dropped after this long.
REQUEST_WAIT = 10.0


class RequestFailed(Exception):
    """The command fails with ``status``; ``problems``: a line each (the last is the error)."""

    def __init__(self, message: str, status: int = 1, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problems = problems or [message]


class _Missing(RequestFailed):
    """No peer by that name is known."""


@dataclass
class _Outcome:
    """What became of a message sent for a command: receipts, failures, peers that quit."""

    waiting: set[tuple[Addr, int]] = field(default_factory=set)  # (recipient, packet no)
    failed: set[Addr] = field(default_factory=set)
    left: set[Addr] = field(default_factory=set)

    def note(self, event: news.News) -> None:
        match event:
            case news.MessagesChanged(source=ev.MessageDelivered(addr=addr, packet_no=number)):
                self.waiting.discard((addr, number))
            case news.MessagesChanged(source=ev.MessageFailed(addr=addr, packet_no=number)):
                if (addr, number) in self.waiting:
                    self.waiting.discard((addr, number))
                    self.failed.add(addr)
            case news.PeerOffline(peer=peer, reason="exit"):
                self.left.add(peer.addr)

    def missed(self, addr: Addr) -> bool:
        return addr in self.failed or any(waited == addr for waited, _ in self.waiting)


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
            reply = {"ok": False, "error": f"bad control request: {error}", "status": 2}
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
            return await self._send(request)
        raise RequestFailed(f"unknown control request {op!r}", 2)

    async def _send(self, request: dict[str, Any]) -> dict[str, Any]:
        targets, text, timeout = request.get("targets"), request.get("text"), request.get("timeout")
        files = request.get("files") or []
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise RequestFailed('"files" is a list of paths', 2)
        paths = [Path(f) for f in files]
        if (
            not isinstance(targets, list)
            or not targets
            or not all(isinstance(t, str) for t in targets)
            or not isinstance(text, str)
            or not (text or paths)
        ):
            raise RequestFailed('"send" needs "targets" and a "text" or "files"', 2)
        if timeout is not None and (not isinstance(timeout, int | float) or timeout < 0):
            raise RequestFailed('"timeout" is a number of seconds', 2)
        if any(not path.is_absolute() for path in paths):
            raise RequestFailed("the running app needs absolute paths", 2)
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        news_came = asyncio.Event()
        outcome = _Outcome()

        def follow(event: news.News) -> None:
            outcome.note(event)
            news_came.set()

        messenger = self.messenger
        messenger.subscribe(follow)
        try:
            addrs, missing = await self._find_all(targets, news_came)
            names = {addr: self._name(addr) for addr in addrs}
            recipients: list[Recipient] = [messenger.peer(addr) or addr for addr in addrs]
            sealed = request.get("sealed") is True
            offered: FilesOffered | None = None
            try:
                if paths:
                    offered = await messenger.send_files(
                        recipients, text, paths, sealed=sealed, tell=True
                    )
                    rows = offered.rows
                else:
                    rows = messenger.send(recipients, text, sealed=sealed, tell=True)
            except OfferError as error:
                raise RequestFailed(str(error), 2) from None
            except EngineError as error:
                raise RequestFailed(str(error)) from None
            outcome.waiting.update((addr, row.packet_no) for row in rows for addr in addrs)
            name = ", ".join(names.values())
            sent = {"ok": True, "name": name, "parts": len(rows), "waited": timeout != 0}
            if timeout == 0:
                return sent
            settings = messenger.settings
            limit = (
                timeout
                if timeout is not None
                else settings.retry_interval * settings.retry_count + 1 + KEY_EXCHANGE_WAIT
            )
            await _until(lambda: not outcome.waiting, news_came, limit)
            missed = [addr for addr in addrs if outcome.missed(addr)]
            _fail_with([*missing, *(_not_acknowledged(names[addr], addr) for addr in missed)])
            if offered is not None:
                remaining = None if deadline is None else max(0.0, deadline - loop.time())
                await _until_fetched(offered, names, outcome, news_came, remaining, timeout)
            return sent
        finally:
            messenger.unsubscribe(follow)

    def _name(self, addr: Addr) -> str:
        peer = self.messenger.peer(addr)
        return peer.name if peer is not None else f"{addr[0]}:{addr[1]}"

    async def _find_all(
        self, targets: list[str], news_came: asyncio.Event
    ) -> tuple[list[Addr], list[str]]:
        """The addresses found (each once), and a line for each TARGET not found; with
        none found, the last such line is the error (as `send` alone says it)."""
        found = await asyncio.gather(
            *(self._find(target, news_came) for target in targets), return_exceptions=True
        )
        addrs: list[Addr] = []
        missing: list[str] = []
        for result in found:
            if isinstance(result, _Missing):
                missing.append(str(result))
            elif isinstance(result, BaseException):
                raise result
            elif result not in addrs:
                addrs.append(result)
        if not addrs:
            raise RequestFailed(missing[-1])
        return addrs, missing

    async def _find(self, target: str, changed: asyncio.Event) -> Addr:
        """The address ``target`` names among the app's peers, waiting a little for it."""

        def resolve() -> Addr | None:
            try:
                return self.messenger.resolve(target)
            except UnknownTarget:
                return None
            except AmbiguousTarget as error:
                raise RequestFailed(str(error)) from None
            except TargetError as error:
                raise RequestFailed(str(error), 2) from None

        await _until(lambda: resolve() is not None, changed, NAME_WAIT)
        addr = resolve()
        if addr is None:
            raise _Missing(
                f"no peer named {target!r} answered within {NAME_WAIT:g} s; "
                "see `ipmsg-tui who`, or give its IP address"
            )
        return addr


async def _until_fetched(
    offered: FilesOffered,
    names: dict[Addr, str],
    outcome: _Outcome,
    news_came: asyncio.Event,
    remaining: float | None,
    timeout: float | None,
) -> None:
    """Serve until every recipient has every file; RequestFailed (as `send` says it) if
    one declines, quits (BR_EXIT) or time runs out."""
    offer = offered.sent.offer

    def finished() -> bool:
        return offer.complete or not [
            r for r in offer.recipients if not offer.fetched_by(r) and r.addr not in outcome.left
        ]

    await _until(finished, news_came, remaining)
    if offer.complete and len(offer.recipients) == len(names):
        return
    still_in = {recipient.addr for recipient in offer.recipients}
    problems = [
        f"{name} declined the files" for addr, name in names.items() if addr not in still_in
    ]
    for recipient in offer.recipients:
        if offer.fetched_by(recipient):
            continue
        name = names.get(recipient.addr, f"{recipient.addr[0]}:{recipient.addr[1]}")
        if recipient.addr in outcome.left:
            problems.append(f"{name} left before fetching the files (it quit: BR_EXIT)")
        else:
            count = len(offer.required - offer.fetched.get(recipient, set()))
            problems.append(f"{name} did not fetch the files within {timeout:g} s ({count} left)")
    _fail_with(problems)


def _not_acknowledged(name: str, addr: Addr) -> str:
    return f"{name} did not acknowledge the message (offline, or UDP port {addr[1]} blocked)"


def _fail_with(problems: list[str]) -> None:
    if problems:
        raise RequestFailed(problems[-1], problems=problems)


async def _until(
    predicate: Callable[[], bool], changed: asyncio.Event, timeout: float | None
) -> None:
    """Wait until ``predicate()`` holds or ``timeout`` passes, re-checking on ``changed``."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while not predicate():
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            return
        changed.clear()
        # Not asyncio.wait_for: on Python 3.11 it can swallow the cancellation of stop().
        waiter = asyncio.ensure_future(changed.wait())
        try:
            await asyncio.wait({waiter}, timeout=remaining)
        finally:
            waiter.cancel()
