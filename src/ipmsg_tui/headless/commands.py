"""``listen --commands``: drive a running node with JSON commands on stdin, one per line.

A bot or a script stays online in one process and sends through it::

    {"send": "build is green ✅", "to": "taro", "id": 7}
    {"send": "for your eyes", "to": "10.0.0.5:2425", "sealed": true}
    {"broadcast": "lunch!"}
    {"nick": "ci-bot"}   {"group": "infra"}   {"away": "back at 2"}   {"away": false}
    {"refresh": true}

Each send is answered on stdout by a ``sent`` event (with its packet number), then by
``message_delivered`` or ``message_failed``. A bad line gets an ``error`` event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from ..history import HistoryRecorder
from ..net.node import Node
from ..protocol.engine import EngineError
from ..targets import TargetError, resolve_target

Emit = Callable[[dict[str, Any]], None]


class CommandRejected(Exception):
    pass


class CommandRunner:
    def __init__(
        self,
        node: Node,
        emit: Emit,
        default_port: int,
        recorder: HistoryRecorder | None,
        sender: str,
    ) -> None:
        self.node = node
        self.emit = emit
        self.default_port = default_port
        self.recorder = recorder
        self.sender = sender

    def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        request: Any = None
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise CommandRejected("a command is a JSON object")
            self._run(request)
        except (ValueError, CommandRejected, EngineError) as error:
            reply: dict[str, Any] = {"event": "error", "error": str(error)}
            if isinstance(request, dict) and "id" in request:
                reply["id"] = request["id"]
            self.emit(reply)

    def _run(self, request: dict[str, Any]) -> None:
        if "send" in request:
            self._send(request)
        elif "broadcast" in request:
            sent = self.node.broadcast_message(_text(request, "broadcast"))
            if self.recorder is not None:
                self.recorder.record_broadcast(sent, self.sender, time.time())
            self.emit(
                {
                    "event": "sent",
                    "id": request.get("id"),
                    "packet_no": sent[0].packet_no,
                    "broadcast": True,
                }
            )
        elif "nick" in request:
            self.node.set_presence(nick=_text(request, "nick"))
        elif "group" in request:
            self.node.set_presence(group=_text(request, "group", allow_empty=True))
        elif "away" in request:
            away = request["away"]
            if away is False:
                self.node.set_presence(away=False)
            elif isinstance(away, str):
                self.node.set_presence(away=True, away_text=away)
            else:
                raise CommandRejected('"away" is a text, or false')
        elif request.get("refresh") is True:
            self.node.refresh()
        else:
            raise CommandRejected(
                "unknown command; use send/to, broadcast, nick, group, away or refresh"
            )

    def _send(self, request: dict[str, Any]) -> None:
        text = _text(request, "send")
        target = request.get("to")
        if not isinstance(target, str):
            raise CommandRejected('"send" needs "to": an IP, IP:PORT, nick or user@host')
        try:
            addr = resolve_target(self.node.engine.peers, target, self.default_port)
        except TargetError as error:
            raise CommandRejected(str(error)) from None
        sealed = request.get("sealed") is True
        sent = self.node.send_message([addr], text, sealed=sealed)
        if self.recorder is not None:
            peer = self.node.engine.peers.get(addr)
            self.recorder.record_sent(sent, [peer], self.sender, time.time(), sealed=sealed)
        for part in sent:
            self.emit(
                {
                    "event": "sent",
                    "id": request.get("id"),
                    "ip": addr[0],
                    "port": addr[1],
                    "packet_no": part.packet_no,
                    "part": part.part,
                    "parts": part.parts,
                }
            )


def _text(request: dict[str, Any], key: str, allow_empty: bool = False) -> str:
    value = request[key]
    if not isinstance(value, str) or (not value and not allow_empty):
        raise CommandRejected(f'"{key}" must be a non-empty text')
    return value
