"""Search the whole history: a query box, the matching messages of every conversation (peer,
time, the match in a line of context), Enter opens one where it was said.

The search runs on a thread with a connection of its own: the first search of a big history
indexes it, and the screen must not freeze meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...i18n import N_, _
from ...search import SearchQueryError
from ...store import HistoryStore, SearchHit, StoreError
from ..model.timefmt import clock_time, day_label
from .sizes import DIALOG_BREAKPOINTS

LIMIT = 200  # hits listed; the newest first
TYPING_PAUSE = 0.15  # seconds after the last key before searching


def search_history(path: Path, query: str, limit: int = LIMIT) -> list[SearchHit]:
    """The hits for ``query``, newest first, on a connection of its own (so a thread may
    call it); none for a query with nothing to search for."""
    store = HistoryStore(path)
    try:
        return store.search(query, limit=limit, newest_first=True)
    except SearchQueryError:
        return []
    finally:
        store.close()


def hit_prompt(hit: SearchHit, who: str, now: float) -> Content:
    """Two lines: who and when, then the match in its context, highlighted."""
    row = hit.message
    when = f"{day_label(row.ts, now)} {clock_time(row.ts)}"
    whom = (_("from {name}") if row.incoming else _("to {name}")).format(name=who)
    head = Content.assemble((whom, "bold"), ("  " + when, "$text-muted"))
    snippet = hit.snippet
    line = Content(snippet.text.replace("\n", " "))
    if snippet.end > snippet.start:
        line = line.stylize("bold reverse", snippet.start, snippet.end)
    return Content("\n").join([head, Content("  ") + line])


class HistorySearchScreen(ModalScreen[SearchHit | None]):
    """Dismissed with the chosen hit, or None (Escape)."""

    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel")),
        Binding("down", "into_hits", N_("Hits"), show=False),  # from the query box
    ]

    def __init__(
        self,
        history_path: Path,
        name_of: Callable[[str], str],
        clock: Callable[[], float],
        query: str = "",
    ) -> None:
        super().__init__()
        self.history_path = history_path
        self.name_of = name_of
        self.clock = clock
        self.initial = query
        self.hits: list[SearchHit] = []
        self.searched = ""  # the query the list shows the hits of
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog search-dialog"):
            yield Label(_("Search the history"), classes="dialog-title")
            yield Input(
                self.initial, placeholder=_("Words to find, in any conversation"), id="query"
            )
            yield OptionList(id="hits")
            yield Static(
                _("Enter: the first hit (↓ to choose) · Escape: back"),
                id="search-status",
                classes="dialog-help",
                markup=False,
            )

    def on_mount(self) -> None:
        if self.initial:
            self._search_now()

    @on(Input.Changed, "#query")
    def _typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(TYPING_PAUSE, self._search_now)

    def _search_now(self) -> None:
        query = self.query_one("#query", Input).value
        self.run_worker(self._search(query), exclusive=True, group="history-search")

    async def _search(self, query: str) -> None:
        status = self.query_one("#search-status", Static)
        if not query.strip():
            self._show([], query)
            status.update(_("Type a word (two Chinese or Japanese characters are enough)"))
            return
        status.update(_("Searching…"))
        try:
            hits = await asyncio.to_thread(search_history, self.history_path, query)
        except StoreError as error:
            status.update(str(error))
            return
        self._show(hits, query)
        if hits:
            more = "+" if len(hits) >= LIMIT else ""
            status.update(
                _("{count} found · Enter opens one · Escape: back").format(
                    count=f"{len(hits)}{more}"
                )
            )
        else:
            status.update(_("Nothing found for {query}").format(query=repr(query.strip())))

    def _show(self, hits: list[SearchHit], query: str) -> None:
        self.hits = hits
        self.searched = query
        now = self.clock()
        listing = self.query_one("#hits", OptionList)
        listing.set_options(
            Option(hit_prompt(hit, self.name_of(hit.message.conversation), now)) for hit in hits
        )
        if hits:
            listing.highlighted = 0

    @on(Input.Submitted, "#query")
    def _first(self) -> None:
        if self.hits and self.searched == self.query_one("#query", Input).value:
            self.dismiss(self.hits[0])
        else:  # typed faster than the search: search now, then choose from the list
            self._search_now()

    def action_into_hits(self) -> None:
        if self.hits:
            self.query_one("#hits", OptionList).focus()

    @on(OptionList.OptionSelected, "#hits")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if 0 <= event.option_index < len(self.hits):
            self.dismiss(self.hits[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
