"""Files a peer offers: what they are, where they would go, and what to do about them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList, Static

from ...i18n import N_, _
from .sizes import DIALOG_BREAKPOINTS

# What the user can choose, in button order: (id, label, key).
CHOICES = {
    "accept": (N_("Accept"), "a"),
    "save": (N_("Save as…"), "s"),
    "decline": (N_("Decline"), "d"),
    "retry": (N_("Retry"), "r"),
    "cancel": (N_("Cancel download"), "c"),
}


class OfferScreen(ModalScreen[str | None]):
    """Dismisses with one of ``choices`` (see CHOICES), or None to decide later. With
    ``pick`` (label, file id) for an offer of several files, each can be ticked off:
    ``ticked`` then holds the file ids to download."""

    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "later", N_("Later")),
        *(
            Binding(key, f"choose('{choice}')", label, show=False)
            for choice, (label, key) in CHOICES.items()
        ),
    ]

    def __init__(
        self,
        title: Content,
        files: Content,
        where: str,
        choices: Sequence[str],
        pick: Sequence[tuple[str, int]] = (),
    ) -> None:
        super().__init__()
        self.pick = list(pick)
        self.ticked = [file_id for _, file_id in self.pick]
        self.title_content = title
        self.files = files
        self.where = where
        self.choices = [c for c in CHOICES if c in choices]

    def compose(self) -> ComposeResult:
        with Vertical(id="offer", classes="dialog"):
            yield Label(self.title_content, classes="dialog-title")
            if self.pick:  # several files: each can be left out (space ticks)
                yield SelectionList[int](
                    *((Content(label), file_id, True) for label, file_id in self.pick),
                    id="offer-pick",
                )
            else:
                yield Static(self.files, id="offer-files")
            yield Label(self.where, id="offer-where", classes="dialog-help", markup=False)
            with Horizontal(id="offer-buttons"):
                for choice in self.choices:
                    label, key = CHOICES[choice]
                    yield Button(
                        f"{_(label)} ({key})",
                        id=choice,
                        variant="primary" if choice in ("accept", "retry") else "default",
                        compact=True,
                    )
            if self.pick:
                help_text = _("Space ticks a file in or out · Escape: decide later")
            else:
                help_text = _("Escape: decide later")
            yield Label(help_text, classes="dialog-help")

    def on_mount(self) -> None:
        if self.choices:
            self.query_one(f"#{self.choices[0]}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(event.button.id or "")

    @on(SelectionList.SelectedChanged, "#offer-pick")
    def _ticked(self, event: SelectionList.SelectedChanged[int]) -> None:
        self.ticked = list(event.selection_list.selected)

    def action_choose(self, choice: str) -> None:
        if choice in self.choices:
            self.dismiss(choice)

    def action_later(self) -> None:
        self.dismiss(None)
