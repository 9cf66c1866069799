"""What an empty conversation says: how to start, and on a first run with nobody online,
why nobody may be there and what to do about it."""

from __future__ import annotations

from .model.roster import Contact


def empty_hint(contact: Contact, online: int, port: int) -> str:
    if not contact.is_everyone:
        return f"No messages with {contact.name} yet. Say hello!"
    if online:
        return "Nothing sent to everyone yet. A message here goes to the whole LAN."
    return (
        "Nobody has answered yet: peers on this LAN appear on the left by themselves. "
        f"If none do, a firewall may block UDP port {port} (and TCP {port}, for files). "
        "F5 asks everyone again; ctrl+p → Add host reaches a peer on another subnet."
    )
