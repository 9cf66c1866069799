"""Regenerate screenshots/*.svg: the app in real use, on loopback.

Starts real IPMSG nodes on 127.0.0.1 (each on its own free port, introduced to each other
by unicast, nothing broadcast beyond loopback), runs the app with a fresh history and
config in a temporary directory, drives it with Textual's Pilot and saves SVG screenshots.

    .venv/bin/python scripts/screenshots.py [OUTPUT_DIR] [--chinese]
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from ipmsg_tui import i18n
from ipmsg_tui.config import Settings, load_settings
from ipmsg_tui.history import HistoryRecorder
from ipmsg_tui.net.files import FileEvent, FileService, OfferReceived
from ipmsg_tui.net.node import Node
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.engine import OutgoingMessage
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.service import Messenger
from ipmsg_tui.session import build_file_service, build_node
from ipmsg_tui.store import HistoryStore, MessageState
from ipmsg_tui.ui.app import MessengerApp
from ipmsg_tui.ui.screens.offer import OfferScreen
from ipmsg_tui.ui.screens.transfers import TransfersScreen

SIZE = (110, 32)
SMALL = (60, 20)
# Screenshots read 09:41 today, whatever the time they are made at.
START = time.time()
BASE = time.mktime((*time.localtime(START)[:3], 9, 41, 0, 0, 0, -1))


def clock() -> float:
    return BASE + (time.time() - START)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# (nick, user, host, group)
PEOPLE = {
    "me": ("Lin", "lin", "lin-laptop", "开发部"),
    "aming": ("阿明", "aming", "pc-01", "开发部"),
    "xiaohong": ("小红", "xiaohong", "pc-07", "开发部"),
    "taro": ("太郎", "taro", "JUPITER", "営業"),
    "carol": ("Carol", "carol", "mbp-carol", "Design"),
    "build": ("build-bot", "ci", "build-01", ""),
}


class Scene:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.ports = {name: free_port() for name in PEOPLE}
        self.nodes: dict[str, Node] = {}
        self.files: dict[str, FileService] = {}

    def settings(self, name: str, **extra: Any) -> Settings:
        nick, user, host, group = PEOPLE[name]
        others = [f"127.0.0.1:{port}" for other, port in self.ports.items() if other != name]
        return load_settings(
            self.root / f"{name}.toml",
            nick=nick,
            user=user,
            host=host,
            group=group,
            bind="127.0.0.1",
            port=self.ports[name],
            hosts=others if name == "me" else [f"127.0.0.1:{self.ports['me']}"],
            data_dir=self.root / name,
            **extra,
        )

    async def start_peers(self) -> None:
        for name in PEOPLE:
            if name == "me":
                continue
            settings = self.settings(name, download_dir=self.root / name / "Downloads")
            node = build_node(settings, [self._reader(name)])
            files = build_file_service(settings, node)
            node.listeners.append(files.on_node_event)
            files.listeners.append(self._fetcher(files))
            await files.start()
            await node.start()
            self.nodes[name] = node
            self.files[name] = files
        self.nodes["taro"].set_presence(away=True, away_text="会議中 (in a meeting)")

    def _reader(self, name: str) -> Callable[[ev.Event], None]:
        """Peers open sealed messages a moment after they arrive (as a person would)."""

        def listener(event: ev.Event) -> None:
            if isinstance(event, ev.MessageReceived) and event.sealed:
                asyncio.get_running_loop().call_later(
                    0.3, self.nodes[name].open_sealed, event.addr, event.packet_no, event.read_check
                )

        return listener

    @staticmethod
    def _fetcher(files: FileService) -> Callable[[FileEvent], None]:
        """Peers download what we offer them at once (as ``listen --accept-files``)."""

        def listener(event: FileEvent) -> None:
            if isinstance(event, OfferReceived):
                files.download_all(event.offer)

        return listener

    async def offer(self, name: str, text: str, paths: list[Path]) -> None:
        await self.files[name].send([("127.0.0.1", self.ports["me"])], text, paths)

    async def stop_peers(self) -> None:
        for name, node in self.nodes.items():
            await self.files[name].stop()
            await node.stop()

    def say(self, name: str, text: str, sealed: bool = False) -> None:
        self.nodes[name].send_message([("127.0.0.1", self.ports["me"])], text, sealed=sealed)

    def seed_yesterday(self, settings: Settings) -> None:
        """Yesterday's talk with 阿明, as the history of an earlier session holds it."""
        store = HistoryStore(settings.history_path)
        recorder = HistoryRecorder(store, is_read=lambda key: True)
        nick, user, host, group = PEOPLE["aming"]
        aming = Peer(("127.0.0.1", self.ports["aming"]), user, host, nick=nick, group=group)
        yesterday = clock() - 86400 + 6 * 3600
        recorder.on_event(ev.MessageReceived(aming, 1, "明天的评审改到十点，可以吗？", yesterday))
        sent = [OutgoingMessage(2, "没问题，十点见 👍", (aming.addr,))]
        rows = recorder.record_sent(sent, [aming], "Lin", yesterday + 120)
        store.set_state_by_id(rows[0].id, MessageState.DELIVERED)
        store.close()


async def type_text(pilot: Pilot[Any], app: MessengerApp, text: str) -> None:
    """Type ASCII key by key; other text arrives whole, as an input method commits it."""
    for char in text:
        if char.isascii():
            await pilot.press(char if char != " " else "space")
        else:
            app.composer.insert(char)
    await pilot.pause()


def write_file(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    return path


def shown(app: MessengerApp) -> str:
    return "\n".join(app.chat_log.plain_lines())


async def until(pilot: Pilot[Any], predicate: Callable[[], object], timeout: float = 8) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {predicate}")
        await pilot.pause(0.02)


Shoot = Callable[[MessengerApp, Pilot[Any], Scene, Path], Awaitable[None]]


async def run_scene(out: Path, shoot: Shoot) -> None:
    """The LAN of PEOPLE on loopback and the app with a fresh history and config (in a
    temporary folder, yesterday's talk seeded), driven by ``shoot``; all stopped after."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["IPMSG_TUI_CONFIG"] = str(Path(tmp) / "config.toml")
        os.environ["HOME"] = tmp  # paths read ~/Downloads/..., not /tmp/tmpXXXX/...
        scene = Scene(Path(tmp))
        await scene.start_peers()
        settings = scene.settings("me", download_dir=Path(tmp) / "Downloads" / "ipmsg-tui")
        scene.seed_yesterday(settings)
        messenger = Messenger.keeping_history(settings, clock=clock)
        try:
            await messenger.start()
            app = MessengerApp(messenger)
            async with app.run_test(size=SIZE, notifications=True) as pilot:
                await shoot(app, pilot, scene, out)
        finally:
            await messenger.stop()
            messenger.close()
            await scene.stop_peers()


async def make(out: Path) -> None:
    await run_scene(out, shoot)


async def shoot(app: MessengerApp, pilot: Pilot[Any], scene: Scene, out: Path) -> None:
    def save(name: str) -> None:
        app.save_screenshot(filename=f"{name}.svg", path=str(out))
        print(f"wrote {out / name}.svg")

    await until(pilot, lambda: app.roster.online_count == len(PEOPLE) - 1)
    aming = "aming@pc-01"
    await pilot.press("down")
    await until(pilot, lambda: app.open_key is not None and app.open_key != "*")
    app.commands.chat_with(aming)
    await pilot.pause()
    scene.say("aming", "早！评审的幻灯片发你了吗？")
    await until(pilot, lambda: len(app.chat_log.rows) == 3)
    await type_text(pilot, app, "收到了，我看一下。")
    await pilot.press("ctrl+j")
    await type_text(pilot, app, "Carol 也来吗？")
    await pilot.press("enter")
    await until(pilot, lambda: app.chat_log.rows[-1].state.value == "delivered")
    scene.say("aming", "她说来 🙌 Taro is in a meeting, though.")
    await until(pilot, lambda: len(app.chat_log.rows) == 5)
    app.clear_notifications()
    await pilot.pause(0.3)
    save("conversation")

    # Someone else writes: a badge in the sidebar, a toast, the bell.
    scene.say("build", "main is green again ✅ (build #1482)")
    scene.say("carol", "Can you look at the new icons before lunch?")
    scene.say("carol", "Figma link is in the channel 🎨")
    await until(pilot, lambda: app.roster.unread_total == 3)
    await pilot.pause(0.5)
    save("unread")
    app.clear_notifications()

    # A sealed message: shown sealed until it is opened (then READMSG goes out).
    app.commands.chat_with("xiaohong@pc-07")
    await pilot.pause()
    scene.say("xiaohong", "周五的聚餐我请客，先别告诉大家 🤫", sealed=True)
    await until(pilot, lambda: len(app.chat_log.rows) == 1)
    await type_text(pilot, app, "好的，我保密 🤐")
    await pilot.press("enter", "ctrl+s")
    await type_text(pilot, app, "我带一瓶酒来")
    await pilot.press("enter")
    await until(pilot, lambda: app.chat_log.rows[-1].state.value == "opened")
    await pilot.press("shift+tab", "up", "up")  # the cursor on the sealed one
    await pilot.pause(0.3)
    save("sealed")
    await pilot.press("escape")

    # Files: 阿明 offers the slides and his notes; accepted, they land in ~/Downloads.
    # Another offer waits for an answer; a folder of ours goes to Carol, who fetches it.
    outbox = scene.root / "aming" / "outbox"
    slides = write_file(outbox / "review-v3.pdf", 2_457_600)
    notes = outbox / "notes"
    for index in range(3):
        write_file(notes / f"day-{index + 1}.md", 4_000 + index * 700)
    app.commands.chat_with(aming)
    await pilot.pause()
    await scene.offer("aming", "幻灯片和笔记都在这里", [slides, notes])
    await until(pilot, lambda: "accept · save as · decline" in shown(app))
    app.chat_log.focus()
    await pilot.press("end", "enter")
    await until(pilot, lambda: isinstance(app.screen, OfferScreen))
    await pilot.pause(0.3)
    save("offer")
    await pilot.press("a")
    await until(pilot, lambda: shown(app).count("✓ saved to") == 2)
    budget = write_file(outbox / "budget-2025.xlsx", 88_000)
    await scene.offer("aming", "预算表也看一下？", [budget])
    await until(pilot, lambda: "accept · save as · decline" in shown(app))
    app.clear_notifications()
    app.composer.focus()
    await pilot.pause(0.3)
    save("files")

    mine = scene.root / "me" / "outbox" / "icons"
    for name in ("app.svg", "tray.svg", "splash.png"):
        write_file(mine / name, 30_000 + len(name) * 1_000)
    app.commands.chat_with("carol@mbp-carol")
    app.file_commands.add("carol@mbp-carol", [mine])
    await type_text(pilot, app, "new icons, as promised")
    await pilot.press("enter")
    await until(pilot, lambda: "Carol has downloaded them" in shown(app))
    app.clear_notifications()
    await pilot.press("ctrl+t")
    await until(pilot, lambda: isinstance(app.screen, TransfersScreen))
    await pilot.pause(0.3)
    save("transfers")
    await pilot.press("escape")

    # The command palette.
    await pilot.press("ctrl+p")
    await pilot.pause(0.2)
    await pilot.press(*"set")
    await pilot.pause(0.5)
    save("palette")
    await pilot.press("escape")
    await pilot.pause()

    # Small terminals stay usable.
    await pilot.resize_terminal(*SMALL)
    app.commands.chat_with(aming)
    app.peer_list.focus()
    await pilot.pause(0.5)
    save("small")


async def make_chinese(out: Path) -> None:
    """The same LAN with the interface in 简体中文 (as LANG=zh_CN.UTF-8 gives it)."""
    i18n.install("zh_CN")
    try:
        await run_scene(out, shoot_chinese)
    finally:
        i18n.install(i18n.ENGLISH)


async def shoot_chinese(app: MessengerApp, pilot: Pilot[Any], scene: Scene, out: Path) -> None:
    await until(pilot, lambda: app.roster.online_count == len(PEOPLE) - 1)
    aming = "aming@pc-01"
    app.commands.chat_with(aming)
    await pilot.pause()
    scene.say("aming", "中午一起去吃午饭吗？")
    await until(pilot, lambda: len(app.chat_log.rows) == 3)
    await type_text(pilot, app, "好啊，十二点楼下见 👍")
    await pilot.press("enter")
    await until(pilot, lambda: app.chat_log.rows[-1].state.value == "delivered")
    scene.say("xiaohong", "周报我放到共享盘了")
    scene.say("xiaohong", "记得看一下")
    await until(pilot, lambda: app.roster.unread_total == 2)
    await pilot.pause(0.5)
    app.save_screenshot(filename="chinese.svg", path=str(out))
    print(f"wrote {out / 'chinese'}.svg")


if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "screenshots"
    arguments = [a for a in sys.argv[1:] if a != "--chinese"]
    target = Path(arguments[0]) if arguments else default
    if "--chinese" not in sys.argv:  # --chinese: only the 简体中文 one
        asyncio.run(make(target))
    asyncio.run(make_chinese(target))
