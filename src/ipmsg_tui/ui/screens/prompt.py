"""Ask for one line of text (a nick, an address, a codec ...)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

from ...i18n import N_
from .sizes import DIALOG_BREAKPOINTS


class TextPrompt(ModalScreen[str | None]):
    """Enter answers (possibly with an empty text), Escape cancels with None. With ``check``,
    an answer it finds a problem with (it returns the problem, in words) is not accepted:
    the problem shows in place of the help and the text stays to be corrected."""

    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        placeholder: str = "",
        help: str = "",
        suggestions: Sequence[str] = (),
        check: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.help_text = help
        self.suggestions = list(suggestions)
        self.check = check

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
            if self.help_text or self.check is not None:
                yield Static(self.help_text, id="prompt-help", classes="dialog-help", markup=False)

    @on(Input.Submitted, "#answer")
    def _answer(self, event: Input.Submitted) -> None:
        answer = event.value.strip()
        problem = self.check(answer) if self.check is not None and answer else None
        if problem:
            help_text = self.query_one("#prompt-help", Static)
            help_text.update(problem)
            help_text.add_class("-error")
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(None)
