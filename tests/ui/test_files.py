"""Files and folders in the app: attach, offer, accept, save as, decline, and the panel.

Real apps and real file services on 127.0.0.1, real files on disk; what arrives is compared
byte for byte.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.notifications import Notification, Notify
from textual.pilot import Pilot

from ipmsg_tui import i18n
from ipmsg_tui.net.files import OfferEnded, OfferReceived
from ipmsg_tui.net.transfers import Direction, TransferState
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.ui.app import MessengerApp
from ipmsg_tui.ui.attachbar import AttachmentBar, Chip
from ipmsg_tui.ui.browsetree import BrowseTree
from ipmsg_tui.ui.composer import Composer
from ipmsg_tui.ui.screens.attach import AttachPicker
from ipmsg_tui.ui.screens.offer import OfferScreen
from ipmsg_tui.ui.screens.prompt import TextPrompt
from ipmsg_tui.ui.screens.save_as import SaveAsPicker
from ipmsg_tui.ui.screens.transfers import TransfersScreen

from ..support.procs import Listener
from ..support.trees import random_file, sha256, tree_digest
from .conftest import Lan, wait_for
from .driver import Ui, browse_from, panel_text, saved, shown
from .test_commands import answer, run_command
from .test_story import SIZE, listed


def chips(app: MessengerApp) -> list[str]:
    return [chip.path.name for chip in app.query(Chip)]


async def type_path(pilot: Pilot[Any], text: str) -> None:
    """Into the picker's path box, as a paste arrives: all at once."""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, AttachPicker))
    box = app.screen.query_one("#path")
    box.insert_text_at_cursor(text)  # type: ignore[attr-defined]
    await pilot.press("enter")


async def open_last_message(pilot: Pilot[Any], app: MessengerApp) -> None:
    """Into the messages, onto the newest one, Enter."""
    Ui(app, pilot).focus_on("messages")
    await pilot.press("end", "enter")


async def test_a_typed_path_and_a_folder_from_the_picker_reach_the_other_app(
    lan: Lan, tmp_path: Path
) -> None:
    report = random_file(tmp_path / "outbox" / "季度报告 v2.pdf", 700_000, seed=1)
    photos = tmp_path / "outbox" / "photos"
    random_file(photos / "a.jpg", 120_000, seed=2)
    random_file(photos / "trip" / "b.jpg", 80_000, seed=3)
    (photos / "empty").mkdir()
    ann = await lan.app("Ann", knows=("Bob",))
    bob = await lan.app("Bob", knows=("Ann",))
    browse_from(ann, tmp_path / "outbox")
    async with ann.run_test(size=SIZE) as ann_pilot, bob.run_test(size=SIZE) as bob_pilot:
        await wait_for(ann_pilot, lambda: "bob@bob-pc" in listed(ann))
        await wait_for(bob_pilot, lambda: "ann@ann-pc" in listed(bob))
        await ann_pilot.press("down", "enter")  # Bob's conversation, into the input box
        await ann_pilot.press("ctrl+f")
        await type_path(ann_pilot, str(report))
        assert chips(ann) == [report.name]
        assert isinstance(ann.focused, Composer)
        # The folder: browse to it in the tree, "a" attaches the highlighted entry.
        await ann_pilot.press("ctrl+f")
        await wait_for(ann_pilot, lambda: isinstance(ann.screen, AttachPicker))
        tree = ann.screen.query_one(BrowseTree)
        await wait_for(ann_pilot, lambda: len(tree.root.children) == 2)
        await ann_pilot.press("down")  # from the path box into the tree
        assert tree.has_focus
        await wait_for(ann_pilot, lambda: tree.highlighted_path == photos)
        await ann_pilot.press("a")
        await wait_for(ann_pilot, lambda: chips(ann) == [report.name, "photos"])
        await ann_pilot.press(*"the report and the photos", "enter")
        await wait_for(ann_pilot, lambda: not chips(ann))
        await wait_for(ann_pilot, lambda: "waiting for Bob to download" in shown(ann))
        assert "📎 季度报告 v2.pdf" in shown(ann) and "📁 photos/" in shown(ann)

        # Bob sees the offer in the chat and accepts it.
        await wait_for(bob_pilot, lambda: Ui(bob, bob_pilot).contact("ann@ann-pc").unread == 1)
        await bob_pilot.press("down")
        assert "Enter or click: accept · save as · decline" in shown(bob)
        await open_last_message(bob_pilot, bob)
        await wait_for(bob_pilot, lambda: isinstance(bob.screen, OfferScreen))
        await bob_pilot.press("a")
        downloads = lan.tmp_path / "Bob-downloads"
        await wait_for(bob_pilot, lambda: shown(bob).count("✓ saved to") == 2, timeout=20)
        assert sha256(downloads / report.name) == sha256(report)
        assert tree_digest(downloads / "photos") == tree_digest(photos)
        transfers = lan.service("Bob").files.transfers
        saved = {t.path for t in transfers if t.direction == Direction.IN}
        assert saved == {downloads / report.name, downloads / "photos"}
        await wait_for(ann_pilot, lambda: "✓ Bob has downloaded them" in shown(ann))


async def test_the_picker_pasted_paths_and_chips_then_listen_accept_files_gets_them(
    lan: Lan, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    first = random_file(outbox / "a first.txt", 5_000, seed=4)
    second = random_file(outbox / "b-second.bin", 250_000, seed=5)
    third = random_file(outbox / "c third.bin", 10, seed=6)
    saved = tmp_path / "listener-saves"
    app = await lan.app("Ann", knows=("Lis",))
    browse_from(app, outbox)
    listener_args = [
        *("--bind", "127.0.0.1", "--port", str(lan.port_of("Lis"))),
        *("--host", f"127.0.0.1:{lan.port_of('Ann')}", "--nick", "Lis"),
        *("--data-dir", str(tmp_path / "lis"), "--accept-files", "--save-dir", str(saved)),
    ]
    with Listener(listener_args) as listener:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: len(listed(app)) == 2)
            await pilot.press("down", "tab")
            # Enter on a file in the tree attaches it.
            await pilot.press("ctrl+f")
            await wait_for(pilot, lambda: isinstance(app.screen, AttachPicker))
            tree = app.screen.query_one(BrowseTree)
            await wait_for(pilot, lambda: len(tree.root.children) == 3)
            await pilot.press("down", "down")  # into the tree, onto its second entry
            assert tree.highlighted_path == second
            await pilot.press("enter")
            await wait_for(pilot, lambda: chips(app) == [second.name])
            # What a terminal pastes for two dropped files: shell-quoted, relative to the
            # folder shown, one of them twice (attached once).
            await pilot.press("ctrl+f")
            await type_path(pilot, f"'{first}' '{third.name}' '{second}'")
            await wait_for(pilot, lambda: chips(app) == [second.name, first.name, third.name])
            # A path that does not exist is refused in the dialog, which stays open.
            await pilot.press("ctrl+f")
            await type_path(pilot, str(outbox / "nope.txt"))
            assert isinstance(app.screen, AttachPicker)
            assert "No such file or folder" in str(app.screen.query_one("#picker-help").render())
            await pilot.press("escape")
            # Chips go by a click, and by Backspace at the start of the input box.
            await pilot.click(Chip, offset=(1, 0))  # the first chip
            await wait_for(pilot, lambda: chips(app) == [first.name, third.name])
            assert isinstance(app.focused, Composer)
            await pilot.press("backspace")
            await wait_for(pilot, lambda: chips(app) == [first.name])
            await pilot.press("ctrl+f")
            await type_path(pilot, str(second))
            await wait_for(pilot, lambda: chips(app) == [first.name, second.name])
            await pilot.press("enter")  # no text: the files alone
            await wait_for(pilot, lambda: not app.query_one(AttachmentBar).display)
            await wait_for(pilot, lambda: "Lis has downloaded them" in shown(app), timeout=15)
        events = listener.collect(0.5)
    received = [e for e in events if e["event"] == "file_received"]
    assert sorted(e["name"] for e in received) == sorted([first.name, second.name])
    for path in (first, second):
        assert sha256(saved / path.name) == sha256(path)
    assert not (saved / third.name).exists()


async def answer_offer(pilot: Pilot[Any], app: MessengerApp, key: str) -> None:
    """Open the dialog of the newest message and press ``key``."""
    await open_last_message(pilot, app)
    await wait_for(pilot, lambda: isinstance(app.screen, OfferScreen))
    await pilot.press(key)
    await wait_for(pilot, lambda: not isinstance(app.screen, OfferScreen))


async def test_accept_lands_in_the_downloads_folder_save_as_elsewhere_decline_releases(
    lan: Lan, tmp_path: Path
) -> None:
    sam = await lan.peer("Sam", knows=("Ann",), files=True)
    app = await lan.app("Ann", knows=("Sam",), download_dir=None)  # platformdirs' downloads dir
    notes: list[Notification] = []
    outbox = tmp_path / "outbox"
    async with app.run_test(size=SIZE, message_hook=collect(notes)) as pilot:
        await wait_for(pilot, lambda: "sam@sam-pc" in listed(app))
        await pilot.press("down")
        to_ann = [("127.0.0.1", lan.port_of("Ann"))]

        # Accept: into the download folder, the file's own name, equal bytes.
        invoice = random_file(outbox / "invoice.pdf", 300_000, seed=7)
        await sam.files.send(to_ann, "the invoice", [invoice])
        await wait_for(pilot, lambda: "accept · save as · decline" in shown(app))
        await answer_offer(pilot, app, "a")
        downloads = tmp_path / "downloads" / "ipmsg-tui"  # XDG_DOWNLOAD_DIR/ipmsg-tui
        await wait_for(pilot, lambda: (downloads / "invoice.pdf").exists())
        assert sha256(downloads / "invoice.pdf") == sha256(invoice)
        await wait_for(pilot, lambda: any("Downloaded invoice.pdf" in n.title for n in notes))
        note = next(n for n in notes if "Downloaded invoice.pdf" in n.title)
        assert str(downloads / "invoice.pdf") in note.message  # where it landed

        # Save as: another folder and another name.
        photo = random_file(outbox / "IMG_0001.jpg", 90_000, seed=8)
        await sam.files.send(to_ann, "a photo", [photo])
        await wait_for(pilot, lambda: shown(app).count("accept · save as · decline") == 1)
        await answer_offer(pilot, app, "s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveAsPicker))
        box = app.screen.query_one("#path")
        assert box.value == str(downloads / "IMG_0001.jpg")  # type: ignore[attr-defined]
        elsewhere = tmp_path / "Pictures" / "holiday"
        box.value = str(elsewhere / "beach.jpg")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: (elsewhere / "beach.jpg").exists())
        assert sha256(elsewhere / "beach.jpg") == sha256(photo)
        assert not (downloads / "IMG_0001.jpg").exists()

        # Decline: RELEASEFILES, and the sender stops offering it.
        secret = random_file(outbox / "secret.zip", 1_000, seed=9)
        sent = await sam.files.send(to_ann, "not for you", [secret])
        await wait_for(pilot, lambda: shown(app).count("accept · save as · decline") == 1)
        await answer_offer(pilot, app, "d")
        await wait_for(pilot, lambda: sam.file_of(OfferEnded))
        (ended,) = sam.file_of(OfferEnded)
        assert ended.reason == "released" and ended.offer.packet_no == sent.packet_no
        assert sam.files.offers.get(sent.packet_no) is None
        assert "⤷ declined" in shown(app)
        assert "accept · save as · decline" not in shown(app)
        assert not (downloads / "secret.zip").exists()


def collect(notes: list[Notification]) -> Any:
    def hook(message: Any) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification)

    return hook


async def hit(pilot: Pilot[Any], key: str) -> None:
    """A key, as the terminal delivers it, without Pilot's wait for an idle CPU (which a
    transfer at loopback speed never gives: each press would then take a second)."""
    pilot.app.post_message(events.Key(key, key if len(key) == 1 else None))
    await pilot.pause(0.02)


def sparse_file(path: Path, size: int) -> Path:
    """A big file that takes no disk space (reads as zeros): a transfer long enough to stop."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


async def send_files(pilot: Pilot[Any], app: MessengerApp, *paths: Path) -> None:
    """Attach ``paths`` (typed) to the open conversation and send them without text."""
    for path in paths:
        await pilot.press("ctrl+f")
        await type_path(pilot, str(path))
    await wait_for(pilot, lambda: len(chips(app)) == len(paths))
    await pilot.press("enter")


async def test_cancel_from_either_side_leaves_both_apps_running_and_retry_resumes(
    lan: Lan, tmp_path: Path
) -> None:
    image = sparse_file(tmp_path / "outbox" / "disk.img", 1 << 30)
    ann = await lan.app("Ann", knows=("Bob",))
    bob = await lan.app("Bob", knows=("Ann",))
    async with ann.run_test(size=SIZE) as ann_pilot, bob.run_test(size=SIZE) as bob_pilot:
        await wait_for(ann_pilot, lambda: "bob@bob-pc" in listed(ann))
        await wait_for(bob_pilot, lambda: "ann@ann-pc" in listed(bob))
        await ann_pilot.press("down", "tab")
        await send_files(ann_pilot, ann, image)
        await wait_for(bob_pilot, lambda: Ui(bob, bob_pilot).contact("ann@ann-pc").unread == 1)
        await bob_pilot.press("down")
        Ui(bob, bob_pilot).focus_on("messages")
        await bob_pilot.press("end", "enter")
        await wait_for(bob_pilot, lambda: isinstance(bob.screen, OfferScreen))
        await hit(bob_pilot, "a")
        await wait_for(bob_pilot, lambda: lan.service("Bob").files.transfers)
        (download,) = lan.service("Bob").files.transfers

        # The receiver watches it in the panel, then cancels it there.
        await hit(bob_pilot, "ctrl+t")
        await wait_for(bob_pilot, lambda: isinstance(bob.screen, TransfersScreen))
        await wait_for(bob_pilot, lambda: "/s" in panel_text(bob))  # a speed: it is moving
        assert "disk.img" in panel_text(bob) and "from Ann" in panel_text(bob)
        assert download.state == TransferState.RUNNING
        await hit(bob_pilot, "c")
        await wait_for(bob_pilot, lambda: download.state == TransferState.CANCELLED)
        await wait_for(bob_pilot, lambda: "cancelled" in panel_text(bob))
        saved = download.done
        assert 0 < saved < image.stat().st_size
        (upload,) = lan.service("Ann").files.transfers
        await wait_for(ann_pilot, lambda: upload.state.finished)  # the sender saw it end

        # Retry resumes from what was saved; then the sender cancels from her panel.
        await hit(bob_pilot, "r")
        await wait_for(bob_pilot, lambda: download.state == TransferState.RUNNING)
        assert download.offset == saved  # asked from the offset: not from 0
        await wait_for(ann_pilot, lambda: len(lan.service("Ann").files.transfers) == 2)
        await hit(ann_pilot, "ctrl+t")
        await wait_for(ann_pilot, lambda: isinstance(ann.screen, TransfersScreen))
        second = lan.service("Ann").files.transfers[1]
        assert second.direction == Direction.OUT and second.offset == saved
        # Newest first, and focused: "c" is for it.
        await wait_for(ann_pilot, lambda: getattr(ann.focused, "id", "") == f"transfer-{second.id}")
        await hit(ann_pilot, "c")
        await wait_for(ann_pilot, lambda: second.state == TransferState.CANCELLED)
        await wait_for(bob_pilot, lambda: download.state == TransferState.FAILED)
        assert "before the end" in (download.error or "")
        await wait_for(bob_pilot, lambda: "✗" in panel_text(bob))

        # Both still work: a small file goes through at once.
        await ann_pilot.press("escape")
        await bob_pilot.press("escape")
        note = random_file(tmp_path / "outbox" / "after.txt", 2_000, seed=10)
        await send_files(ann_pilot, ann, note)
        await wait_for(bob_pilot, lambda: "accept · save as · decline" in shown(bob))
        await answer_offer(bob_pilot, bob, "a")
        landed = lan.tmp_path / "Bob-downloads" / "after.txt"
        await wait_for(bob_pilot, lambda: landed.exists())
        assert sha256(landed) == sha256(note)
        assert ann.is_running and bob.is_running


async def test_a_closed_tcp_port_says_udp_works_but_tcp_is_not_reachable(
    lan: Lan, tmp_path: Path
) -> None:
    # Sam's messages arrive over UDP, but nothing listens on his TCP port (a firewall).
    sam = await lan.peer("Sam", knows=("Ann",), files=True, serve=False)
    app = await lan.app("Ann", knows=("Sam",))
    notes: list[Notification] = []
    async with app.run_test(size=SIZE, message_hook=collect(notes)) as pilot:
        await wait_for(pilot, lambda: "sam@sam-pc" in listed(app))
        await pilot.press("down")
        plan = random_file(tmp_path / "outbox" / "plan.txt", 500)
        await sam.files.send([("127.0.0.1", lan.port_of("Ann"))], "the plan", [plan])
        await wait_for(pilot, lambda: "accept · save as · decline" in shown(app))
        await answer_offer(pilot, app, "a")
        expected = f"UDP works but TCP {lan.port_of('Sam')} is not reachable on 127.0.0.1"
        await wait_for(pilot, lambda: any(expected in n.message for n in notes), timeout=15)
        assert expected in " ".join(shown(app).split())
        assert "Enter or click: retry · decline" in shown(app)
        (failure,) = [n for n in notes if expected in n.message]
        assert failure.severity == "error" and "plan.txt" in failure.title


@pytest.mark.parametrize(
    ("language", "says"),
    [("zh_CN", "UDP 正常，但无法连接 127.0.0.1 的 TCP {port}（连接被拒绝）"),
     ("ja", "UDP は通じますが 127.0.0.1 の TCP {port} に接続できません（接続が拒否されました）")],
)  # fmt: skip
async def test_a_closed_tcp_port_is_told_in_the_chosen_language(
    lan: Lan, tmp_path: Path, language: str, says: str
) -> None:
    sam = await lan.peer("Sam", knows=("Ann",), files=True, serve=False)
    app = await lan.app("Ann", knows=("Sam",))
    notes: list[Notification] = []
    i18n.install(language)
    try:
        async with app.run_test(size=SIZE, message_hook=collect(notes)) as pilot:
            await wait_for(pilot, lambda: "sam@sam-pc" in listed(app))
            await pilot.press("down")
            plan = random_file(tmp_path / "outbox" / "plan.txt", 500)
            await sam.files.send([("127.0.0.1", lan.port_of("Ann"))], "the plan", [plan])
            hint = i18n._("Enter or click: accept · save as · decline")
            await wait_for(pilot, lambda: hint in shown(app))
            await answer_offer(pilot, app, "a")
            expected = says.format(port=lan.port_of("Sam"))
            await wait_for(pilot, lambda: any(expected in n.message for n in notes), timeout=15)
            assert "".join(expected.split()) in "".join(shown(app).split())  # the chat line
            (download,) = lan.service("Ann").files.transfers
            assert download.error is not None and download.error.startswith(
                f"UDP works but TCP {lan.port_of('Sam')} is not reachable on 127.0.0.1"
            )  # what the transfer log and JSON keep
    finally:
        i18n.install(i18n.ENGLISH)


async def test_the_sender_sees_a_decline_and_everyone_gets_no_files(
    lan: Lan, tmp_path: Path
) -> None:
    bob = await lan.peer("Bob", knows=("Ann",), files=True)
    app = await lan.app("Ann", knows=("Bob",))
    notes: list[Notification] = []
    draft = random_file(tmp_path / "outbox" / "draft.docx", 40_000, seed=11)
    async with app.run_test(size=SIZE, message_hook=collect(notes)) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        # IPMSG has no files for a broadcast: the app says so instead of a picker.
        assert Ui(app, pilot).open_key == "*"
        await pilot.press("ctrl+f")
        assert not isinstance(app.screen, AttachPicker)
        assert any("cannot send files to everyone" in n.message for n in notes)
        await pilot.press("down", "tab")
        await send_files(pilot, app, draft)
        await wait_for(pilot, lambda: "waiting for Bob to download" in shown(app))
        offers = [e for e in bob.of(ev.MessageReceived) if e.attachments]
        assert [a.name for a in offers[0].attachments] == ["draft.docx"]
        bob.files.decline(bob.files.offer(offers[0].addr, offers[0].packet_no))  # type: ignore[arg-type]
        await wait_for(pilot, lambda: "✗ Bob declined them" in shown(app))
        assert any(n.message == "Bob declined your files" for n in notes)
        assert not len(lan.service("Ann").files.offers)


async def test_an_offer_survives_a_restart_and_says_why_it_cannot_be_fetched(
    lan: Lan, tmp_path: Path
) -> None:
    sam = await lan.peer("Sam", knows=("Ann",), files=True)
    report = random_file(tmp_path / "outbox" / "report.pdf", 64_000, seed=12)
    first = await lan.app("Ann", knows=("Sam",))
    async with first.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "sam@sam-pc" in listed(first))
        await sam.files.send([("127.0.0.1", lan.port_of("Ann"))], "for later", [report])
        await wait_for(pilot, lambda: Ui(first, pilot).contact("sam@sam-pc").unread == 1)
    # Sam's program restarts too: his offers ended with it, he is online again.
    await sam.files.stop()
    await sam.files.start()

    second = await lan.app("Ann", knows=("Sam",))
    notes: list[Notification] = []
    async with second.run_test(size=SIZE, message_hook=collect(notes)) as pilot:
        # Listed at once from the history, offline; then online: wait for the list to say so.
        ui = Ui(second, pilot)
        await ui.until(lambda: "●" in ui.row("sam@sam-pc"))
        await pilot.press("down")
        await ui.until(lambda: ui.open_key == "sam@sam-pc")
        # The message still lists its file, from the history.
        assert "📎 report.pdf" in shown(second) and "62.5 KB" in shown(second)
        assert "offered in an earlier session · Enter to try to download" in shown(second)
        await open_last_message(pilot, second)
        await wait_for(pilot, lambda: isinstance(second.screen, OfferScreen))
        assert "earlier session" in str(second.screen.query_one(".dialog-title").render())
        await pilot.press("a")
        await wait_for(pilot, lambda: "the sender no longer offers it" in shown(second))
        assert any("the sender no longer offers it" in n.message for n in notes)
        assert not (lan.tmp_path / "Ann-downloads" / "report.pdf").exists()

        # With the sender gone altogether, the app says so and does not try.
        await sam.stop()
        await ui.until(lambda: not ui.contact("sam@sam-pc").is_online)
        await pilot.press("enter")  # the cursor is still on the offer
        await wait_for(pilot, lambda: isinstance(second.screen, OfferScreen))
        await pilot.press("r")
        await wait_for(pilot, lambda: any("Sam is offline" in n.message for n in notes))


async def test_a_failed_download_retried_from_the_chat_resumes_where_it_stopped(
    lan: Lan, tmp_path: Path
) -> None:
    video = random_file(tmp_path / "outbox" / "video.bin", 4 * 1024 * 1024, seed=13)
    whole = video.read_bytes()
    ann = await lan.app("Ann", knows=("Bob",))
    bob = await lan.app("Bob", knows=("Ann",))
    notes: list[Notification] = []
    with_notes = bob.run_test(size=SIZE, message_hook=collect(notes))
    async with ann.run_test(size=SIZE) as ann_pilot, with_notes as bob_pilot:
        await wait_for(ann_pilot, lambda: "bob@bob-pc" in listed(ann))
        await wait_for(bob_pilot, lambda: "ann@ann-pc" in listed(bob))
        await ann_pilot.press("down", "tab")
        await send_files(ann_pilot, ann, video)
        await wait_for(bob_pilot, lambda: Ui(bob, bob_pilot).contact("ann@ann-pc").unread == 1)
        video.write_bytes(whole[:1_500_000])  # the sender's copy breaks off mid-way ...
        await bob_pilot.press("down")
        await answer_offer(bob_pilot, bob, "a")
        await wait_for(bob_pilot, lambda: "Enter or click: retry · decline" in shown(bob))
        # 4 MiB offered, 1,500,000 bytes came: said in a size people read
        assert "ended 2.6 MB before the end" in " ".join(shown(bob).split())
        part = lan.tmp_path / "Bob-downloads" / "video.bin.part"
        assert part.stat().st_size == 1_500_000
        video.write_bytes(whole)  # ... and is whole again
        await answer_offer(bob_pilot, bob, "r")
        landed = lan.tmp_path / "Bob-downloads" / "video.bin"
        await wait_for(bob_pilot, lambda: landed.exists())
        assert sha256(landed) == sha256(video) and not part.exists()
        (download,) = lan.service("Bob").files.transfers
        assert download.offset == 1_500_000 and download.attempts == 2
        uploads = lan.service("Ann").files.transfers
        assert [t.offset for t in uploads] == [0, 1_500_000]  # Ann sent only the rest
        await wait_for(bob_pilot, lambda: "✓ saved to" in shown(bob))

        # In the panel: Enter shows (and copies) where it is; f forgets it.
        await bob_pilot.press("ctrl+t")
        await wait_for(bob_pilot, lambda: isinstance(bob.screen, TransfersScreen))
        await wait_for(bob_pilot, lambda: "video.bin" in panel_text(bob))
        await bob_pilot.press("enter")
        await wait_for(bob_pilot, lambda: any(str(landed) in n.message for n in notes))
        await bob_pilot.press("f")
        await wait_for(bob_pilot, lambda: not Ui(bob, bob_pilot).transfers())
        await wait_for(bob_pilot, lambda: not panel_text(bob))
        assert download not in lan.service("Bob").files.transfers
        await bob_pilot.press("escape")
        assert "✓ saved to" not in shown(bob)  # forgotten: the offer can be fetched again
        assert "accept · save as · decline" in shown(bob)


async def test_the_download_folder_command_changes_where_files_go(lan: Lan, tmp_path: Path) -> None:
    sam = await lan.peer("Sam", knows=("Ann",), files=True)
    app = await lan.app("Ann", knows=("Sam",))
    parts = [random_file(tmp_path / "outbox" / f"part-{i}.bin", 10_000 + i, seed=i) for i in (1, 2)]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "sam@sam-pc" in listed(app))
        await pilot.press("down")
        await run_command(pilot, "open download folder")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        box = app.screen.query_one("#answer")
        assert box.value == str(lan.tmp_path / "Ann-downloads")  # type: ignore[attr-defined]
        archive = tmp_path / "Archive" / "from the LAN"
        await answer(pilot, str(archive))
        assert lan.service("Ann").download_dir == archive
        assert saved(app)["download_dir"] == str(archive)
        await sam.files.send([("127.0.0.1", lan.port_of("Ann"))], "two parts", parts)
        await wait_for(pilot, lambda: "accept · save as · decline" in shown(app))
        await answer_offer(pilot, app, "a")
        await wait_for(pilot, lambda: all((archive / p.name).exists() for p in parts))
        assert [sha256(archive / p.name) for p in parts] == [sha256(p) for p in parts]

        # Save as with several files: they go into the folder chosen.
        await sam.files.send([("127.0.0.1", lan.port_of("Ann"))], "again", parts)
        await wait_for(pilot, lambda: shown(app).count("accept · save as · decline") == 1)
        await answer_offer(pilot, app, "s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveAsPicker))
        box = app.screen.query_one("#path")
        assert box.value == str(archive)  # type: ignore[attr-defined]
        box.value = str(tmp_path / "elsewhere")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: all((tmp_path / "elsewhere" / p.name).exists() for p in parts)
        )


async def test_a_path_completes_and_a_file_gone_before_sending_comes_back(
    lan: Lan, tmp_path: Path
) -> None:
    bob = await lan.peer("Bob", knows=("Ann",), files=True)
    report = random_file(tmp_path / "outbox" / "quarterly-report.pdf", 3_000)
    app = await lan.app("Ann", knows=("Bob",))
    browse_from(app, tmp_path)
    notes: list[Notification] = []
    async with app.run_test(size=SIZE, message_hook=collect(notes)) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down", "tab")
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, AttachPicker))
        box = app.screen.query_one("#path")
        tree = app.screen.query_one(BrowseTree)
        # Relative to where the dialog opened; a folder path ending in / opens it below.
        await pilot.press(*"outbox/")
        await wait_for(pilot, lambda: tree.root_path == tmp_path / "outbox")
        await pilot.press(*"quar")
        await wait_for(pilot, lambda: box._suggestion == "outbox/quarterly-report.pdf")  # type: ignore[attr-defined]
        await pilot.press("right", "enter")  # → takes the suggestion, as in a shell
        await wait_for(pilot, lambda: chips(app) == [report.name])
        report.unlink()  # gone before Enter: nothing is sent, the chip and the text stay
        await pilot.press(*"see attached", "enter")
        await wait_for(pilot, lambda: any("no such file" in n.message for n in notes))
        assert chips(app) == [report.name] and Ui(app, pilot).draft() == "see attached"
        assert not bob.of(ev.MessageReceived)


async def test_files_not_delivered_are_offered_again_by_a_resend(lan: Lan, tmp_path: Path) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    slides = random_file(tmp_path / "outbox" / "slides.pdf", 120_000, seed=14)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "bob@bob-pc" in listed(app))
        await pilot.press("down", "tab")
        await bob.stop()  # Bob's machine is off: the offer is not delivered
        await send_files(pilot, app, slides)
        await wait_for(pilot, lambda: "not delivered" in shown(app), timeout=10)
        back = await lan.peer("Bob", knows=("Ann",), files=True)
        await wait_for(pilot, lambda: Ui(app, pilot).contact("bob@bob-pc").is_online)
        await open_last_message(pilot, app)  # Enter on it sends it again, files and all
        await wait_for(pilot, lambda: back.file_of(OfferReceived))
        (offer,) = [e.offer for e in back.file_of(OfferReceived)]
        (transfer,) = back.files.download_all(offer)
        await wait_for(pilot, lambda: transfer.state == TransferState.DONE)
        assert transfer.path is not None and sha256(transfer.path) == sha256(slides)
        await wait_for(pilot, lambda: "✓ Bob has downloaded them" in shown(app))
        assert len(lan.service("Ann").store.messages("bob@bob-pc")) == 1  # sent again in place
