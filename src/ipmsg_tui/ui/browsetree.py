"""A folder browser for the file dialogs: hidden entries left out, Backspace goes up a level,
and one key ("a" to attach, "s" to save here) that chooses the highlighted entry."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DirectoryTree

from ..i18n import N_


class BrowseTree(DirectoryTree):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("backspace", "up_level", N_("Parent folder")),
    ]

    class Moved(Message):
        """The tree now shows another folder."""

    class Chosen(Message):
        """The user chose the highlighted file or folder with the tree's key."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self, path: Path, *, folders_only: bool = False, id: str | None = None):
        super().__init__(path, id=id)
        self.folders_only = folders_only

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        for path in paths:
            if path.name.startswith("."):
                continue
            if self.folders_only and not self._safe_is_dir(path):
                continue
            yield path

    async def watch_path(self) -> None:
        await super().watch_path()
        self.post_message(self.Moved())

    @property
    def root_path(self) -> Path:
        return Path(self.path)

    @property
    def highlighted_path(self) -> Path | None:
        node = self.cursor_node
        return node.data.path if node is not None and node.data is not None else None

    def enter(self) -> None:
        """Focus, on the first entry (the top line is the folder being shown)."""
        self.focus()
        if self.cursor_line <= 0 and self.root.children:
            self.cursor_line = 1

    def action_up_level(self) -> None:
        parent = self.root_path.parent
        if parent != self.root_path:
            self.path = parent

    def action_choose(self) -> None:
        path = self.highlighted_path
        if path is not None:
            self.post_message(self.Chosen(path))


class AttachTree(BrowseTree):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a", "choose", N_("Attach this"), tooltip=N_("Attach the highlighted file or folder")
        ),
    ]


class SaveTree(BrowseTree):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "choose", N_("Save here"), tooltip=N_("Save into the highlighted folder")),
    ]
