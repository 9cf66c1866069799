"""Snapshots of the main layouts at fixed sizes (update with ``pytest --snapshot-update``).

To be the same on every run, the app runs on a fixed clock in UTC and its peers are fixed
engine events handed to the app's own listener (the node's callback) for addresses on
127.0.1.x: what is drawn comes through the real listener, history and widgets, while
nothing depends on the free ports the test happens to get.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from ipmsg_tui.config import load_settings
from ipmsg_tui.history import HistoryRecorder
from ipmsg_tui.net.files import TransferStarted
from ipmsg_tui.net.transfers import Controls, Direction, Transfer, TransferState
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.constants import EntryOpt
from ipmsg_tui.protocol.engine import OutgoingMessage
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.service import Messenger
from ipmsg_tui.store import HistoryStore, MessageState
from ipmsg_tui.ui.app import MessengerApp

NOON = 1_714_737_600.0  # 2024-05-03 12:00:00 UTC, a Friday
DOWNLOADS = Path("/home/lin/Downloads/ipmsg-tui")
CAPS = EntryOpt.CAPUTF8OPT | EntryOpt.FILEATTACHOPT
VERSION = "1_ipmsg-tui 0.1.0"


def peer(n: int, user: str, host: str, nick: str, group: str = "", **extra: Any) -> Peer:
    return Peer(
        ("127.0.1." + str(n), 2425),
        user,
        host,
        nick=nick,
        group=group,
        version=VERSION,
        capabilities=CAPS,
        announced=True,
        **extra,
    )


AMING = peer(1, "aming", "pc-01", "阿明", "开发部")
XIAOHONG = peer(2, "xiaohong", "pc-07", "小红", "开发部")
TARO = peer(3, "taro", "JUPITER", "太郎", "営業", away=True, away_text="会議中")
CAROL = peer(4, "carol", "mbp-carol", "Carol", "Design")
BOT = peer(5, "ci", "build-01", "build-bot 🤖")


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def clock() -> float:
    return NOON


def seed(path: Path) -> None:
    """Yesterday's conversation with 阿明, as an earlier session left it."""
    store = HistoryStore(path)
    recorder = HistoryRecorder(store, is_read=lambda key: True)
    yesterday = NOON - 86400 + 3 * 3600
    recorder.on_event(ev.MessageReceived(AMING, 11, "明天的评审改到十点，可以吗？", yesterday))
    (row,) = recorder.record_sent(
        [OutgoingMessage(12, "没问题，十点见 👍", (AMING.addr,))], [AMING], "Lin", yesterday + 60
    )
    store.set_state_by_id(row.id, MessageState.DELIVERED)
    (failed,) = recorder.record_sent(
        [OutgoingMessage(13, "slides attached, see you there", (AMING.addr,))],
        [AMING],
        "Lin",
        yesterday + 3600,
    )
    store.set_state_by_id(failed.id, MessageState.FAILED)
    store.close()


def make_app(tmp_path: Path, port: int) -> MessengerApp:
    settings = load_settings(
        tmp_path / "lin.toml",
        nick="Lin",
        user="lin",
        host="lin-laptop",
        group="开发部",
        bind="127.0.0.1",
        port=port,
        data_dir=tmp_path / "lin",
        download_dir=DOWNLOADS,  # shown, never written: no download runs in a snapshot
    )
    seed(settings.history_path)
    return MessengerApp(Messenger.keeping_history(settings, clock=clock))


def arrive(app: MessengerApp, who: Peer, text: str, minutes: float, **flags: Any) -> None:
    """A message from ``who``, handed down the node's listener chain as the node does (the
    history and the app first, then the file service, which takes offers of files)."""
    event = ev.MessageReceived(who, int(NOON) + int(minutes * 60), text, NOON, **flags)
    app.messenger.node.deliver(event)


async def lan_with_talk(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MessengerApp)
    # The messenger runs, silent: the scene's peers and messages are handed to it.
    await app.messenger.start(serve_files=False, announce=False)
    for who in (AMING, XIAOHONG, TARO, CAROL, BOT):
        app.messenger.node.deliver(ev.PeerJoined(who))
    await pilot.pause()
    app.commands.chat_with(AMING.key)
    arrive(app, AMING, "早！评审的幻灯片发你了吗？\n我这边还没收到。", 1)
    files = (Attachment(0, "review-v3.pdf", 2_457_600, 0, 1), Attachment(1, "notes", 0, 0, 2))
    arrive(app, AMING, "再发一次给你", 2, attachments=files)
    arrive(app, CAROL, "Can you look at the new icons before lunch? 🎨", 3)
    arrive(app, BOT, "main is green again ✅", 4, auto_reply=False)
    await pilot.pause()
    app.clear_notifications()
    app.peer_list.focus()
    await pilot.pause()


def scene(
    *steps: Callable[[Pilot[Any]], Awaitable[None]],
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        assert isinstance(pilot.app, MessengerApp)
        pilot.app.composer.cursor_blink = False  # a blinking cursor is drawn half the time
        for step in steps:
            await step(pilot)
        await pilot.pause()

    return run_before


def test_main_layout(snap_compare: Any, tmp_path: Path, ports: list[int]) -> None:
    app = make_app(tmp_path, ports[0])
    assert snap_compare(app, run_before=scene(lan_with_talk), terminal_size=(100, 30))


def test_small_terminal(snap_compare: Any, tmp_path: Path, ports: list[int]) -> None:
    app = make_app(tmp_path, ports[0])
    assert snap_compare(app, run_before=scene(lan_with_talk), terminal_size=(60, 20))


async def sealed_arrives(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MessengerApp)
    app.commands.chat_with(XIAOHONG.key)
    arrive(app, XIAOHONG, "周五聚餐我请客，先别告诉大家 🤫", 5, sealed=True, read_check=True)
    arrive(app, XIAOHONG, "（这条不用拆封）", 6)
    await pilot.pause()
    app.chat_log.focus()
    await pilot.press("up")


def test_sealed_message(snap_compare: Any, tmp_path: Path, ports: list[int]) -> None:
    app = make_app(tmp_path, ports[0])
    run_before = scene(lan_with_talk, sealed_arrives)
    assert snap_compare(app, run_before=run_before, terminal_size=(100, 24))


async def peer_info(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MessengerApp)
    app.commands.chat_with(TARO.key)
    await pilot.press("f3")


def test_peer_info(snap_compare: Any, tmp_path: Path, ports: list[int]) -> None:
    app = make_app(tmp_path, ports[0])
    run_before = scene(lan_with_talk, peer_info)
    assert snap_compare(app, run_before=run_before, terminal_size=(100, 30))


class StepClock:
    """A transfer's clock that moves only when told (speed and time left stay fixed)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def transfer(
    who: Peer, attachment: Attachment, packet_no: int, direction: Direction = Direction.IN
) -> tuple[Transfer, StepClock]:
    clock = StepClock()
    where = DOWNLOADS if direction == Direction.IN else Path("/home/lin/outbox")
    moving = Transfer(
        direction,
        who.addr,
        who.name,
        attachment,
        packet_no,
        path=where / attachment.name,
        total=attachment.size,
        controls=Controls(lambda t: None, (lambda t: None) if direction == Direction.IN else None),
        clock=clock,
    )
    moving.begin(0)
    return moving, clock


def running(moving: Transfer, clock: StepClock, done: int, seconds: float) -> Transfer:
    clock.now = seconds
    moving.advance(done)
    return moving


FIGMA = Attachment(101, "icons-v2.fig", 48_234_496, 0, 1)
ICONS = Attachment(102, "icons", 3_145_728, 0, 2)
PSD = Attachment(103, "old-logo.psd", 9_437_184, 0, 1)
UNREACHABLE = (
    "UDP works but TCP 2425 is not reachable on 127.0.1.4 (connection refused); "
    "a firewall on the sender's side may block TCP port 2425"
)


async def files_from_carol(pilot: Pilot[Any]) -> None:
    """Carol offers three files: one downloading, one saved, one that failed; then two more
    wait to be answered, and two of ours wait to go with the next message."""
    app = pilot.app
    assert isinstance(app, MessengerApp)
    app.commands.chat_with(CAROL.key)
    arrive(app, CAROL, "the new icons, and the old logo", 5, attachments=(FIGMA, ICONS, PSD))
    packet_no = int(NOON) + 5 * 60
    figma, figma_clock = transfer(CAROL, FIGMA, packet_no)
    icons, icons_clock = transfer(CAROL, ICONS, packet_no)
    psd, _ = transfer(CAROL, PSD, packet_no)
    running(figma, figma_clock, 21_233_664, 4.0)
    running(icons, icons_clock, ICONS.size, 1.0).end(TransferState.DONE)
    psd.end(TransferState.FAILED, UNREACHABLE)
    for moving in (figma, icons, psd):
        app.bridge(TransferStarted(moving))
    more = (Attachment(104, "palette.ase", 12_800, 0, 1), Attachment(105, "fonts", 1, 0, 2))
    arrive(app, CAROL, "and these, when you have a minute", 6, attachments=more)
    await pilot.pause()


def attach_two(tmp_path: Path) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def step(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, MessengerApp)
        outbox = tmp_path / "outbox"
        (outbox / "screens").mkdir(parents=True)
        (outbox / "feedback.md").write_bytes(b"x" * 2_300)
        app.file_commands.add(CAROL.key, [outbox / "feedback.md", outbox / "screens"])
        app.composer.focus()
        await pilot.pause()

    return step


def test_file_offers_in_the_chat(snap_compare: Any, tmp_path: Path, ports: list[int]) -> None:
    app = make_app(tmp_path, ports[0])
    run_before = scene(lan_with_talk, files_from_carol, attach_two(tmp_path))
    assert snap_compare(app, run_before=run_before, terminal_size=(100, 32))


async def uploads_too(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MessengerApp)
    slides = Attachment(201, "review-v3.pdf", 2_457_600, 0, 1)
    upload, clock = transfer(AMING, slides, int(NOON) - 600, Direction.OUT)
    running(upload, clock, 614_400, 2.0)
    stopped, _ = transfer(XIAOHONG, Attachment(202, "photos", 88_000_000, 0, 2), 7)
    stopped.advance(0)
    stopped.end(TransferState.CANCELLED, "cancelled")
    for moving in (stopped, upload):
        app.bridge(TransferStarted(moving))
    await pilot.pause()
    await pilot.press("ctrl+t")
    await pilot.pause()


def test_transfers_panel(snap_compare: Any, tmp_path: Path, ports: list[int]) -> None:
    app = make_app(tmp_path, ports[0])
    run_before = scene(lan_with_talk, files_from_carol, uploads_too)
    assert snap_compare(app, run_before=run_before, terminal_size=(100, 20))
