"""Ask for one line of text (a nick, an address, a codec ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label

from .sizes import DIALOG_BREAKPOINTS


class TextPrompt(ModalScreen[str | None]):
    """Enter answers (possibly with an empty text), Escape cancels with None."""

    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        placeholder: str = "",
        help: str = "",
        suggestions: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.help_text = help
        self.suggestions = list(suggestions)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(
                self.value,
                placeholder=self.placeholder,
                suggester=SuggestFromList(self.suggestions, case_sensitive=False)
                if self.suggestions
                else None,
                id="answer",
            )
            if self.help_text:
                yield Label(self.help_text, classes="dialog-help", markup=False)

    @on(Input.Submitted, "#answer")
    def _answer(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
