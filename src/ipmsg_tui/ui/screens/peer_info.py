"""Everything known about a peer, and what it says about itself (GETINFO)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ...i18n import N_, _
from ...protocol.constants import EntryOpt
from ..model.roster import Contact
from .sizes import DIALOG_BREAKPOINTS

_CAPABILITIES = (
    (EntryOpt.CAPUTF8OPT, "UTF-8"),
    (EntryOpt.FILEATTACHOPT, N_("file attachments")),
    (EntryOpt.ENCRYPTOPT, N_("encryption")),
    (EntryOpt.CAPIPDICTOPT, "IPDict"),
    (EntryOpt.CLIPBOARDOPT, N_("clipboard images")),
    (EntryOpt.CAPFILEENCOPT, N_("encrypted files")),
)


def client_family(version: str) -> str:
    lowered = version.lower()
    if "iptux" in lowered:
        return "iptux"
    if "_lbt" in lowered:
        return "FeiQ"
    if "ipmsg-tui" in lowered:
        return "ipmsg-tui"
    return "IP Messenger" if version.startswith("1") else _("unknown")


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
    return " ".join(groups[:5]) + "\n" + " ".join(groups[5:])


def key_rows(keys: KeyFacts) -> list[tuple[str, str]]:
    if keys.changed is not None:
        pinned, new = keys.changed
        return [
            (_("Key"), _("⚠ CHANGED, not accepted: compare it with its owner")),
            (_("Pinned"), readable(pinned)),
            (_("New"), readable(new)),
        ]
    going = _("messages go encrypted") if keys.encrypted else _("messages go in clear")
    rows = [(_("Encryption"), going)]
    if keys.fingerprint is not None:
        rows.append((_("Fingerprint"), readable(keys.fingerprint)))
    elif keys.encrypted:
        rows.append((_("Fingerprint"), _("not known yet (asked for its key)")))
    return rows


def info_rows(contact: Contact, keys: KeyFacts | None = None) -> list[tuple[str, str]]:
    peer = contact.peer
    rows = [(_("Name"), contact.name), (_("Group"), contact.group or "—")]
    rows.append((_("User@host"), contact.key))
    addr = contact.addr
    rows.append((_("Address"), f"{addr[0]}:{addr[1]}" if addr else _("unknown")))
    if keys is not None:
        rows += key_rows(keys)
    if peer is None:
        rows.append((_("Presence"), _("offline")))
        return rows
    away = _("away: {text}").format(text=peer.away_text)
    rows.append((_("Presence"), away if peer.away else _("online")))
    rows.append((_("Client"), f"{client_family(peer.version)} ({peer.version})"))
    abilities = [_(name) for flag, name in _CAPABILITIES if peer.capabilities & flag]
    rows.append((_("Capabilities"), ", ".join(abilities) or _("none announced")))
    encoding = peer.encoding_override or ("utf-8" if peer.speaks_utf8 else peer.codec or "—")
    source = _("set by you") if peer.encoding_override else _("seen on the wire")
    rows.append((_("Encoding"), f"{encoding} ({source})"))
    if len(contact.online) > 1:
        others = ", ".join(f"{ip}:{port}" for ip, port in contact.online if (ip, port) != addr)
        rows.append((_("Also at"), others))
    return rows


class PeerInfoScreen(ModalScreen[None]):
    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", N_("Close")),
        Binding("a", "accept_key", N_("Accept new key"), show=False),
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
        self._said: tuple[str | None] | None = None  # its answer to GETINFO, once it came

    @property
    def key_changed(self) -> bool:
        return self.keys is not None and self.keys.changed is not None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(
                Content.assemble(_("Peer info · "), (self.contact.name, "bold")),
                classes="dialog-title",
            )
            yield Static(self._facts(), id="facts")
            if self.contact.peer is not None:
                yield Static(
                    Content.styled(_("Asking the peer for its version…"), "italic"), id="answer"
                )
            yield Label(self._help(), id="help", classes="dialog-help")

    def _facts(self) -> Content:
        rows = info_rows(self.contact, self.keys)
        # Padded by cells, not characters: 名称 is as wide as four Latin letters.
        self._width = max(LABEL_WIDTH, *(cell_len(label) + 1 for label, _value in rows))
        return Content("\n").join(
            Content.assemble(
                (self._padded(label), "bold $text-secondary"),
                value.replace("\n", "\n" + " " * self._width),  # under the value column
            )
            for label, value in rows
        )

    def _help(self) -> str:
        if self.key_changed:
            return _("a: accept the new key · Escape to close")
        return _("Escape to close")

    def show_keys(self, keys: KeyFacts) -> None:
        """The peer's key as known now (it came, changed or was accepted meanwhile)."""
        self.keys = keys
        for facts in self.query("#facts").results(Static):  # none yet: compose shows them
            facts.update(self._facts())
        for help_line in self.query("#help").results(Label):
            help_line.update(self._help())

    def on_mount(self) -> None:
        self._show_said()  # an answer that came before the dialog was composed

    def show_answer(self, kind: str, text: str | None) -> None:
        if kind != "version":
            return
        self._said = (text,)
        self._show_said()

    def _show_said(self) -> None:
        """The answer, once both it and the dialog are there (on loopback it may come first)."""
        if self._said is None:
            return
        (text,) = self._said
        for answer in self.query("#answer").results(Static):
            if text is None:
                answer.update(Content.styled(_("It did not answer (GETINFO)."), "$text-warning"))
            else:
                says = (self._padded(_("Says")), "bold $text-secondary")
                answer.update(Content.assemble(says, text))

    def _padded(self, label: str) -> str:
        return label + " " * max(self._width - cell_len(label), 1)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_accept_key(self) -> None:
        if self.key_changed and self._accept_key is not None:
            self._accept_key()
            self.dismiss(None)
