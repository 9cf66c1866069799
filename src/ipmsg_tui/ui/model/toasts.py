"""What the toasts about conversations say, and which conversation a click on one opens,
without Textual; ``toastlinks.py`` and the app show them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from ...i18n import _
from ...store import StoredMessage
from .messageline import preview
from .roster import Contact

KEEP = 256  # toasts remembered: they live seconds, a few hundred is plenty


class ToastTargets:
    """Which conversation each toast is about, by the toast's identity (the last ``keep``)."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._keys: OrderedDict[str, str] = OrderedDict()  # toast identity -> key

    def remember(self, identity: str, key: str) -> None:
        self._keys[identity] = key
        while len(self._keys) > self.keep:
            self._keys.popitem(last=False)

    def key_of(self, identity: str) -> str | None:
        """The conversation a click on that toast opens, if it is one of ours."""
        return self._keys.get(identity)


def while_away(contacts: Iterable[Contact]) -> tuple[str, str] | None:
    """At start: the conversation and text of the toast about messages kept unread since
    last time (it opens the first such conversation), or None when there are none."""
    waiting = [c for c in contacts if c.unread]
    if not waiting:
        return None
    names = ", ".join(c.name for c in waiting[:3]) + (" …" if len(waiting) > 3 else "")
    total = sum(c.unread for c in waiting)
    return waiting[0].key, _("{count} unread from {names}").format(count=total, names=names)


def not_delivered(row: StoredMessage, conversation: Contact | None) -> str:
    """The toast for a message that failed outside the open conversation: to whom (those
    of several that did not get it) and what it said."""
    name = conversation.name if conversation is not None else row.conversation
    if row.recipients:
        name = ", ".join(r.name for r in row.not_delivered)
    return _("Not delivered to {name}: {text}").format(name=name, text=preview(row))
