"""How one stored message looks in the chat: a header line (time, sender, marks) and the
text below it, wrapped to the pane's width. What the lines say is decided in
``model/messageline.py``; this lays it out in Textual's Content."""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content

from ..protocol.attachments import Attachment
from ..store import StoredMessage
from .model.fileboard import OfferView
from .model.messageline import (
    attachment_parts,
    body_text,
    header_marks,
    recipients_line,
    sender_style,
    unopened,
)
from .model.timefmt import clock_time

INDENT = 2
STATUS_INDENT = 3  # a transfer's state, under its attachment's name


def header_line(row: StoredMessage, peer: str = "", *, short: bool = False) -> Content:
    parts: list[tuple[str, str] | str] = [
        (clock_time(row.ts), "$text-muted"),
        " ",
        (row.sender, sender_style(row)),
    ]
    if row.recipients:
        parts += [" ", (recipients_line(row), "$text-muted")]
    for mark in header_marks(row, peer, short=short):
        parts += ["  ", mark]
    return Content.assemble(*parts)


def notice_lines(row: StoredMessage, width: int) -> list[Content]:
    """A line of ours (a message rejected, a key changed): no sender, in warning colours."""
    line = Content.assemble((clock_time(row.ts), "$text-muted"), " ", (row.text, "bold $warning"))
    return line.wrap(max(width, 8))


def attachment_line(attachment: Attachment) -> Content:
    """``📎 report.pdf  2.3 MB`` or ``📁 photos/  folder · 41.0 MB``."""
    icon, name, size = attachment_parts(attachment)
    return Content.assemble(icon, (name, "underline"), (f"  {size}", "$text-muted"))


def body_lines(row: StoredMessage, files: OfferView | None = None) -> list[tuple[Content, int]]:
    """The message text (or the sealed notice) and its attachments, one Content per line with
    its extra indent; with ``files``, what became of each attachment and what can be done."""
    lines = [(Content.styled(text, style), 0) for text, style in body_text(row)]
    if unopened(row):  # its files are not given away either
        return lines
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
    header = header_line(row, peer)
    if header.cell_length > width:  # a narrow pane: the marks' symbols, not their words
        header = header_line(row, peer, short=True)
    lines = header.wrap(max(width, 8))
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
