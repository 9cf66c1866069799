"""Attach files or folders to the message being written: browse, or type or paste a path."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, Static

from ...i18n import N_, _
from ..browsetree import AttachTree, BrowseTree
from ..model.paths import describe_missing, expand, parse_paths
from ..pathsuggester import PathSuggester
from .sizes import DIALOG_BREAKPOINTS

HELP = N_(
    "Enter on a file attaches it · a attaches the highlighted file or folder · "
    "Backspace: parent folder · a path ending in / opens it · Escape cancels"
)


class AttachPicker(ModalScreen[list[Path] | None]):
    """Dismisses with the chosen paths (they exist), or None."""

    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel")),
        Binding("down", "browse", N_("Browse"), show=False),
    ]

    def __init__(self, start: Path, to_name: str) -> None:
        super().__init__()
        self.start = start
        self.to_name = to_name

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="dialog"):
            yield Label(
                _("Attach files or folders for {name}").format(name=self.to_name),
                classes="dialog-title",
            )
            yield Input(
                placeholder=_("Type or paste a path (→ completes it), Enter attaches"),
                suggester=PathSuggester(self.start),
                id="path",
            )
            yield Label(id="picker-folder", classes="dialog-help", markup=False)
            yield AttachTree(self.start, id="tree")
            yield Static(_(HELP), id="picker-help", classes="dialog-help", markup=False)

    @property
    def browser(self) -> BrowseTree:
        return self.query_one(BrowseTree)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()
        self._show_folder()

    @on(BrowseTree.Moved)
    def _show_folder(self) -> None:
        self.query_one("#picker-folder", Label).update(
            _("In {folder}").format(folder=self.browser.root_path)
        )

    def _problem(self, text: str) -> None:
        help_label = self.query_one("#picker-help", Static)
        help_label.update(text)
        help_label.add_class("-error")

    @on(Input.Changed, "#path")
    def _typed(self, event: Input.Changed) -> None:
        """A folder path ending in ``/`` is opened in the browser below."""
        if event.value.endswith("/"):
            folder = expand(event.value, self.start)
            if folder.is_dir() and folder != self.browser.root_path:
                self.browser.path = folder

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        # Relative to where the dialog opened, as the completion is (the tree may have moved
        # because of the very path being typed).
        paths = parse_paths(event.value, self.start)
        problem = describe_missing(paths)
        if problem:
            self._problem(problem)
            return
        self.dismiss(paths)

    @on(DirectoryTree.FileSelected)
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss([event.path])

    @on(BrowseTree.Chosen)
    def _chosen(self, event: BrowseTree.Chosen) -> None:
        event.stop()
        self.dismiss([event.path])

    def action_browse(self) -> None:
        self.browser.enter()

    def action_cancel(self) -> None:
        self.dismiss(None)
