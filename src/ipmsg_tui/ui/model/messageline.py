"""What a message in the chat says, without drawing it: the marks after the sender (state,
encryption, to whom), the body's words and styles, what an attachment line reads, and the
one-line preview a toast shows. ``chatrender.py`` lays these out as Textual lines.

A mark is ``(text, style)``; the style is a Textual style string ("$success", "bold
$error" ...), kept as plain text here.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...i18n import N_, _, ngettext
from ...protocol.attachments import Attachment
from ...protocol.text import clean_name
from ...store import Flag, MessageState, StoredMessage
from .timefmt import file_size

PREVIEW = 80  # characters of a message shown in a toast
SEALED_BODY = N_("Sealed message: press Enter on it, or click it, to open it.")
SEALED_STYLE = "italic $text-warning"
MUTED_BODY_STYLE = "italic $text-muted"  # an auto-reply, or a message we could not read

ENCRYPTED_MARK = "🔐"  # not 🔒, which stands for sealed
KEY_CHANGED = N_("⚠ key changed, unverified")

Mark = tuple[str, str]  # text, style


def security_label(row: StoredMessage, peer: str = "") -> Mark | None:
    """How the message travelled: encrypted (signed or not), under a changed key, or in
    clear although the peer can encrypt; None when there is nothing to say (plain peers)."""
    flags = row.flags
    peer = peer or _("the peer")
    if row.incoming:
        if not flags & Flag.DECRYPTED:
            return None
        if flags & Flag.KEY_CHANGED:
            return f"{ENCRYPTED_MARK} {_(KEY_CHANGED)}", "bold $error"
        if flags & Flag.SIGNED:
            return f"{ENCRYPTED_MARK} {_('encrypted')}", "$success"
        return f"{ENCRYPTED_MARK} {_('encrypted · unsigned')}", "$warning"
    if flags & Flag.NO_KEY:
        if row.state is MessageState.FAILED:
            text = _("not sent: no key from {name} (encryption required)")
            return text.format(name=peer), "bold $error"
        return _("⚠ sent unencrypted: no key from {name}").format(name=peer), "bold $warning"
    if flags & Flag.ENCRYPTED:
        return f"{ENCRYPTED_MARK} {_('encrypted')}", "$success"
    return None


def also_to_label(row: StoredMessage) -> str:
    """``to you and 2 others: hanako, jiro`` (nicks where known, else user names)."""
    names = [nick or key.rpartition("@")[0] for key, nick in row.also_to]
    shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
    return ngettext(
        "to you and {count} other: {names}", "to you and {count} others: {names}", len(names)
    ).format(count=len(names), names=shown)


def state_label(row: StoredMessage) -> Mark:
    """The state shown after the sender, and its style."""
    if row.incoming:
        if row.state is MessageState.SEALED:
            return _("🔒 sealed · Enter or click to open"), "bold $warning"
        marks = []
        if row.sealed:
            marks.append(_("🔓 opened"))
        if row.flags & Flag.AUTO_REPLY:
            marks.append(_("auto-reply"))
        if row.flags & Flag.BROADCAST:
            marks.append(_("to everyone"))
        elif row.flags & Flag.MULTICAST:
            marks.append(also_to_label(row) if row.also_to else _("to you and others"))
        return " · ".join(marks), "$text-muted"
    if row.flags & Flag.BROADCAST:
        return _("→ everyone"), "$text-muted"
    if row.flags & Flag.AUTO_REPLY:
        return _("↩ auto-reply (away)"), "$text-muted"
    if row.recipients:
        return recipients_label(row)
    sealed = "🔒 " if row.sealed else ""
    match row.state:
        case MessageState.SENDING:
            return sealed + _("… sending"), "$text-muted"
        case MessageState.DELIVERED:
            return sealed + _("✓ delivered"), "$success"
        case MessageState.OPENED:
            return sealed + _("✓✓ opened"), "bold $success"
        case MessageState.FAILED:
            return _("✗ not delivered · Enter or click to resend"), "bold $error"
    return row.state.value, "$text-muted"


def recipients_label(row: StoredMessage) -> Mark:
    """The delivery of a message sent to several peers: ``✓ 2/3``, and who did not get it."""
    total = len(row.recipients)
    got = f"{row.delivered_count}/{total}"
    sealed = "🔒 " if row.sealed else ""
    match row.state:
        case MessageState.SENDING:
            return f"{sealed}… {got}", "$text-muted"
        case MessageState.FAILED:
            missing = ", ".join(r.name for r in row.not_delivered)
            text = _("✗ {got} · not to {names} · Enter or click to resend to them")
            return text.format(got=got, names=missing), "bold $error"
        case MessageState.OPENED:
            return sealed + _("✓✓ opened {got}").format(got=got), "bold $success"
    opened = sum(1 for r in row.recipients if r.state is MessageState.OPENED)
    label = f"{sealed}✓ {got}" + (_(" · {count} opened").format(count=opened) if opened else "")
    return label, "$success"


def recipients_line(row: StoredMessage) -> str:
    """``to alice, bob, carol`` for a message sent to several peers, else empty."""
    if not row.recipients:
        return ""
    return _("to {names}").format(names=", ".join(r.name for r in row.recipients))


def sender_style(row: StoredMessage) -> str:
    return "bold $text-accent" if not row.incoming else "bold $text-primary"


# In a narrow pane the usual marks keep only their symbol (the words would wrap the header
# onto a second line); warnings and what asks for a key press keep their words.
_SHORT_MARKS = {
    N_("encrypted"): "",
    N_("✓ delivered"): "✓",
    N_("✓✓ opened"): "✓✓",
    N_("… sending"): "…",
}


def header_marks(row: StoredMessage, peer: str = "", *, short: bool = False) -> list[Mark]:
    """What follows the sender (and to whom, for a message to several) in a message's
    header, in order: how it travelled, its state; empty ones left out. ``short``: the
    plain "encrypted" and delivery marks as their symbols only, for a narrow pane."""
    marks: list[Mark] = []
    security = security_label(row, peer)
    if security is not None:
        marks.append(_shortened(security) if short else security)
    label = state_label(row)
    if label[0]:
        marks.append(_shortened(label) if short else label)
    return marks


def _shortened(mark: Mark) -> Mark:
    text, style = mark
    prefix = ""
    for lead in (f"{ENCRYPTED_MARK} ", "🔒 "):  # kept as symbols before the shortened words
        if text.startswith(lead):
            prefix, text = lead.strip(), text[len(lead) :]
            break
    for words, symbol in _SHORT_MARKS.items():
        if text == _(words):
            return prefix + symbol, style
    return mark


def unopened(row: StoredMessage) -> bool:
    """A sealed message to us not opened yet: neither its text nor its files are shown."""
    return row.incoming and row.state is MessageState.SEALED


def body_text(row: StoredMessage) -> list[Mark]:
    """The message's text, a mark per line (empty for a message of files alone); a sealed
    one not yet opened reads as the notice to open it."""
    if unopened(row):
        return [(SEALED_BODY, SEALED_STYLE)]
    # An auto-reply, or our notice that an encrypted message could not be read (policy off).
    unreadable = row.flags & Flag.ENCRYPTED and not row.flags & Flag.DECRYPTED
    style = MUTED_BODY_STYLE if row.flags & Flag.AUTO_REPLY or unreadable else ""
    return [(line, style) for line in row.text.split("\n")] if row.text else []


def attachment_parts(attachment: Attachment) -> tuple[str, str, str]:
    """Icon, name and size of ``📎 report.pdf  2.3 MB`` or ``📁 photos/  folder · 41.0 MB``."""
    name = clean_name(attachment.name, 255) + ("/" if attachment.is_dir else "")
    if attachment.is_dir:
        # Folders announce the total of their files (1 when empty or unknown).
        size = _("folder") + (f" · {file_size(attachment.size)}" if attachment.size > 1 else "")
    else:
        size = file_size(attachment.size)
    icon = "📁 " if attachment.is_dir else "📎 "
    return icon, name, size


def preview(row: StoredMessage) -> str:
    """A message in one short line, for a toast (a sealed one is not given away)."""
    if row.state is MessageState.SEALED:
        return _("sent you a sealed message")
    text = " ".join(row.text.split())
    if len(text) > PREVIEW:
        text = text[: PREVIEW - 1] + "…"
    if row.attachments:
        files = attachment_summary(row.attachments)
        text = f"{text} [{files}]" if text else _("sent {files}").format(files=files)
    return text


def attachment_summary(attachments: Sequence[Attachment]) -> str:
    """``a file``, ``3 files``, ``a folder``, ``2 files and a folder`` ..."""
    folders = sum(1 for a in attachments if a.is_dir)
    files = len(attachments) - folders

    parts = []
    if files:
        parts.append(ngettext("a file", "{count} files", files).format(count=files))
    if folders:
        parts.append(ngettext("a folder", "{count} folders", folders).format(count=folders))
    return _(" and ").join(parts)
