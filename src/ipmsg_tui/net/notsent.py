"""What inside an offered folder will not be sent, so that the sender can be told.

The folder stream (sharing.py) sends only folders and regular files: symbolic links (which
could lead outside the folder), devices, FIFOs and sockets are left out. This walk finds
them the same way (never following links), for a note when the offer goes out.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from .sharing import MAX_FOLDER_ENTRIES

MAX_LISTED = 5  # named in the note; the rest are counted


def not_sent(paths: Sequence[Path]) -> list[Path]:
    """Entries inside the folders among ``paths`` that the folder stream leaves out."""
    found: list[Path] = []
    seen = 0
    folders = [path for path in paths if path.is_dir() and not path.is_symlink()]
    while folders and seen < MAX_FOLDER_ENTRIES:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue  # sharing.py skips it too, and logs it
        for entry in entries:
            seen += 1
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                folders.append(Path(entry.path))
            elif not stat.S_ISREG(mode):
                found.append(Path(entry.path))
    return sorted(found)


def not_sent_note(skipped: Sequence[Path]) -> str:
    """``not sent: photos/link (a symbolic link)`` or a count, for one line."""

    def what(path: Path) -> str:
        return f"{path} (a symbolic link)" if path.is_symlink() else f"{path} (not a file)"

    named = ", ".join(what(path) for path in skipped[:MAX_LISTED])
    more = f" and {len(skipped) - MAX_LISTED} more" if len(skipped) > MAX_LISTED else ""
    return f"not sent (only files and folders go): {named}{more}"
