"""One write transaction on a SQLite connection, shared by the history store and its
search index (which also writes inside the store's own transactions)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE (the write lock at once, not at the first write), COMMIT, or
    ROLLBACK on any exception. Inside a transaction already open, the outer one commits."""
    if db.in_transaction:
        yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
