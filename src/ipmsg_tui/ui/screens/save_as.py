"""Save offered files elsewhere: one file or folder under a path of one's choice (folder and
name), several into a folder of one's choice."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, Tree

from ..browsetree import BrowseTree, SaveTree
from ..model.paths import expand
from ..pathsuggester import PathSuggester
from .sizes import DIALOG_BREAKPOINTS

HELP = (
    "Enter saves · ↓ browses folders: s saves into the highlighted one · "
    "Backspace: parent folder · Escape cancels"
)


class SaveAsPicker(ModalScreen[Path | None]):
    """Dismisses with the target: ``folder/name`` for one file (``single``), else a folder."""

    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "browse", "Browse", show=False),
    ]

    def __init__(self, target: Path, *, single: bool, title: str) -> None:
        super().__init__()
        self.target = target
        self.single = single
        self.title_text = title
        # Where browsing starts, and what a relative path is taken from.
        folder = target.parent if single else target
        self.start = folder if folder.is_dir() else Path.home()

    def compose(self) -> ComposeResult:
        start = self.start
        with Vertical(id="picker", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Input(str(self.target), suggester=PathSuggester(start), id="path")
            yield SaveTree(start, folders_only=True, id="tree")
            yield Static(HELP, classes="dialog-help", markup=False)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def _target_in(self, folder: Path) -> Path:
        return folder / self.target.name if self.single else folder

    @on(Tree.NodeHighlighted)
    def _browsed(self, event: Tree.NodeHighlighted[object]) -> None:
        path = self.query_one(BrowseTree).highlighted_path
        if path is not None and self.query_one(BrowseTree).has_focus:
            self.query_one("#path", Input).value = str(self._target_in(path))

    @on(BrowseTree.Chosen)
    def _chosen(self, event: BrowseTree.Chosen) -> None:
        event.stop()
        self.dismiss(self._target_in(event.path))

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            return
        self.dismiss(expand(event.value.strip(), self.start))

    def action_browse(self) -> None:
        self.query_one(BrowseTree).enter()

    def action_cancel(self) -> None:
        self.dismiss(None)
