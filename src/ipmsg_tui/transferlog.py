"""Downloads remembered across restarts, in a table of the history database.

A download's row says which offer and file it is (the sender's address and identity, the
offer's packet number, the attachment), where it goes (folder, name, the ``.part`` holding
the bytes so far) and how it stands (bytes done, state, why it failed). The file service
writes it when a download starts, ends, and every few seconds while it runs; on the next
start it reads the rows back, so the transfers panel lists earlier downloads and a retry
continues in the same ``.part``.

It has its own connection to the database file (WAL lets it share the file with
:class:`~ipmsg_tui.store.HistoryStore`), so the table needs nothing from the message store.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .database import open_database
from .protocol.attachments import Attachment

_SCHEMA = """
CREATE TABLE IF NOT EXISTS downloads (
    id INTEGER PRIMARY KEY,
    packet_no INTEGER NOT NULL,
    ip TEXT NOT NULL,
    port INTEGER NOT NULL,
    user TEXT NOT NULL,
    host TEXT NOT NULL,
    peer_name TEXT NOT NULL,
    version TEXT NOT NULL,
    attachment TEXT NOT NULL,
    folder TEXT NOT NULL,
    name TEXT NOT NULL,
    part TEXT,
    path TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    failure TEXT,
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
"""
# The panel lists at most this many earlier downloads (the newest).
MAX_REMEMBERED = 500


class TransferLogError(Exception):
    """The table cannot be read or written (a full disk, a locked or broken database)."""


@contextmanager
def _guard() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        raise TransferLogError(str(error)) from None


@dataclass(frozen=True, slots=True)
class SavedDownload:
    """One download as it stood when last written."""

    id: int
    packet_no: int
    ip: str
    port: int
    user: str
    host: str
    peer_name: str
    version: str
    attachment: Attachment
    folder: Path
    name: str
    part: Path | None  # the ``.part`` file or folder we created for it, if any
    path: Path | None  # where it was saved, once done
    done: int
    state: str
    failure: str | None
    error: str | None
    created: float
    updated: float


def _encode(attachment: Attachment) -> str:
    a = attachment
    return json.dumps(
        [a.file_id, a.name, a.size, a.mtime, a.attr, [list(e) for e in a.ext]], ensure_ascii=False
    )


def _decode(text: str) -> Attachment:
    i, n, s, m, a, e = json.loads(text)
    return Attachment(int(i), str(n), int(s), int(m), int(a), tuple((int(k), int(v)) for k, v in e))


_COLUMNS = (
    "id, packet_no, ip, port, user, host, peer_name, version, attachment, folder, name, part, "
    "path, done, state, failure, error, created, updated"
)


def _row(row: tuple[object, ...]) -> SavedDownload:
    (id_, packet_no, ip, port, user, host, peer_name, version, attachment, folder, name) = row[:11]
    (part, path, done, state, failure, error, created, updated) = row[11:]
    return SavedDownload(
        id=int(str(id_)),
        packet_no=int(str(packet_no)),
        ip=str(ip),
        port=int(str(port)),
        user=str(user),
        host=str(host),
        peer_name=str(peer_name),
        version=str(version),
        attachment=_decode(str(attachment)),
        folder=Path(str(folder)),
        name=str(name),
        part=Path(str(part)) if part else None,
        path=Path(str(path)) if path else None,
        done=int(str(done)),
        state=str(state),
        failure=str(failure) if failure is not None else None,
        error=str(error) if error is not None else None,
        created=float(str(created)),
        updated=float(str(updated)),
    )


class TransferLog:
    def __init__(self, path: Path) -> None:
        try:
            self._db = open_database(path)
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise TransferLogError(f"cannot open the history database {path}: {error}") from None

    def close(self) -> None:
        self._db.close()

    def add(
        self,
        *,
        packet_no: int,
        addr: tuple[str, int],
        user: str,
        host: str,
        peer_name: str,
        version: str,
        attachment: Attachment,
        folder: Path,
        name: str,
        state: str,
        now: float,
    ) -> int:
        row = (
            packet_no,
            addr[0],
            addr[1],
            user,
            host,
            peer_name,
            version,
            _encode(attachment),
            str(folder),
            name,
            state,
            now,
            now,
        )
        with _guard():
            cursor = self._db.execute(
                "INSERT INTO downloads (packet_no, ip, port, user, host, peer_name, version, "
                "attachment, folder, name, state, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        return int(cursor.lastrowid or 0)

    def update(
        self,
        row_id: int,
        *,
        addr: tuple[str, int],
        part: Path | None,
        path: Path | None,
        done: int,
        state: str,
        failure: str | None,
        error: str | None,
        now: float,
    ) -> None:
        values = (
            addr[0],
            addr[1],
            str(part) if part is not None else None,
            str(path) if path is not None else None,
            done,
            state,
            failure,
            error,
            now,
            row_id,
        )
        with _guard():
            self._db.execute(
                "UPDATE downloads SET ip = ?, port = ?, part = ?, path = ?, done = ?, "
                "state = ?, failure = ?, error = ?, updated = ? WHERE id = ?",
                values,
            )

    def remove(self, row_id: int) -> None:
        with _guard():
            self._db.execute("DELETE FROM downloads WHERE id = ?", (row_id,))

    def downloads(self) -> list[SavedDownload]:
        """The remembered downloads, oldest first (the newest MAX_REMEMBERED)."""
        with _guard():
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM downloads ORDER BY id DESC LIMIT ?", (MAX_REMEMBERED,)
            ).fetchall()
        return [_row(row) for row in reversed(rows)]

    def beyond_limit(self) -> list[SavedDownload]:
        """The rows older than the newest MAX_REMEMBERED (for their clean-up)."""
        with _guard():
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM downloads ORDER BY id DESC LIMIT -1 OFFSET ?",
                (MAX_REMEMBERED,),
            ).fetchall()
        return [_row(row) for row in rows]
