"""One-line bars: who I am (top of the screen) and who the open conversation is with."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from ..i18n import _
from .model.roster import Contact

SEP = (" · ", "$text-muted")


def presence_mark(contact: Contact) -> tuple[str, str]:
    if contact.is_everyone:
        return _("broadcast · no receipts"), "$text-muted"
    if not contact.is_online:
        return _("○ offline"), "$text-muted"
    if contact.away:
        text = (
            _("◐ away: {text}").format(text=contact.away_text) if contact.away_text else _("◐ away")
        )
        return text, "$warning"
    return _("● online"), "$success"


class StatusBar(Horizontal):
    """``阿明 · 开发部 · aming@pc-01 · 192.168.1.20      ● online  3 peers``"""

    def compose(self) -> ComposeResult:
        yield Static(id="me")
        yield Static(id="presence")

    def show(
        self,
        *,
        nick: str,
        group: str,
        key: str,
        addresses: list[str],
        away: bool,
        away_text: str,
        online: int,
        unread: int,
        transfers: int = 0,
    ) -> None:
        parts: list[tuple[str, str] | str] = [(nick, "bold $text-accent")]
        if group:
            parts += [SEP, group]
        parts += [SEP, (key, "$text-muted")]
        if addresses:
            parts += [SEP, ", ".join(addresses)]
        self.query_one("#me", Static).update(Content.assemble(*parts))
        state = (
            (
                _("◐ away: {text}").format(text=away_text) if away_text else _("◐ away"),
                "bold $warning",
            )
            if away
            else (_("● online"), "$success")
        )
        right: list[tuple[str, str] | str] = [state, SEP, _("{count} online").format(count=online)]
        if transfers:  # ctrl+t shows them
            right += [SEP, (f"⇅ {transfers}", "bold $text-accent")]
        if unread:
            right += [SEP, (_("{count} unread").format(count=unread), "bold $text-error")]
        self.query_one("#presence", Static).update(Content.assemble(*right))


def security_mark(contact: Contact, encrypted: bool) -> tuple[str, str] | None:
    if contact.is_everyone:
        return _("not encrypted"), "$text-muted"
    if contact.key_changed:
        return _("⚠ key changed, unverified"), "bold $text-error"
    if encrypted:
        return f"🔐 {_('encrypted')}", "$success"
    return None


class ChatHeader(Static):
    """``阿明 · 开发部 · aming@pc-01 · 192.168.1.20 · ● online · 🔐 encrypted``"""

    def show(self, contact: Contact | None, my_port: int, *, encrypted: bool = False) -> None:
        """``encrypted``: our messages to the contact go encrypted."""
        if contact is None:
            self.update("")
            return
        parts: list[tuple[str, str] | str] = [(contact.name, "bold")]
        if contact.group:
            parts += [SEP, contact.group]
        if not contact.is_everyone:
            if not contact.key.startswith("?@"):  # a twin's address follows: said once
                parts += [SEP, (contact.base_key, "$text-muted")]
            addr = contact.addr
            if addr is not None:
                where = addr[0] if addr[1] == my_port else f"{addr[0]}:{addr[1]}"
                parts += [SEP, (where, "$text-muted")]
        parts += [SEP, presence_mark(contact)]
        security = security_mark(contact, encrypted)
        if security is not None:
            parts += [SEP, security]
        self.update(Content.assemble(*parts))
