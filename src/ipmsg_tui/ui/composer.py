"""The input box: Enter sends, Ctrl+J starts a new line, Up/Down in an empty box recall what
was sent, Escape goes back to the peer list, Backspace at its very start removes the last
attachment waiting to go.

Ctrl+J is the new-line key because it is the one every terminal delivers as itself (LF).
Alt+Enter and Shift+Enter arrive as Enter from xterm, VTE terminals and tmux (ESC CR reads
as Enter); they are bound too, for terminals with the kitty keyboard protocol."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.cells import cell_len
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import TextArea

HISTORY_SIZE = 200

# TextArea's own editing keys still work, but as "system" bindings F1 leaves them out: the
# key panel shows what this app's input box does, not thirty generic cursor moves.
_EDITING_KEYS: list[BindingType] = [
    replace(binding, system=True) if isinstance(binding, Binding) else binding
    for binding in TextArea.BINDINGS
]


def fit_cells(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: cut after a whole character, then "…"."""
    if cell_len(text) <= width:
        return text
    kept, used = [], 1  # the ellipsis takes one cell
    for char in text:
        used += cell_len(char)
        if used > width:
            break
        kept.append(char)
    return "".join(kept) + "…" if width > 0 else ""


class Composer(TextArea, inherit_bindings=False):
    """TextArea handles Enter itself, so these are priority bindings (they apply only while
    the box has focus). Priority bindings run as the app reads a key, while typed characters
    wait in this widget's queue: each action therefore runs via ``call_later``, after the
    characters typed before its key (a fast "hi⏎" sends "hi", not an empty box)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "send", "Send", priority=True),
        Binding(
            "ctrl+j,alt+enter,shift+enter", "newline", "New line", priority=True, key_display="^j"
        ),
        Binding("up", "recall(-1)", "Recall", show=False, priority=True),
        Binding("down", "recall(1)", "Recall", show=False, priority=True),
        Binding("ctrl+s", "app.toggle_seal", "Seal", priority=True),
        Binding("escape", "leave", "Peers", show=False, priority=True),
        *_EDITING_KEYS,
    ]
    HELP = """
### The input box
- **Enter** sends · **ctrl+j** new line
- **↑ ↓** in an empty box: recall
- **ctrl+s**: seal the next message
- **Escape**: back to the peers
"""

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Leave(Message):
        """Escape: the user wants the peer list back."""

    class RemoveAttachment(Message):
        """Backspace at the start of the box: drop the last attachment."""

    class Recalled(Message):
        """Up/Down brought back a text that was sent."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        self.sent: list[str] = []
        self._recall_at: int | None = None  # index into ``sent`` while recalling
        self.allow_empty = False  # attachments are waiting: Enter sends them without text
        self._title = ""  # the whole border title; shown fitted to the width

    def action_delete_left(self) -> None:
        at_start = self.selection.is_empty and self.cursor_location == (0, 0)
        if at_start and self.allow_empty:
            self.post_message(self.RemoveAttachment())
            return
        super().action_delete_left()

    def show_title(self, text: str) -> None:
        """The border's title (a name: never markup), fitted here by cell widths: Textual
        cuts a two-cell character in half and leaves a blank in its place."""
        self._title = text
        self._fit_title()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_title()

    def _fit_title(self) -> None:
        # Textual leaves the title the width less the corners, a line and a blank each side.
        room = self.outer_size.width - 6
        title = self._title
        self.border_title = Content(fit_cells(title, room) if room > 0 else title)

    def action_send(self) -> None:
        self.call_later(self._send)

    def action_newline(self) -> None:
        self.call_later(self.insert, "\n")

    def action_leave(self) -> None:
        self.call_later(self.post_message, self.Leave())

    def action_recall(self, step: int) -> None:
        self.call_later(self._recall, step)

    def _send(self) -> None:
        text = self.text.strip("\n")
        if not text.strip():
            if self.allow_empty:
                self.clear()
                self.post_message(self.Submitted(""))
            return
        self.remember(text)
        self.clear()
        self.post_message(self.Submitted(text))

    def use_history(self, sent: list[str]) -> None:
        """Recall from (and remember into) ``sent``: each conversation has its own."""
        self.sent = sent
        self._recall_at = None

    def remember(self, text: str) -> None:
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
            del self.sent[:-HISTORY_SIZE]
        self._recall_at = None

    def _recall(self, step: int) -> None:
        """Up/Down: recall sent texts while the box is empty or shows a recalled one;
        otherwise move the cursor as usual."""
        showing_recalled = self._recall_at is not None and self.text == self.sent[self._recall_at]
        if not (self.text == "" or showing_recalled) or not self.sent:
            if step < 0:
                self.action_cursor_up()
            else:
                self.action_cursor_down()
            return
        if self._recall_at is None or not showing_recalled:
            if step > 0:
                return
            index = len(self.sent) - 1
        else:
            index = self._recall_at + step
        if index >= len(self.sent):
            self._recall_at = None
            self.clear()
            return
        self._recall_at = max(index, 0)
        self.load_text(self.sent[self._recall_at])
        self.move_cursor(self.document.end)
        self.post_message(self.Recalled(self.text))
