"""Everything known about a peer, and what it says about itself (GETINFO)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ...protocol.constants import EntryOpt
from ..model.roster import Contact
from .sizes import DIALOG_BREAKPOINTS

_CAPABILITIES = (
    (EntryOpt.CAPUTF8OPT, "UTF-8"),
    (EntryOpt.FILEATTACHOPT, "file attachments"),
    (EntryOpt.ENCRYPTOPT, "encryption"),
    (EntryOpt.CAPIPDICTOPT, "IPDict"),
    (EntryOpt.CLIPBOARDOPT, "clipboard images"),
    (EntryOpt.CAPFILEENCOPT, "encrypted files"),
)


def client_family(version: str) -> str:
    lowered = version.lower()
    if "iptux" in lowered:
        return "iptux"
    if "_lbt" in lowered:
        return "FeiQ"
    if "ipmsg-tui" in lowered:
        return "ipmsg-tui"
    return "IP Messenger" if version.startswith("1") else "unknown"


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """What we know of a peer's key: its fingerprint (given this run, or pinned earlier), the
    (pinned, new) fingerprints while a changed key waits to be accepted, and whether our
    messages to it go encrypted."""

    fingerprint: str | None = None
    changed: tuple[str, str] | None = None
    encrypted: bool = False


LABEL_WIDTH = 13


def readable(fingerprint: str) -> str:
    """Ten groups of four on two lines of five (under the value column), never wrapped in
    the middle of a group: easy to read aloud."""
    groups = fingerprint.split()
    if len(groups) <= 5:
        return fingerprint
    return " ".join(groups[:5]) + "\n" + " " * LABEL_WIDTH + " ".join(groups[5:])


def key_rows(keys: KeyFacts) -> list[tuple[str, str]]:
    if keys.changed is not None:
        pinned, new = keys.changed
        return [
            ("Key", "⚠ CHANGED, not accepted: compare it with its owner"),
            ("Pinned", readable(pinned)),
            ("New", readable(new)),
        ]
    rows = [("Encryption", "messages go encrypted" if keys.encrypted else "messages go in clear")]
    if keys.fingerprint is not None:
        rows.append(("Fingerprint", readable(keys.fingerprint)))
    elif keys.encrypted:
        rows.append(("Fingerprint", "not known yet (asked for its key)"))
    return rows


def info_rows(contact: Contact, keys: KeyFacts | None = None) -> list[tuple[str, str]]:
    peer = contact.peer
    rows = [("Name", contact.name), ("Group", contact.group or "—"), ("User@host", contact.key)]
    addr = contact.addr
    rows.append(("Address", f"{addr[0]}:{addr[1]}" if addr else "unknown"))
    if keys is not None:
        rows += key_rows(keys)
    if peer is None:
        rows.append(("Presence", "offline"))
        return rows
    rows.append(("Presence", f"away: {peer.away_text}" if peer.away else "online"))
    rows.append(("Client", f"{client_family(peer.version)} ({peer.version})"))
    abilities = [name for flag, name in _CAPABILITIES if peer.capabilities & flag]
    rows.append(("Capabilities", ", ".join(abilities) or "none announced"))
    encoding = peer.encoding_override or ("utf-8" if peer.speaks_utf8 else peer.codec or "—")
    source = "set by you" if peer.encoding_override else "seen on the wire"
    rows.append(("Encoding", f"{encoding} ({source})"))
    if len(contact.online) > 1:
        others = ", ".join(f"{ip}:{port}" for ip, port in contact.online if (ip, port) != addr)
        rows.append(("Also at", others))
    return rows


class PeerInfoScreen(ModalScreen[None]):
    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close"),
        Binding("a", "accept_key", "Accept new key", show=False),
    ]

    def __init__(
        self,
        contact: Contact,
        keys: KeyFacts | None = None,
        accept_key: Callable[[], None] | None = None,
    ) -> None:
        """``accept_key``: what "a" does while the peer's key is changed."""
        super().__init__()
        self.contact = contact
        self.keys = keys
        self._accept_key = accept_key

    @property
    def key_changed(self) -> bool:
        return self.keys is not None and self.keys.changed is not None

    def compose(self) -> ComposeResult:
        table = Content("\n").join(
            Content.assemble((f"{label:<{LABEL_WIDTH}}", "bold $text-secondary"), value)
            for label, value in info_rows(self.contact, self.keys)
        )
        with Vertical(id="dialog", classes="dialog"):
            yield Label(
                Content.assemble("Peer info · ", (self.contact.name, "bold")),
                classes="dialog-title",
            )
            yield Static(table, id="facts")
            if self.contact.peer is not None:
                yield Static(
                    Content.styled("Asking the peer for its version…", "italic"), id="answer"
                )
            if self.key_changed:
                yield Label("a: accept the new key · Escape to close", classes="dialog-help")
            else:
                yield Label("Escape to close", classes="dialog-help")

    def show_answer(self, kind: str, text: str | None) -> None:
        if kind != "version":
            return
        answer = self.query_one("#answer", Static)
        if text is None:
            answer.update(Content.styled("It did not answer (GETINFO).", "$text-warning"))
        else:
            answer.update(Content.assemble(("Says         ", "bold $text-secondary"), text))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_accept_key(self) -> None:
        if self.key_changed and self._accept_key is not None:
            self._accept_key()
            self.dismiss(None)
