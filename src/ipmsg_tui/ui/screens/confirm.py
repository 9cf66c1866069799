"""A yes/no question before something that cannot be undone (forgetting a conversation)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ...i18n import N_, _


class Confirm(ModalScreen[bool]):
    """Dismisses with True on y (or the first button), False on n or Escape."""

    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm #confirm-buttons { height: auto; margin-top: 1; }
    Confirm Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("Yes"), show=False),
        Binding("n,escape", "answer(False)", N_("No"), show=False),
    ]

    def __init__(self, title: str, explanation: str, yes: str) -> None:
        super().__init__()
        self.title_text = title
        self.explanation = explanation
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Label(self.explanation, classes="dialog-help", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error", compact=True)
                yield Button(_("Keep (n)"), id="no", variant="primary", compact=True)
            yield Label(_("Escape: keep"), classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # Enter by habit must not delete

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
