"""Full-text search over the message history, inside the history database.

Matching is a substring match on *folded* text (NFKC, then case-folded): ``lunch`` finds
"LUNCH!", ``ｶﾀｶﾅ`` finds "カタカナ", and a two-character Chinese word such as 午饭 finds
"今天午饭吃什么". Two FTS5 tables carry it:

* ``search_text``: the folded text under the trigram tokenizer; answers queries of three or
  more characters (a phrase of trigrams is an exact substring).
* ``search_grams``: every non-ASCII character and every pair holding one, for the queries the
  trigram index cannot answer (one or two characters: 午饭, 饭, すし). A query of one or two
  ASCII characters alone matches nearly everything, and is answered by a scan, newest first,
  which a limit stops early.

A short query with ASCII punctuation (which the ``ascii`` tokenizer drops) is checked
against the folded text again, so the result is exact.

The index follows the ``messages`` table through triggers that only queue message ids in
``search_pending`` (plain SQL, so any writer, old versions included, keeps the queue right).
Every search first indexes what is queued (:meth:`SearchIndex.catch_up`), in batches: a
message written costs one more row in the queue, not an FTS5 segment per transaction (that
tripled the cost of storing a message). A message whose state is ``sealed`` (not opened
yet) is kept out of the index until it is opened.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import dataclass
from typing import Any

from .database import transaction

# One transaction of a catch-up: other writers (the running app) wait at most this long.
CATCH_UP_BATCH = 5000
SNIPPET_BEFORE = 24
SNIPPET_WIDTH = 80
SEALED = "sealed"

SCHEMA = (
    # columnsize=0: no per-row token counts, which only ranking (bm25) would read.
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_text "
    "USING fts5(text, tokenize='trigram', columnsize=0)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_grams "
    "USING fts5(grams, tokenize='ascii', detail='none', columnsize=0)",
    "CREATE TABLE IF NOT EXISTS search_pending (message_id INTEGER PRIMARY KEY)",
    f"""CREATE TRIGGER IF NOT EXISTS search_on_insert AFTER INSERT ON messages
    WHEN new.state != '{SEALED}' BEGIN
        INSERT OR IGNORE INTO search_pending (message_id) VALUES (new.id);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_on_update AFTER UPDATE OF state, text ON messages
    WHEN (old.state = '{SEALED}') != (new.state = '{SEALED}') OR old.text IS NOT new.text
    BEGIN
        INSERT OR IGNORE INTO search_pending (message_id) VALUES (new.id);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_on_delete AFTER DELETE ON messages BEGIN
        INSERT OR IGNORE INTO search_pending (message_id) VALUES (old.id);
    END""",
)


def fold(text: str) -> str:
    """The form both the index and the query are matched in."""
    return unicodedata.normalize("NFKC", text).casefold()


def grams(folded: str) -> str:
    """The short-query tokens of a folded text: each non-ASCII character, and each pair of
    characters with at least one non-ASCII character (no whitespace), space-separated."""
    if folded.isascii():  # Latin-only text: nothing a short query could need
        return ""
    found: dict[str, None] = {}
    previous = ""
    for char in folded:
        if char.isspace():
            previous = ""
            continue
        if not char.isascii():
            found[char] = None
        if previous and not (previous.isascii() and char.isascii()):
            found[previous + char] = None
        previous = char
    return " ".join(found)


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SearchQueryError(ValueError):
    """An empty query."""


@dataclass(frozen=True, slots=True)
class Snippet:
    """One line of the message around the first match; ``start``/``end`` locate the match
    in ``text`` (for highlighting)."""

    text: str
    start: int
    end: int


def snippet(
    text: str, query: str, *, before: int = SNIPPET_BEFORE, width: int = SNIPPET_WIDTH
) -> Snippet:
    """The match in context on one line, "…" where the text was cut."""
    folded_query = fold(query.strip())
    folded = fold(text)
    position = folded.find(folded_query) if folded_query else -1
    if position < 0:
        start = end = 0
    elif len(folded) == len(text):  # nearly always: folding kept every offset
        start, end = position, position + len(folded_query)
    else:
        start = _original_offset(text, position)
        end = max(start, _original_offset(text, position + len(folded_query)))
    cut_from = max(0, start - before)
    cut_to = max(end, cut_from + width)
    head = "…" if cut_from > 0 else ""
    tail = "…" if cut_to < len(text) else ""
    # One line: each line break becomes a space, so the offsets stay put.
    line = text[cut_from:cut_to].translate(_ONE_LINE)
    shift = len(head) - cut_from
    return Snippet(head + line + tail, start + shift, end + shift)


_ONE_LINE = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\v": " ", "\f": " "})


def _original_offset(text: str, folded_offset: int) -> int:
    """The offset in ``text`` whose folded prefix is ``folded_offset`` long (folding may
    change lengths: "ﾊﾟ" is one character folded, "ß" two)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high) // 2
        if len(fold(text[:middle])) < folded_offset:
            low = middle + 1
        else:
            high = middle
    return low


class SearchIndex:
    """The search tables of one connection: keeps them current, and answers queries."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        db.create_function("ipmsg_contains", 2, _contains, deterministic=True)

    @staticmethod
    def install(db: sqlite3.Connection) -> None:
        """Create the tables and triggers, and queue every message already stored (a
        database from before search); run once, in the caller's transaction."""
        for statement in SCHEMA:
            db.execute(statement)
        db.execute(
            "INSERT OR IGNORE INTO search_pending (message_id) "
            f"SELECT id FROM messages WHERE state != '{SEALED}'"
        )

    def backlog(self) -> int:
        """How many messages wait to be (re)indexed."""
        return int(self._db.execute("SELECT COUNT(*) FROM search_pending").fetchone()[0])

    def catch_up(self) -> int:
        """Index everything queued, in batches of short transactions; how many."""
        done = 0
        while True:
            with transaction(self._db):
                ids = [
                    row[0]
                    for row in self._db.execute(
                        "SELECT message_id FROM search_pending ORDER BY message_id LIMIT ?",
                        (CATCH_UP_BATCH,),
                    )
                ]
                self._index(ids)
            done += len(ids)
            if len(ids) < CATCH_UP_BATCH:
                return done

    def _index(self, ids: list[int]) -> None:
        """(Re)index queued messages: out of the index, back in if still searchable."""
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        for table in ("search_text", "search_grams"):
            self._db.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", ids)
        rows = self._db.execute(
            f"SELECT id, text FROM messages WHERE id IN ({marks}) AND state != '{SEALED}'", ids
        ).fetchall()
        folded = [(id_, fold(text)) for id_, text in rows]
        self._db.executemany("INSERT INTO search_text (rowid, text) VALUES (?, ?)", folded)
        self._db.executemany(
            "INSERT INTO search_grams (rowid, grams) VALUES (?, ?)",
            [(id_, grams(text)) for id_, text in folded],
        )
        self._db.execute(f"DELETE FROM search_pending WHERE message_id IN ({marks})", ids)

    def matching(
        self,
        query: str,
        columns: str,
        *,
        conversation_id: int | None = None,
        since: float | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[tuple[Any, ...]]:
        """``columns`` (of ``messages m`` and ``conversations c``) of the searchable
        messages whose text holds ``query`` (folded), newest or oldest first, at most
        ``limit``."""
        needle = fold(query.strip())
        if not needle:
            raise SearchQueryError("the search text is empty")
        self.catch_up()
        order = "DESC" if newest_first else "ASC"
        # Exact: a phrase of trigrams is a substring, and LIKE folds ASCII as fold() does.
        exact = True
        if len(needle) >= 3:
            source, condition, argument = "search_text", "search_text MATCH ?", _phrase(needle)
        elif not needle.isascii():
            source, condition, argument = "search_grams", "search_grams MATCH ?", _phrase(needle)
            # the ascii tokenizer drops ASCII punctuation: "!饭" looks up 饭, then checks
            exact = all(not c.isascii() or c.isalnum() for c in needle)
        else:  # one or two ASCII characters: a scan of the folded texts, newest first
            source, condition = "search_text", "search_text.text LIKE ? ESCAPE '\\'"
            argument = _like_pattern(needle)
        sql = (
            f"SELECT {columns} FROM {source} JOIN messages m ON m.id = {source}.rowid "
            "JOIN conversations c ON c.id = m.conversation_id "
            f"WHERE {condition} AND m.state != '{SEALED}'"
        )
        arguments: list[object] = [argument]
        if not exact:
            sql += " AND ipmsg_contains(m.text, ?)"
            arguments.append(needle)
        if conversation_id is not None:  # a message to several is in each one's
            sql += (
                " AND (m.conversation_id = ? OR m.id IN "
                "(SELECT message_id FROM recipients WHERE conversation_id = ?))"
            )
            arguments += [conversation_id, conversation_id]
        if since is not None:
            sql += " AND m.ts >= ?"
            arguments.append(since)
        sql += f" ORDER BY {source}.rowid {order}"
        if limit is not None:
            sql += " LIMIT ?"
            arguments.append(limit)
        return self._db.execute(sql, arguments).fetchall()


def _contains(text: str | None, needle: str) -> bool:
    return text is not None and needle in fold(text)
