"""What an empty conversation says: how to start, and on a first run with nobody online,
why nobody may be there and what to do about it."""

from __future__ import annotations

from ..i18n import _
from .model.roster import Contact


def empty_hint(contact: Contact, anyone_online: bool, port: int) -> str:
    if not contact.is_everyone:
        return _("No messages with {name} yet. Say hello!").format(name=contact.name)
    if anyone_online:
        return _("Nothing sent to everyone yet. A message here goes to the whole LAN.")
    return _(
        "Nobody has answered yet: peers on this LAN appear on the left by themselves. "
        "If none do, a firewall may block UDP port {port} (and TCP {port}, for files). "
        "F5 asks everyone again; ctrl+p → Add host reaches a peer on another subnet."
    ).format(port=port)
