"""How offers of files and folders read: the toast for one received, the note for one sent."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.net.files import OfferReceived
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.constants import FileType
from ipmsg_tui.store import Flag, MessageState, StoredMessage
from ipmsg_tui.ui.model.messageline import preview

from .conftest import Lan, wait_for
from .driver import Ui
from .test_files import send_files
from .test_story import SIZE, listed


def offer(text: str, *kinds: int) -> StoredMessage:
    attachments = tuple(
        Attachment(file_id=i + 1, name=f"item{i}", size=10, mtime=0, attr=kind)
        for i, kind in enumerate(kinds)
    )
    return StoredMessage(1, "bob@pc", "in", 0.0, 7, "10.0.0.2", 2425, "Bob", text,
                         Flag(0), MessageState.RECEIVED, attachments)  # fmt: skip


def test_an_offer_counts_files_and_folders_apart() -> None:
    file, folder = FileType.REGULAR, FileType.DIR
    assert preview(offer("here", file, file, folder)) == "here [2 files and a folder]"
    assert preview(offer("", file)) == "sent a file"
    assert preview(offer("", folder, folder)) == "sent 2 folders"
    assert preview(offer("x", file, file, file, folder, folder)) == "x [3 files and 2 folders]"


async def test_a_link_inside_a_sent_folder_is_named_to_the_sender(lan: Lan, tmp_path: Path) -> None:
    photos = tmp_path / "outbox" / "photos"
    photos.mkdir(parents=True)
    (photos / "a.jpg").write_bytes(b"jpeg")
    (photos / "elsewhere").symlink_to(tmp_path)  # never sent: it leads outside the folder
    bob = await lan.peer("Bob", knows=("Ann",), files=True)
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down", "enter")  # Bob's conversation, into the input box
        await send_files(pilot, app, photos)
        await wait_for(pilot, lambda: bob.file_of(OfferReceived))
        ui = Ui(app, pilot)
        await ui.until(lambda: any("not sent" in text for text in ui.toasts()))
        (note,) = [text for text in ui.toasts() if "not sent" in text]
        assert f"{photos / 'elsewhere'} (a symbolic link)" in note
