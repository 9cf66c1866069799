"""Quit anyway? Asked on ctrl+q while files are moving or offers of ours wait to be fetched:
quitting ends both (downloads can be resumed after a restart, offers must be sent again)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ...i18n import N_, _, ngettext

EXPLANATION = N_(
    "Quitting stops them. Unfinished downloads go on from where they stopped after a restart "
    "(where the sender allows it); files you offered must be sent again."
)


def describe_pending(downloads: int, uploads: int, offers: int) -> str:
    """``2 downloads, 1 upload and 1 offer not fetched yet``"""
    parts = [
        text.format(count=count)
        for count, text in (
            (downloads, ngettext("{count} download", "{count} downloads", downloads)),
            (uploads, ngettext("{count} upload", "{count} uploads", uploads)),
            (
                offers,
                ngettext("{count} offer not fetched yet", "{count} offers not fetched yet", offers),
            ),
        )
        if count
    ]
    if len(parts) < 2:
        return "".join(parts)
    return _("{items} and {last}").format(items=_(", ").join(parts[:-1]), last=parts[-1])


class ConfirmQuit(ModalScreen[bool]):
    """Dismisses with True to quit (y, or ctrl+q again), False to stay (n, Escape)."""

    DEFAULT_CSS = """
    ConfirmQuit { align: center middle; }
    ConfirmQuit #confirm-buttons { height: auto; margin-top: 1; }
    ConfirmQuit Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,ctrl+q", "answer(True)", N_("Quit"), show=False, priority=True),
        Binding("n,escape", "answer(False)", N_("Stay"), show=False),
    ]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what  # "1 download and 2 offers not fetched yet"

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-quit", classes="dialog"):
            yield Label(_("Quit ipmsg-tui?"), classes="dialog-title")
            yield Label(
                _("Still going: {what}.").format(what=self.what), id="confirm-what", markup=False
            )
            yield Label(_(EXPLANATION), classes="dialog-help")
            with Horizontal(id="confirm-buttons"):
                yield Button(_("Quit (y)"), id="quit", variant="error", compact=True)
                yield Button(_("Stay (n)"), id="stay", variant="primary", compact=True)
            yield Label(_("Escape: stay"), classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()  # Enter by habit must not quit

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "quit")

    def action_answer(self, quit_now: bool) -> None:
        self.dismiss(quit_now)
