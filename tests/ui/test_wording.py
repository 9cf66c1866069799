"""How an offer of files and folders reads in a toast."""

from __future__ import annotations

from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.constants import FileType
from ipmsg_tui.store import Flag, State, StoredMessage
from ipmsg_tui.ui.chatrender import preview


def offer(text: str, *kinds: int) -> StoredMessage:
    attachments = tuple(
        Attachment(file_id=i + 1, name=f"item{i}", size=10, mtime=0, attr=kind)
        for i, kind in enumerate(kinds)
    )
    return StoredMessage(1, "bob@pc", "in", 0.0, 7, "10.0.0.2", 2425, "Bob", text,
                         Flag(0), State.RECEIVED, attachments)  # fmt: skip


def test_an_offer_counts_files_and_folders_apart() -> None:
    file, folder = FileType.REGULAR, FileType.DIR
    assert preview(offer("here", file, file, folder)) == "here [2 files and a folder]"
    assert preview(offer("", file)) == "sent a file"
    assert preview(offer("", folder, folder)) == "sent 2 folders"
    assert preview(offer("x", file, file, file, folder, folder)) == "x [3 files and 2 folders]"
