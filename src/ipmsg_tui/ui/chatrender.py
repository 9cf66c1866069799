"""How one stored message looks in the chat: a header line (time, sender, state) and the
text below it, wrapped to the pane's width."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.content import Content

from ..i18n import N_, _, ngettext
from ..protocol.attachments import Attachment
from ..protocol.text import clean_name
from ..store import Flag, MessageState, StoredMessage
from .model.fileboard import OfferView
from .model.timefmt import clock_time, file_size

INDENT = 2
STATUS_INDENT = 3  # a transfer's state, under its attachment's name
PREVIEW = 80  # characters of a message shown in a toast
SEALED_BODY = N_("Sealed message: press Enter on it, or click it, to open it.")


ENCRYPTED_MARK = "🔐"  # not 🔒, which stands for sealed
KEY_CHANGED = N_("⚠ key changed, unverified")


def security_label(row: StoredMessage, peer: str = "") -> tuple[str, str] | None:
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


def state_label(row: StoredMessage) -> tuple[str, str]:
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


def recipients_label(row: StoredMessage) -> tuple[str, str]:
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


def header_line(row: StoredMessage, peer: str = "") -> Content:
    label, style = state_label(row)
    sender_style = "bold $text-accent" if not row.incoming else "bold $text-primary"
    parts: list[tuple[str, str] | str] = [
        (clock_time(row.ts), "$text-muted"),
        " ",
        (row.sender, sender_style),
    ]
    if row.recipients:
        parts += [" ", (recipients_line(row), "$text-muted")]
    security = security_label(row, peer)
    if security is not None:
        parts += ["  ", security]
    if label:
        parts += ["  ", (label, style)]
    return Content.assemble(*parts)


def notice_lines(row: StoredMessage, width: int) -> list[Content]:
    """A line of ours (a message rejected, a key changed): no sender, in warning colours."""
    line = Content.assemble((clock_time(row.ts), "$text-muted"), " ", (row.text, "bold $warning"))
    return line.wrap(max(width, 8))


def attachment_line(attachment: Attachment) -> Content:
    """``📎 report.pdf  2.3 MB`` or ``📁 photos/  folder · 41.0 MB``."""
    name = clean_name(attachment.name, 255) + ("/" if attachment.is_dir else "")
    if attachment.is_dir:
        # Folders announce the total of their files (1 when empty or unknown).
        size = _("folder") + (f" · {file_size(attachment.size)}" if attachment.size > 1 else "")
    else:
        size = file_size(attachment.size)
    icon = "📁 " if attachment.is_dir else "📎 "
    return Content.assemble(icon, (name, "underline"), (f"  {size}", "$text-muted"))


def body_lines(row: StoredMessage, files: OfferView | None = None) -> list[tuple[Content, int]]:
    """The message text (or the sealed notice) and its attachments, one Content per line with
    its extra indent; with ``files``, what became of each attachment and what can be done."""
    if row.incoming and row.state is MessageState.SEALED:
        return [(Content.styled(SEALED_BODY, "italic $text-warning"), 0)]
    # An auto-reply, or our notice that an encrypted message could not be read (policy off).
    unreadable = row.flags & Flag.ENCRYPTED and not row.flags & Flag.DECRYPTED
    style = "italic $text-muted" if row.flags & Flag.AUTO_REPLY or unreadable else ""
    lines = [(Content.styled(line, style), 0) for line in row.text.split("\n")] if row.text else []
    for index, attachment in enumerate(row.attachments):
        lines.append((attachment_line(attachment), 0))
        status = files.files[index] if files is not None and index < len(files.files) else None
        if status is not None:
            lines.append((Content.styled(*status), STATUS_INDENT))
    if files is not None and files.hint is not None:
        lines.append((Content.styled(f"⤷ {files.hint[0]}", files.hint[1]), 0))
    return lines


def message_lines(
    row: StoredMessage, width: int, files: OfferView | None = None, peer: str = ""
) -> list[Content]:
    """The message as screen lines at ``width`` cells: header, then the indented body.
    ``peer``: the name of whom the conversation is with."""
    if row.is_notice:
        return notice_lines(row, width)
    lines = header_line(row, peer).wrap(max(width, 8))
    for line, indent in body_lines(row, files):
        if not line:
            lines.append(Content(""))
            continue
        body_width = max(width - INDENT - indent, 4)
        lines.extend(part.pad_left(INDENT + indent) for part in line.wrap(body_width))
    return lines


def rule_line(label: str, width: int, style: str = "$text-muted") -> Content:
    """``──── Today ────`` across ``width`` cells."""
    label = f" {label} "
    free = max(width - cell_len(label), 0)
    left = free // 2
    return Content.styled("─" * left + label + "─" * (free - left), style)


def centered_line(text: str, width: int, style: str) -> Content:
    """``text`` in the middle of ``width`` cells (Content.center pads too much on the right
    in Textual 8.2)."""
    line = Content.styled(text, style).truncate(width, ellipsis=True)
    return line.pad_left(max(width - line.cell_length, 0) // 2)


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
