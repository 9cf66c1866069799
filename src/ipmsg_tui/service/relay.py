"""Commands asked for through the control socket, done by the running messenger.

A `send`: sent, waited for as the command alone would (receipts, then downloads), failed
with the same lines; the running app shows what was sent (``tell``: MessagesSent), as if
typed there. A `keys accept`: the peer's current key pinned (the app shows the warning gone:
KeyAccepted).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..i18n import _
from ..net.files import OfferError
from ..protocol.engine import EngineError
from . import events as news
from .delivery import KEY_EXCHANGE_WAIT, Delivery, name_of, until_fetched
from .finding import TargetNotFound, find_all, find_target
from .messenger import FilesOffered, KeyNotKnown, Messenger, Recipient


class RequestFailed(Exception):
    """The command fails with ``status``; ``problems``: a line each (the last is the error)."""

    def __init__(self, message: str, status: int = 1, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problems = problems or [message]


async def send_for_command(messenger: Messenger, request: dict[str, Any]) -> dict[str, Any]:
    """Send as a `send` command asked (``targets``, ``text``, ``sealed``, ``timeout``,
    ``files``) and wait as it would; its reply, or RequestFailed with its lines."""
    targets, text, timeout = request.get("targets"), request.get("text"), request.get("timeout")
    files = request.get("files") or []
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise RequestFailed(_('"files" is a list of paths'), 2)
    paths = [Path(f) for f in files]
    if (
        not isinstance(targets, list)
        or not targets
        or not all(isinstance(t, str) for t in targets)
        or not isinstance(text, str)
        or not (text or paths)
    ):
        raise RequestFailed(_('"send" needs "targets" and a "text" or "files"'), 2)
    if timeout is not None and (not isinstance(timeout, int | float) or timeout < 0):
        raise RequestFailed(_('"timeout" is a number of seconds'), 2)
    if any(not path.is_absolute() for path in paths):
        raise RequestFailed(_("the running app needs absolute paths"), 2)
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    news_came = asyncio.Event()
    outcome = Delivery()

    def follow(event: news.News) -> None:
        outcome.note(event)
        news_came.set()

    messenger.subscribe(follow)
    try:
        try:
            addrs, missing = await find_all(messenger, targets, news_came, just_started=False)
        except TargetNotFound as error:
            raise RequestFailed(str(error), error.status) from None
        names = {addr: name_of(messenger, addr) for addr in addrs}
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
        unacknowledged = await outcome.until_acknowledged(
            names, news_came, timeout, messenger.settings
        )
        _fail_with([*missing, *unacknowledged])
        if offered is not None:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            offer = offered.sent.offer
            _fail_with(
                await until_fetched(offer, names, outcome.left, news_came, remaining, timeout)
            )
        return sent
    finally:
        messenger.unsubscribe(follow)


async def accept_key_for_command(messenger: Messenger, request: dict[str, Any]) -> dict[str, Any]:
    """Pin the key PEER (``target``) gives now, as `keys accept` alone would: asked for if
    not known yet; the reply names its identity and fingerprint, or RequestFailed."""
    target = request.get("target")
    if not isinstance(target, str) or not target:
        raise RequestFailed(
            _('"accept_key" needs a "target": an IP, IP:PORT, nick or user@host'), 2
        )
    news_came = asyncio.Event()

    def follow(event: news.News) -> None:
        news_came.set()

    messenger.subscribe(follow)
    try:
        try:
            addr = await find_target(messenger, target, news_came, just_started=False)
        except TargetNotFound as error:
            raise RequestFailed(str(error), error.status) from None
        if messenger.fingerprint(addr) is None:
            messenger.request_key(addr)
            # A key already pinned makes no news when it comes again: look until it is in.
            await _polled(lambda: messenger.fingerprint(addr) is not None, KEY_EXCHANGE_WAIT + 1)
        try:
            identity, fingerprint = messenger.pin_current_key(addr)
        except KeyNotKnown:
            raise RequestFailed(
                _(
                    "{addr} gave no key within {seconds} s "
                    "(it cannot encrypt, or encryption is off here)"
                ).format(addr=f"{addr[0]}:{addr[1]}", seconds=f"{KEY_EXCHANGE_WAIT + 1:g}")
            ) from None
        return {"ok": True, "identity": identity, "fingerprint": fingerprint}
    finally:
        messenger.unsubscribe(follow)


async def _polled(predicate: Callable[[], bool], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate() and loop.time() < deadline:
        await asyncio.sleep(0.05)


def _fail_with(problems: list[str]) -> None:
    if problems:
        raise RequestFailed(problems[-1], problems=problems)
