"""Pick one of a few listed things (a saved host to remove ...): Enter picks, Escape cancels."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static

from ...i18n import N_
from .sizes import DIALOG_BREAKPOINTS


class ChoicePrompt(ModalScreen[int | None]):
    """Dismissed with the index of the chosen item, or None."""

    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, title: str, items: list[str], help: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.items = items
        self.help_text = help

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*(Content(item) for item in self.items), id="choices")
            if self.help_text:
                yield Static(self.help_text, classes="dialog-help", markup=False)

    def on_mount(self) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.highlighted = 0
        choices.focus()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_cancel(self) -> None:
        self.dismiss(None)
