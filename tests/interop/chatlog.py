"""iptux's chat log (``~/.config/iptux/log/communicate.log``): what its chat windows showed.

Each message iptux displayed is one block::

    =====================================
    (Thu Nov 26 16:14:04 2026) Recevied-From: Nickname:probe-b User:probe Host:probe-b:
    [STRING]hello from probe (ascii)
    -------------------------------------

(``Recevied`` is iptux's spelling; ``Send-To:`` for its own messages). Dropped packets,
stale numbers and its "<ERROR>" lines never appear there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_OPEN = "=" * 37
_CLOSE = "-" * 37
_HEAD = re.compile(
    r"^\(.*?\) (?P<dir>Recevied-From|Send-To): "
    r"Nickname:(?P<nick>.*) User:(?P<user>.*) Host:(?P<host>.*):$"
)
_TEXT = "[STRING]"


@dataclass(frozen=True)
class ChatLine:
    incoming: bool  # True: iptux received it; False: iptux sent it
    nick: str
    user: str
    host: str
    text: str


def parse_chat_log(content: str) -> list[ChatLine]:
    lines: list[ChatLine] = []
    for block in content.split(_OPEN)[1:]:
        body = block.split(_CLOSE)[0].strip("\n").split("\n")
        head = _HEAD.match(body[0]) if body else None
        if head is None or len(body) < 2 or not body[1].startswith(_TEXT):
            continue  # not a text message (pictures, files): not an oracle we use
        text = "\n".join([body[1][len(_TEXT) :], *body[2:]])
        lines.append(
            ChatLine(
                incoming=head["dir"] == "Recevied-From",
                nick=head["nick"],
                user=head["user"],
                host=head["host"],
                text=text,
            )
        )
    return lines


def read_chat_log(path: Path) -> list[ChatLine]:
    try:
        return parse_chat_log(path.read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        return []
