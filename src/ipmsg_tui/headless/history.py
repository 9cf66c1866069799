"""``ipmsg-tui history``: print or search the stored messages. It only reads the history
database (no socket), so it works while the app or ``listen`` runs."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

from ..i18n import N_, _, ngettext
from ..protocol.peers import split_key
from ..search import SearchQueryError
from ..store import EVERYONE, Conversation, HistoryStore, MessageState, StoredMessage
from .common import CommandError

# Bad input exits like the command line's other usage errors.
USAGE_ERROR = 2
# Indexing an old database for search takes a while once: say so beyond this many messages.
_ANNOUNCE_BACKLOG = 20_000


def parse_since(text: str) -> float:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM[:SS]`` (local time, or with an offset)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            _("--since {text} is not a date (use YYYY-MM-DD or 'YYYY-MM-DD HH:MM')").format(
                text=repr(text)
            ),
            USAGE_ERROR,
        ) from None
    return moment.timestamp()  # a naive time is local time


def find_conversation(store: HistoryStore, peer: str) -> Conversation:
    """The conversation PEER names: user@host, nick, user or IP address of a past peer."""
    conversations = store.conversations()
    exact = [c for c in conversations if c.key == peer]
    if exact:
        return exact[0]
    wanted = peer.casefold()
    tests: list[Callable[[Conversation], bool]] = [
        lambda c: c.nick.casefold() == wanted,
        lambda c: c.key.rpartition("@")[0].casefold() == wanted,
        lambda c: c.ip == peer,
    ]
    for same in tests:
        matches = [c for c in conversations if c.key != EVERYONE and same(c)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            keys = ", ".join(c.key for c in matches)
            raise CommandError(
                _("{peer} matches several conversations ({keys}); give user@host").format(
                    peer=repr(peer), keys=keys
                ),
                USAGE_ERROR,
            )
    raise CommandError(
        _("no conversation with {peer} in the history").format(peer=repr(peer)), USAGE_ERROR
    )


def run_history(
    store: HistoryStore,
    *,
    peer: str | None,
    search: str | None,
    since: str | None,
    limit: int | None,
    as_json: bool,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Print the messages, oldest first (with ``limit``: the newest ``limit``)."""
    start = parse_since(since) if since is not None else None
    conversation = find_conversation(store, peer) if peer is not None else None
    key = conversation.key if conversation is not None else None
    if search is None:
        messages = store.history(key, since=start, limit=limit)
    else:
        backlog = store.search_backlog()
        if backlog > _ANNOUNCE_BACKLOG:
            print(
                _("indexing {count:,} stored messages for search (once)…").format(count=backlog),
                file=err,
            )
        try:
            hits = store.search(search, key=key, since=start, limit=limit, newest_first=True)
        except SearchQueryError as error:
            raise CommandError(f"--search: {error}", USAGE_ERROR) from None
        messages = [hit.message for hit in reversed(hits)]
    nicks = {c.key: c.nick for c in store.conversations()}
    for message in messages:
        nick = nicks.get(message.conversation, "")
        if as_json:
            line = json.dumps(message_record(message, nick), ensure_ascii=False)
        else:
            line = message_line(message, nick)
        out.write(line + "\n")
    out.flush()
    return 0


def _hidden(message: StoredMessage) -> bool:
    # A sealed message nobody opened yet: its text waits for the app (opening sends READMSG).
    return message.state == MessageState.SEALED


def _local_time(ts: float) -> datetime:
    return datetime.fromtimestamp(ts).astimezone()


def message_record(message: StoredMessage, nick: str) -> dict[str, Any]:
    user, _, host = split_key(message.conversation)[0].rpartition("@")  # a twin's too
    return {
        "id": message.id,
        "time": _local_time(message.ts).isoformat(timespec="seconds"),
        "timestamp": message.ts,
        "direction": message.direction,
        "peer": {
            "key": message.conversation,
            "user": user,
            "host": host if message.conversation != EVERYONE else "",
            "nick": nick,
            "ip": message.ip,
        },
        "text": None if _hidden(message) else message.text,
        "sealed": message.sealed,
        "notice": message.is_notice,  # our line (a message rejected, a key changed)
        "state": message.state.value,
        "packet_no": message.packet_no,
        "multicast": message.multicast,
        "also_to": [
            {"user": key.rpartition("@")[0], "host": key.rpartition("@")[2], "nick": nick}
            for key, nick in message.also_to
        ],
        "recipients": [
            {
                "key": r.key,
                "nick": r.nick,
                "ip": r.ip,
                "port": r.port,
                "packet_no": r.packet_no,
                "state": r.state.value,
            }
            for r in message.recipients
        ],
        "files": [
            {"name": a.name, "size": a.size, "mtime": a.mtime, "dir": a.is_dir}
            for a in message.attachments
        ],
    }


def also_to_text(message: StoredMessage) -> str:
    """``to you and 2 others: hanako, jiro`` (their nicks where known, else their user)."""
    names = ", ".join(nick or key.rpartition("@")[0] for key, nick in message.also_to)
    count = len(message.also_to)
    return ngettext(
        "to you and {count} other: {names}", "to you and {count} others: {names}", count
    ).format(count=count, names=names)


# A message's state as the text lines say it (JSON keeps the English value).
STATES = {
    MessageState.RECEIVED: N_("received"),
    MessageState.SEALED: N_("sealed"),
    MessageState.OPENED: N_("opened"),
    MessageState.SENDING: N_("sending"),
    MessageState.DELIVERED: N_("delivered"),
    MessageState.FAILED: N_("failed"),
}


def message_line(message: StoredMessage, nick: str) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(message.ts))
    who = nick or message.conversation
    if message.conversation == EVERYONE:
        who = _("everyone")
    arrow = (_("from {name}") if message.incoming else _("to {name}")).format(name=who)
    state = _(STATES.get(message.state, message.state.value))
    if message.recipients:  # sent to several: who, and how many got it
        arrow = _("to {name}").format(name=", ".join(r.name for r in message.recipients))
        state += f" {message.delivered_count}/{len(message.recipients)}"
    elif message.multicast and message.incoming:
        arrow += " " + (f"({also_to_text(message)})" if message.also_to else _("(to several)"))
    if message.is_notice:  # ours, about the conversation: never words of the peer
        arrow = _("notice about {name}").format(name=who)
    if _hidden(message):
        text = _("[sealed, not opened yet]")
    else:
        text = message.text.replace("\n", "\n    ")
        if message.sealed:
            text = _("[sealed] {text}").format(text=text)
    files = "".join(
        "\n    " + _("[file] {name} ({size} bytes)").format(name=a.name, size=a.size)
        for a in message.attachments
    )
    return f"{stamp} {arrow} [{state}]: {text}{files}"
