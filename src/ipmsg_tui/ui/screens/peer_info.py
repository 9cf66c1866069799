"""Everything known about a peer, and what it says about itself (GETINFO)."""

from __future__ import annotations

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


def info_rows(contact: Contact) -> list[tuple[str, str]]:
    peer = contact.peer
    rows = [("Name", contact.name), ("Group", contact.group or "—"), ("User@host", contact.key)]
    addr = contact.addr
    rows.append(("Address", f"{addr[0]}:{addr[1]}" if addr else "unknown"))
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
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, contact: Contact) -> None:
        super().__init__()
        self.contact = contact

    def compose(self) -> ComposeResult:
        table = Content("\n").join(
            Content.assemble((f"{label:<13}", "bold $text-secondary"), value)
            for label, value in info_rows(self.contact)
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
