"""The chat pane's message list: a line-API view of a bounded conversation window.

Only the window's messages are rendered (wrapped to the current width, a block of lines per
message); scrolling near the top pages older ones in from the store, near the bottom newer
ones, and the view stays put on the message it showed. New messages scroll the view only if
it was at the end, so reading back is never interrupted. Text can be selected with the
mouse; a cursor (when focused) picks a message to open, resend or copy.

"At the end" is remembered, not measured: a resize changes the view's height before the
pane hears of it, so measuring then would find it scrolled back (and leave it there).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style

from ..i18n import N_, _
from ..store import Flag, MessageState, StoredMessage
from .chatrender import centered_line, message_lines, rule_line
from .model.fileboard import OfferView
from .model.timefmt import day_label, day_of
from .model.window import ConversationWindow, Paged

# Page more in when the view comes this close to a loaded end.
LOAD_MARGIN = 3
UNREAD_LABEL = N_("new")  # the divider above the first message not read yet


def is_actionable(row: StoredMessage) -> bool:
    """A sealed message to open, files offered to us, or a message of ours to resend."""
    if row.incoming:
        offered = bool(row.attachments) and not row.flags & Flag.BROADCAST
        return row.state is MessageState.SEALED or offered
    return row.state is MessageState.FAILED


class ChatLog(ScrollView, can_focus=True):
    ALLOW_SELECT = True
    COMPONENT_CLASSES: ClassVar[set[str]] = {"chat-log--cursor"}
    DEFAULT_CSS = """
    ChatLog {
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .chat-log--cursor { background: $block-cursor-blurred-background; }
        &:focus > .chat-log--cursor { background: $block-hover-background; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", N_("Previous"), show=False),
        Binding("down", "cursor(1)", N_("Next"), show=False),
        Binding("pageup", "page(-1)", N_("Page up"), show=False),
        Binding("pagedown", "page(1)", N_("Page down"), show=False),
        Binding("home", "first", N_("First"), show=False),
        Binding("end", "last", N_("Last"), show=False),
        Binding(
            "enter",
            "activate",
            N_("Open"),
            tooltip=N_("Open a sealed message, resend one not delivered, answer an offer of files"),
        ),
        Binding("c", "copy", N_("Copy"), tooltip=N_("Copy the message's text")),
        Binding("q", "quote", N_("Quote"), tooltip=N_("Reply to the message, quoting it")),
        Binding(
            "slash", "app.search_history", N_("Search"), tooltip=N_("Search every conversation")
        ),
        # Toward the peer list, as from the input box: never to the box, where ↑ recalls.
        Binding("escape", "app.focus_peers", N_("Peers"), show=False),
    ]
    HELP = N_(
        """
### The messages
- **↑ ↓ PgUp PgDn Home End** move
- **Enter**, click: open sealed, resend, answer an offer
- **c**: copy the message
- **q**: reply quoting it
- **/**: search the history of every conversation
- **Escape**: back to the input box
"""
    )

    class QuoteAsked(Message):
        """The user wants to reply to a message, quoting it."""

        def __init__(self, row: StoredMessage) -> None:
            super().__init__()
            self.row = row

    class Activated(Message):
        """The user asked to act on a message (open it if sealed, resend it if failed, or
        decide about the files it offers)."""

        def __init__(self, row: StoredMessage) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.window: ConversationWindow | None = None
        self.empty_hint = ""
        self.peer_name = ""  # whom the open conversation is with ("" : "the peer")
        self.clock: Callable[[], float] = time.time
        # What became of a message's files (the app's file board); None: nothing to add.
        self.offer_view: Callable[[StoredMessage], OfferView | None] = lambda row: None
        self.cursor: int | None = None
        self._blocks: list[list[Content]] = []  # one per window row: [day rule] + lines
        self._starts: list[int] = []  # the first line of each block
        self._banner: list[Content] = []  # above the first block
        self._width = 0
        self._rendered_on = (0, 0, 0)  # the day the day rules were written on
        self._paging = False
        self._follow = True  # the view is at the end, and stays there as lines come
        self.unseen = 0  # messages that came while the view was scrolled back ("↓ 2 new")
        self._first_unread: int | None = None  # the message the N_("new") divider goes above

    # ------------------------------------------------------------------ content

    @property
    def rows(self) -> list[StoredMessage]:
        return self.window.rows if self.window is not None else []

    def open(
        self,
        window: ConversationWindow,
        empty_hint: str = "",
        unread: int = 0,
        peer_name: str = "",
    ) -> None:
        """Show a conversation from its latest message; with ``unread`` messages waiting, a
        divider goes above the first of them, and the view starts there if they fill more
        than the pane."""
        self.window = window
        self.empty_hint = empty_hint
        self.peer_name = peer_name
        self.cursor = None
        self._width = 0
        self._blocks = []
        self._follow = True
        self.unseen = 0
        incoming = [row for row in window.rows if row.incoming and not row.is_notice]
        self._first_unread = incoming[-unread].id if 0 < unread <= len(incoming) else None
        self._layout("end")
        self._show_first_unread()

    def show_around(self, message_id: int) -> bool:
        """Load the page around a message (a search hit) and put the cursor on it; False
        (and the latest page) if the open conversation does not have it."""
        if self.window is None:
            return False
        index = self.window.open_around(message_id)
        self._first_unread = None
        if index is None:
            self._layout("end")
            return False
        self._layout("top")
        self.move_cursor(index)
        return True

    def add(self, row: StoredMessage) -> None:
        """A new message of the open conversation."""
        if self.window is None:
            return
        at_end, anchor = self._at_end(), self._anchor()
        paged = self.window.add(row)
        if paged is not None:  # None: the window is far back; paging down will bring it
            self._after_append(paged, anchor, end=at_end)
        if not at_end and row.incoming:
            self.unseen += 1
            self.refresh()

    def update(self, row: StoredMessage) -> None:
        """A shown message changed state (delivered, opened ...)."""
        if self.window is None:
            return
        index = self.window.update(row)
        if index is None:
            return
        at_end = self._at_end()
        anchor = self._anchor()
        self._blocks[index] = self._render_block(index)
        self._reindex()
        self._settle(anchor, end=at_end)

    def redraw(self, match: Callable[[StoredMessage], bool]) -> None:
        """Draw the shown messages ``match`` picks again (their files' state changed)."""
        if self.window is None or not self._blocks:
            return
        indices = [i for i, row in enumerate(self.rows) if match(row)]
        if not indices:
            return
        at_end, anchor = self._at_end(), self._anchor()
        for index in indices:
            self._blocks[index] = self._render_block(index)
        self._reindex()
        self._settle(anchor, end=at_end)

    # ------------------------------------------------------------------ layout

    def _content_width(self) -> int:
        return max(self.scrollable_content_region.width, 0)

    def _layout(self, scroll: str = "keep") -> None:
        """Render every block at the current width; then scroll to the "end", the "top", or
        ("keep") back onto the message that was at the top of the view."""
        width = self._content_width()
        if self.window is None or width <= 0:
            return
        anchor = self._anchor() if scroll == "keep" and self._blocks else None
        self._width = width
        self._rendered_on = day_of(self.clock())
        self._blocks = [self._render_block(i) for i in range(len(self.rows))]
        self._reindex()
        if scroll == "top":
            self.scroll_to(y=0, animate=False, force=True)
        else:
            self._settle(anchor, end=scroll == "end" or anchor is None)

    def _render_block(self, index: int) -> list[Content]:
        row = self.rows[index]
        lines = []
        if index == 0 or day_of(self.rows[index - 1].ts) != day_of(row.ts):
            lines.append(rule_line(day_label(row.ts, self.clock()), self._width))
        if row.id == self._first_unread:
            lines.append(rule_line(UNREAD_LABEL, self._width, "bold $accent"))
        lines.extend(message_lines(row, self._width, self.offer_view(row), self.peer_name))
        return lines

    def set_empty_hint(self, text: str) -> None:
        """What an empty conversation says, changed while it is open."""
        if text != self.empty_hint:
            self.empty_hint = text
            if not self.rows:
                self._reindex()

    def _refresh_banner(self) -> None:
        width = self._width
        if self.window is None:
            self._banner = []
        elif not self.rows:
            self._banner = [Content.styled(self.empty_hint, "italic $text-muted")]
            self._banner = [line for text in self._banner for line in text.wrap(max(width, 8))]
        elif self.window.has_older:
            self._banner = [centered_line(_("↑ older messages"), width, "dim italic")]
        else:
            self._banner = [centered_line(_("start of the conversation"), width, "dim italic")]

    def _reindex(self) -> None:
        self._refresh_banner()
        starts = []
        line = len(self._banner)
        for block in self._blocks:
            starts.append(line)
            line += len(block)
        self._starts = starts
        self.virtual_size = Size(self._width, line)
        self.refresh()

    def _at_end(self) -> bool:
        return self._follow

    def _anchor(self) -> tuple[int, int] | None:
        """The message at the top of the view and how far into it the view starts."""
        if not self._starts:
            return None
        y = self.scroll_offset.y
        index = self._row_at(y) or 0  # above the first message: anchor to it, offset < 0
        return self.rows[index].id, y - self._starts[index]

    def _settle(self, anchor: tuple[int, int] | None, end: bool) -> None:
        """Scroll to the end, or back onto the anchored message."""
        if end:
            self.scroll_to(y=self.max_scroll_y, animate=False, force=True)
            return
        if anchor is None or self.window is None:
            return
        index = self.window.index_of(anchor[0])
        if index is not None:
            self.scroll_to(y=self._starts[index] + anchor[1], animate=False, force=True)

    def _after_append(self, paged: Paged, anchor: tuple[int, int] | None, end: bool) -> None:
        """Blocks for rows the window took at the end (and lost at the top)."""
        if paged.dropped:
            del self._blocks[: paged.dropped]
            if self.cursor is not None:
                self.cursor = max(self.cursor - paged.dropped, 0)
        start = len(self._blocks)
        self._blocks.extend(self._render_block(i) for i in range(start, len(self.rows)))
        if self._blocks:  # the first block always carries its day
            self._blocks[0] = self._render_block(0)
        self._reindex()
        self._settle(anchor, end=end)

    def _show_first_unread(self) -> None:
        """Scroll back to the N_("new") divider if it is above the view."""
        if self._first_unread is None or self.window is None:
            return
        index = self.window.index_of(self._first_unread)
        if index is None:
            return
        block = self._blocks[index]
        divider = self._starts[index] + next(
            (i for i, line in enumerate(block) if line.plain.strip("─ ") == UNREAD_LABEL), 0
        )
        if divider < self.scroll_offset.y:
            self.scroll_to(y=divider, animate=False, force=True)

    def _row_at(self, line: int) -> int | None:
        if not self._starts or line < self._starts[0]:
            return None
        return min(bisect_right(self._starts, line) - 1, len(self._starts) - 1)

    def refresh_days(self) -> None:
        """Relabel the day rules once the date has changed ("Today" becomes "Yesterday")."""
        today = day_of(self.clock())
        if today != self._rendered_on:
            self._layout("keep")

    def on_resize(self, event: events.Resize) -> None:
        if self._content_width() != self._width:
            self._layout("end" if self._at_end() else "keep")
        elif self._at_end():  # only the height changed: the end moved
            self._settle(None, end=True)

    # ------------------------------------------------------------------ paging

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow = new_value >= self.max_scroll_y
        if self._follow and self.unseen:
            self.unseen = 0
            self.refresh()
        if not self._paging and self.window is not None:
            near_top = new_value <= LOAD_MARGIN and self.window.has_older
            near_end = new_value >= self.max_scroll_y - LOAD_MARGIN and self.window.has_newer
            if near_top or near_end:
                self._paging = True
                self.call_after_refresh(self._page)

    def _page(self) -> None:
        self._paging = False
        if self.window is None:
            return
        if self.scroll_offset.y <= LOAD_MARGIN and self.window.has_older:
            self.load_older()
        elif self.scroll_offset.y >= self.max_scroll_y - LOAD_MARGIN and self.window.has_newer:
            self.load_newer()

    def load_older(self) -> int:
        """Page older messages in above; returns how many came."""
        if self.window is None:
            return 0
        anchor = self._anchor()
        paged = self.window.older()
        if not paged.added:
            return 0
        if paged.dropped:
            del self._blocks[len(self._blocks) - paged.dropped :]
        fresh = [self._render_block(i) for i in range(paged.added)]
        self._blocks = fresh + self._blocks
        if len(self._blocks) > paged.added:  # its day rule may now be redundant
            self._blocks[paged.added] = self._render_block(paged.added)
        if self.cursor is not None:
            self.cursor = min(self.cursor + paged.added, len(self.rows) - 1)
        self._reindex()
        self._settle(anchor, end=False)
        return paged.added

    def load_newer(self) -> int:
        if self.window is None:
            return 0
        anchor = self._anchor()
        paged = self.window.newer()
        if paged.added:
            self._after_append(paged, anchor, end=False)
        return paged.added

    # ------------------------------------------------------------------ rendering

    def _line(self, y: int) -> tuple[int | None, Content | None]:
        if y < len(self._banner):
            return None, self._banner[y]
        index = self._row_at(y)
        if index is None:
            return None, None
        block = self._blocks[index]
        offset = y - self._starts[index]
        return index, block[offset] if offset < len(block) else None

    def render_line(self, y: int) -> Strip:
        line_no = self.scroll_offset.y + y
        width = self._content_width()
        index, content = self._line(line_no)
        if self.unseen and y == self.scrollable_content_region.height - 1:
            index, content = None, self.unseen_line(width)
        base = self.visual_style
        if content is None:
            return Strip.blank(width, base.rich_style)
        if index is not None and index == self.cursor and self.has_focus:
            base = base + self.get_visual_style("chat-log--cursor")
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(line_no)) is not None:
            start, end = span
            selection_style = Style.from_styles(
                self.screen.get_component_styles("screen--selection")
            )
            content = content.stylize(selection_style, start, len(content) if end == -1 else end)
        segments = []
        x = 0
        for text, style in content.render(base, end="", parse_style=self._get_style):
            segments.append(Segment(text, style.rich_style_with_offset(x, line_no)))
            x += len(text)
        return Strip(segments).extend_cell_length(width, base.rich_style).crop(0, width)

    def unseen_line(self, width: int) -> Content:
        """Over the view's last line while messages wait below it."""
        return centered_line(
            _(" ↓ {count} new ").format(count=self.unseen), width, "bold $text on $accent"
        )

    def plain_lines(self) -> list[str]:
        """What the pane shows, as text: one string per screen line."""
        lines = [line.plain for line in self._banner]
        lines += [line.plain for block in self._blocks for line in block]
        return lines

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self.plain_lines())), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    # ------------------------------------------------------------------ cursor

    @property
    def cursor_row(self) -> StoredMessage | None:
        if self.cursor is None or not 0 <= self.cursor < len(self.rows):
            return None
        return self.rows[self.cursor]

    def move_cursor(self, index: int) -> None:
        if not self.rows:
            self.cursor = None
            return
        if index < 0 and self.load_older():
            index = self.cursor - 1 if self.cursor is not None else 0
        elif index >= len(self.rows) and self.load_newer():
            index = self.cursor + 1 if self.cursor is not None else len(self.rows) - 1
        self.cursor = max(0, min(index, len(self.rows) - 1))
        start = self._starts[self.cursor]
        height = len(self._blocks[self.cursor])
        self.scroll_to_region(
            Region(0, start, self._width, height), animate=False, force=True, immediate=True
        )
        self.refresh()

    def action_cursor(self, step: int) -> None:
        if self.cursor is None:
            self.move_cursor(len(self.rows) - 1)
        else:
            self.move_cursor(self.cursor + step)

    def action_page(self, direction: int) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        target = self.scroll_offset.y + direction * height
        self.scroll_to(y=target, animate=False, force=True)
        index = self._row_at(min(max(target, 0), max(self.virtual_size.height - 1, 0)))
        if index is not None:
            self.cursor = index
            self.refresh()

    def action_first(self) -> None:
        """The very first message, however long the conversation."""
        if self.window is None:
            return
        if self.window.has_older:
            self.window.open_start()
            self._layout("top")
        self.move_cursor(0)

    def action_last(self) -> None:
        if self.window is None:
            return
        if self.window.has_newer:
            self.window.open()
            self._layout("end")
        self.move_cursor(len(self.rows) - 1)

    def action_activate(self) -> None:
        row = self.cursor_row
        if row is not None and is_actionable(row):
            self.post_message(self.Activated(row))

    def action_copy(self) -> None:
        row = self.cursor_row
        if row is None or (row.incoming and row.state is MessageState.SEALED):
            return
        self.app.copy_to_clipboard(row.text)
        self.notify(_("Message copied to the clipboard"), timeout=2)

    def action_quote(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.QuoteAsked(row))

    def on_focus(self) -> None:
        if self.cursor is None and self.rows:
            self.move_cursor(len(self.rows) - 1)
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self._row_at(self.scroll_offset.y + offset.y)
        if index is None:
            return
        self.cursor = index
        self.refresh()
        if event.chain == 1 and is_actionable(self.rows[index]):
            self.post_message(self.Activated(self.rows[index]))
