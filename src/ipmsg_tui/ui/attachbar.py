"""Files and folders waiting to go with the next message: one chip each, above the input box.

A click on a chip removes it (so does Backspace at the start of the input box, for the last
one); the bar is hidden while nothing is attached.
"""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.containers import HorizontalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from .model.timefmt import file_size


def chip_label(path: Path) -> Content:
    """``📎 report.pdf 2.3 MB ✕`` (a folder's size is added up only when it is sent)."""
    folder = path.is_dir()
    try:
        size = "" if folder else f" {file_size(path.stat().st_size)}"
    except OSError:
        size = " (gone)"
    return Content.assemble(
        "📁 " if folder else "📎 ",
        (path.name or str(path), "bold"),
        ("/" if folder else "", "bold"),
        (size, "$text-muted"),
        (" ✕", "$text-error"),
    )


class Chip(Static):
    def __init__(self, index: int, path: Path) -> None:
        super().__init__(chip_label(path), markup=False)
        self.index = index
        self.path = path
        self.tooltip = f"{path}\nClick to remove it"

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(AttachmentBar.Removed(self.index))


class AttachmentBar(HorizontalScroll, can_focus=False):
    class Removed(Message):
        """The user removed attachment number ``index``."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.paths: list[Path] = []

    def show(self, paths: list[Path]) -> None:
        if paths != self.paths:
            self.paths = list(paths)
            self.remove_children()
            self.mount_all(Chip(index, path) for index, path in enumerate(paths))
        self.display = bool(paths)
        self.border_title = f"{len(paths)} to send" if paths else ""
