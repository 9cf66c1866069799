"""A bounded window onto one conversation's history: the UI never holds all of it.

It opens on the latest page; scrolling up pages older messages in, and once the window is
full the far end is dropped (and paged back in from the store when scrolled to again).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...store import HistoryStore, StoredMessage

PAGE = 100
LIMIT = 400


@dataclass(frozen=True, slots=True)
class Paged:
    """What a paging step changed: rows added at one end, rows dropped at the other."""

    added: int = 0
    dropped: int = 0


class ConversationWindow:
    def __init__(self, store: HistoryStore, key: str, *, page: int = PAGE, limit: int = LIMIT):
        if limit < 2 * page:
            raise ValueError("the window must hold at least two pages")
        self.store = store
        self.key = key
        self.page = page
        self.limit = limit
        self.rows: list[StoredMessage] = []
        self.has_older = False
        self.has_newer = False  # newer rows were dropped: the window is not at the end
        self._index: dict[int, int] = {}

    def open(self) -> None:
        """Show the latest page."""
        rows = self.store.messages(self.key, limit=self.page + 1)
        self.has_older = len(rows) > self.page
        self.has_newer = False
        self._set(rows[-self.page :])

    def open_start(self) -> None:
        """Show the very first page."""
        rows = self.store.messages(self.key, after_id=0, limit=self.page + 1)
        self.has_older = False
        self.has_newer = len(rows) > self.page
        self._set(rows[: self.page])

    def open_around(self, message_id: int) -> int | None:
        """Show the page around this message (a search hit), the message in its middle; its
        index in ``rows``, or None (and the latest page) if it is not in this conversation."""
        before = self.page // 2
        older = self.store.messages(self.key, before_id=message_id + 1, limit=before + 2)
        if not older or older[-1].id != message_id:
            self.open()
            return None
        self.has_older = len(older) > before + 1
        older = older[-(before + 1) :]
        wanted = self.page - len(older)
        newer = self.store.messages(self.key, after_id=message_id, limit=wanted + 1)
        self.has_newer = len(newer) > wanted
        newer = newer[:wanted]
        if len(newer) < wanted and self.has_older:  # near the end: fill the page from above
            more = self.store.messages(
                self.key, before_id=older[0].id, limit=wanted - len(newer) + 1
            )
            self.has_older = len(more) > wanted - len(newer)
            older = more[-(wanted - len(newer)) :] + older
        self._set(older + newer)
        return self._index[message_id]

    def older(self) -> Paged:
        """Page older messages in at the top; drop newer ones beyond the limit."""
        if not self.has_older or not self.rows:
            return Paged()
        rows = self.store.messages(self.key, before_id=self.rows[0].id, limit=self.page + 1)
        self.has_older = len(rows) > self.page
        rows = rows[-self.page :]
        merged = rows + self.rows
        dropped = max(0, len(merged) - self.limit)
        if dropped:
            merged = merged[: len(merged) - dropped]
            self.has_newer = True
        self._set(merged)
        return Paged(len(rows), dropped)

    def newer(self) -> Paged:
        """Page newer messages in at the bottom; drop older ones beyond the limit."""
        if not self.has_newer or not self.rows:
            return Paged()
        rows = self.store.messages(self.key, after_id=self.rows[-1].id, limit=self.page + 1)
        self.has_newer = len(rows) > self.page
        rows = rows[: self.page]
        return Paged(len(rows), self._append(rows))

    def add(self, row: StoredMessage) -> Paged | None:
        """A new message of this conversation; None when the window is not at the end."""
        if self.has_newer:
            return None
        return Paged(1, self._append([row]))

    def update(self, row: StoredMessage) -> int | None:
        """Replace a shown message by its new version; its index, or None if not shown."""
        index = self._index.get(row.id)
        if index is not None:
            self.rows[index] = row
        return index

    def index_of(self, message_id: int) -> int | None:
        return self._index.get(message_id)

    def _append(self, rows: list[StoredMessage]) -> int:
        merged = self.rows + rows
        dropped = max(0, len(merged) - self.limit)
        if dropped:
            merged = merged[dropped:]
            self.has_older = True
        self._set(merged)
        return dropped

    def _set(self, rows: list[StoredMessage]) -> None:
        self.rows = rows
        self._index = {row.id: i for i, row in enumerate(rows)}
