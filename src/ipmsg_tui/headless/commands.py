"""``listen --commands``: drive a running node with JSON commands on stdin, one per line.

A bot or a script stays online in one process and sends through it::

    {"send": "build is green ✅", "to": "taro", "id": 7}
    {"send": "for your eyes", "to": "10.0.0.5:2425", "sealed": true}
    {"send": "stand-up in 5", "to": ["taro", "hanako", "10.0.0.7"]}
    {"broadcast": "lunch!"}
    {"nick": "ci-bot"}   {"group": "infra"}   {"away": "back at 2"}   {"away": false}
    {"refresh": true}
    {"accept_key": "taro", "id": 8}

Each send is answered on stdout by a ``sent`` event (with its packet number; to several
peers, with their ``recipients``), then by ``message_delivered`` or ``message_failed`` for
each recipient. ``accept_key`` pins the key the peer gave us
after a ``key_changed`` warning (the warning then stops, in later runs too) and is answered
by a ``key_accepted`` event. A bad line gets an ``error`` event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..i18n import english
from ..protocol.engine import EngineError
from ..protocol.peers import Addr
from ..service import KeyNotKnown, Messenger
from ..targets import TargetError
from .common import shortened_nick

Emit = Callable[[dict[str, Any]], None]


class CommandRejected(Exception):
    pass


class CommandRunner:
    """Each command is one call of the messenger (settings changed here are not saved)."""

    def __init__(self, messenger: Messenger, emit: Emit) -> None:
        self.messenger = messenger
        self.emit = emit

    def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        request: Any = None
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise CommandRejected("a command is a JSON object")
            # What it answers is JSON, whose values never change with the language: the
            # texts of "error" and "warning" (ours, the targets', the nick's) stay English.
            with english():
                self._run(request)
        except (ValueError, CommandRejected, EngineError) as error:
            reply: dict[str, Any] = {"event": "error", "error": str(error)}
            if isinstance(request, dict) and "id" in request:
                reply["id"] = request["id"]
            self.emit(reply)

    def _run(self, request: dict[str, Any]) -> None:
        messenger = self.messenger
        if "send" in request:
            self._send(request)
        elif "broadcast" in request:
            sent = messenger.broadcast(_text(request, "broadcast"))
            self.emit(
                {
                    "event": "sent",
                    "id": request.get("id"),
                    "packet_no": sent[0].packet_no,
                    "broadcast": True,
                }
            )
        elif "nick" in request:
            nick = _text(request, "nick")
            messenger.set_nick(nick, remember=False)
            seen_as = messenger.fitting_nick(nick)
            warning = shortened_nick(nick, seen_as)
            if warning is not None:
                self.emit(
                    {
                        "event": "warning",
                        "id": request.get("id"),
                        "warning": warning,
                        "nick": seen_as,
                    }
                )
        elif "group" in request:
            messenger.set_group(_text(request, "group", allow_empty=True), remember=False)
        elif "away" in request:
            away = request["away"]
            if away is False:
                messenger.come_back()
            elif isinstance(away, str):
                messenger.set_away(away, remember=False)
            else:
                raise CommandRejected('"away" is a text, or false')
        elif request.get("refresh") is True:
            messenger.refresh()
        elif "accept_key" in request:
            self._accept_key(request)
        else:
            raise CommandRejected(
                "unknown command; use send/to, broadcast, nick, group, away, refresh or accept_key"
            )

    def _accept_key(self, request: dict[str, Any]) -> None:
        target = _text(request, "accept_key")
        try:
            addr = self.messenger.resolve(target)
            identity, fingerprint = self.messenger.pin_current_key(addr)
        except (TargetError, KeyNotKnown) as error:
            raise CommandRejected(str(error)) from None
        self.emit(
            {
                "event": "key_accepted",
                "id": request.get("id"),
                "ip": addr[0],
                "port": addr[1],
                "identity": identity,
                "fingerprint": fingerprint,
            }
        )

    def _send(self, request: dict[str, Any]) -> None:
        text = _text(request, "send")
        # Two names for one peer (its nick and its IP) still send it one copy.
        addrs = list(dict.fromkeys(self._resolve(t) for t in _targets(request.get("to"))))
        rows = self.messenger.send(addrs, text, sealed=request.get("sealed") is True)
        parts = len(rows)
        for part, row in enumerate(rows, start=1):
            reply: dict[str, Any] = {"event": "sent", "id": request.get("id")}
            if len(addrs) == 1:
                reply |= {"ip": row.ip, "port": row.port}
            else:  # one packet number for all of them, as IPMSG sends to several
                reply["recipients"] = [{"ip": ip, "port": port} for ip, port in addrs]
            reply |= {"packet_no": row.packet_no, "part": part, "parts": parts}
            self.emit(reply)

    def _resolve(self, target: str) -> Addr:
        try:
            return self.messenger.resolve(target)
        except TargetError as error:
            raise CommandRejected(str(error)) from None


# More recipients than this in one command is a mistake, not a message.
MAX_RECIPIENTS = 256


def _targets(value: object) -> list[str]:
    """ "to": one target, or a list of them (like ``send TARGET --to TARGET2``)."""
    if isinstance(value, str) and value:
        return [value]
    if (
        isinstance(value, list)
        and 0 < len(value) <= MAX_RECIPIENTS
        and all(isinstance(t, str) and t for t in value)
    ):
        return list(value)
    raise CommandRejected('"send" needs "to": an IP, IP:PORT, nick or user@host, or a list of them')


def _text(request: dict[str, Any], key: str, allow_empty: bool = False) -> str:
    value = request[key]
    if not isinstance(value, str) or (not value and not allow_empty):
        raise CommandRejected(f'"{key}" must be a non-empty text')
    return value
