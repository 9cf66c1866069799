"""``send``, ``who`` and ``keys accept`` beside the running app: through its control
socket, not the port.

Each returns None when no app (or ``listen``) of ours runs on the port: the command then
works on its own as before. Output and exit codes are the same either way.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import Settings
from ..i18n import _
from ..protocol.peers import Peer
from ..service.controlwire import ControlError, ask_running_app, exchange, peer_from_json
from .common import INTERRUPTED, CommandError, interrupt_on_signals


async def _ask(settings: Settings, request: dict[str, Any], stage: str) -> dict[str, Any] | None:
    connection = await ask_running_app(settings)
    if connection is None:
        return None
    interrupt_on_signals()  # Ctrl+C ends the wait; the app goes on
    try:
        reply = await exchange(connection, request)
    except asyncio.CancelledError:
        raise CommandError(_("interrupted {stage}").format(stage=stage), INTERRUPTED) from None
    except ControlError as error:
        raise CommandError(str(error)) from None
    if reply.get("ok") is not True:
        status = reply.get("status")
        problems = reply.get("problems")
        if isinstance(problems, list):  # one line each, the last one as the error
            for line in problems[:-1]:
                print(f"ipmsg-tui: {line}", file=sys.stderr)
        raise CommandError(
            str(reply.get("error", _("the running app refused the command"))),
            status if isinstance(status, int) else 1,
        )
    return reply


async def send_through_app(
    settings: Settings,
    targets: Sequence[str],
    text: str,
    *,
    sealed: bool,
    timeout: float | None,
    paths: Sequence[Path],
) -> int | None:
    """Have the running app send it (it shows it in the conversation); 0 once
    acknowledged, CommandError as ``send`` fails on its own, None if no app runs."""
    request = {
        "op": "send",
        "targets": list(targets),
        "text": text,
        "sealed": sealed,
        "timeout": timeout,
        "files": [str(path.absolute()) for path in paths],
    }
    try:
        reply = await _ask(settings, request, _("before the receipt came"))
    except CommandError:
        await note_left_out(paths)
        raise
    if reply is None:
        return None
    await note_left_out(paths)
    parts = reply.get("parts", 1)
    if reply.get("waited") and isinstance(parts, int) and parts > 1:
        line = _("delivered to {name} in {count} parts (too long for one packet)")
        print(line.format(name=reply.get("name"), count=parts))
    return 0


async def note_left_out(paths: Sequence[Path]) -> None:
    """Links and devices inside a folder are left out: say so (`send`, alone or through
    the app)."""
    if not paths:
        return
    from ..net.notsent import not_sent, not_sent_note  # only a send with files needs it

    skipped = await asyncio.to_thread(not_sent, paths)
    if skipped:
        print(f"ipmsg-tui: {not_sent_note(skipped)}", file=sys.stderr)


async def accept_key_through_app(settings: Settings, target: str) -> tuple[str, str] | None:
    """Have the running app pin PEER's current key (its warning goes there at once): its
    identity and fingerprint; CommandError as `keys accept` fails alone; None if no app
    runs."""
    request = {"op": "accept_key", "target": target}
    reply = await _ask(settings, request, _("before the key came"))
    if reply is None:
        return None
    identity, fingerprint = reply.get("identity"), reply.get("fingerprint")
    if not isinstance(identity, str) or not isinstance(fingerprint, str):
        raise CommandError(_("the running app's answer was not understood"))
    return identity, fingerprint


async def who_through_app(settings: Settings) -> list[tuple[Peer, str | None]] | None:
    """The running app's peers and their keys' fingerprints, or None if no app runs."""
    reply = await _ask(settings, {"op": "who"}, _("before the app answered"))
    if reply is None:
        return None
    try:
        return [peer_from_json(record) for record in reply["peers"]]
    except (KeyError, TypeError, ValueError) as error:
        raise CommandError(
            _("the running app's answer was not understood: {error}").format(error=error)
        ) from None
