"""UI test fixtures: apps and headless peers on 127.0.0.1, each on its own port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from ipmsg_tui.config import Settings, load_settings
from ipmsg_tui.keystore import load_or_create_keys
from ipmsg_tui.net.files import FileEvent, FileService
from ipmsg_tui.net.node import Node
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.service import Messenger
from ipmsg_tui.session import build_file_service, build_node
from ipmsg_tui.ui.app import MessengerApp

WAIT = 8.0


async def wait_for(
    pilot: Pilot[Any], predicate: Callable[[], object], timeout: float = WAIT
) -> None:
    """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await pilot.pause(0.02)


class Peer:
    """A headless IPMSG node (the engine ``listen`` runs) that records what it hears; with
    ``files``, a file service too (``serve=False``: its TCP port stays closed)."""

    def __init__(self, settings: Settings, *, files: bool = False, serve: bool = True) -> None:
        self.settings = settings
        self.events: list[ev.Event] = []
        self.node: Node = build_node(settings, [self.events.append])
        self.file_events: list[FileEvent] = []
        self.serve = serve
        self._files = build_file_service(settings, self.node) if files else None
        if self._files is not None:  # after the recording: the order the Messenger uses
            self.node.listeners.append(self._files.on_node_event)

    @property
    def files(self) -> FileService:
        assert self._files is not None, "a peer made without files=True"
        return self._files

    @property
    def addr(self) -> tuple[str, int]:
        return "127.0.0.1", self.settings.port

    async def start(self) -> Peer:
        if self._files is not None:
            self._files.listeners.append(self.file_events.append)
            await self._files.start(serve=self.serve)
        await self.node.start()
        return self

    async def stop(self) -> None:
        if self._files is not None:
            await self._files.stop()
        await self.node.stop()

    def file_of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.file_events if isinstance(e, kind)]

    def of(self, kind: type[ev.Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def texts(self) -> list[str]:
        return [e.text for e in self.of(ev.MessageReceived)]


class Lan:
    """Settings for named instances that know each other by unicast (no real broadcast)."""

    def __init__(self, tmp_path: Path, ports: list[int]) -> None:
        self.tmp_path = tmp_path
        self.ports = ports
        self.names: list[str] = []
        self.started: list[Peer] = []
        self.messengers: list[Messenger] = []
        self._services: dict[int, Messenger] = {}  # by port: the service under each app

    def port_of(self, name: str) -> int:
        if name not in self.names:
            self.names.append(name)
        return self.ports[self.names.index(name)]

    def service(self, name: str) -> Messenger:
        """The messenger service under ``name``'s app (its store, its settings): for what a
        test must see or do below the UI."""
        return self._services[self.port_of(name)]

    def settings(self, name: str, *, knows: tuple[str, ...] = (), **extra: Any) -> Settings:
        values: dict[str, Any] = {
            "nick": name,
            "user": name.lower(),
            "host": f"{name.lower()}-pc",
            "bind": "127.0.0.1",
            "port": self.port_of(name),
            "hosts": [f"127.0.0.1:{self.port_of(other)}" for other in knows],
            "data_dir": self.tmp_path / name,
            "download_dir": self.tmp_path / f"{name}-downloads",
            "retry_interval": 0.2,
            "retry_count": 3,
        }
        values.update(extra)
        return load_settings(self.tmp_path / f"{name}.toml", **values)

    async def peer(
        self,
        name: str,
        *,
        knows: tuple[str, ...] = (),
        files: bool = False,
        serve: bool = True,
        **extra: Any,
    ) -> Peer:
        """A started headless peer; stopped (BR_EXIT) at the end of the test if still up."""
        settings = self.settings(name, knows=knows, **extra)
        peer = await Peer(settings, files=files, serve=serve).start()
        self.started.append(peer)
        return peer

    async def app(
        self, name: str, *, knows: tuple[str, ...] = (), keys: bool = False, **extra: Any
    ) -> MessengerApp:
        """An app on a running messenger, as ``run_app`` makes it; with ``keys``, encrypting
        as ``run_app``'s does (its keys made first: no wait for the background thread).
        Without, as before encryption: most tests need no RSA keys made."""
        return await self.app_with(self.settings(name, knows=knows, **extra), keys=keys)

    async def app_with(self, settings: Settings, *, keys: bool = False) -> MessengerApp:
        if keys:
            load_or_create_keys(settings.data_dir)
        messenger = Messenger.keeping_history(settings)
        self.messengers.append(messenger)
        self._services[settings.port] = messenger
        await messenger.start(keys=keys)
        return MessengerApp(messenger)


@pytest.fixture
async def lan(tmp_path: Path, ports: list[int]) -> AsyncIterator[Lan]:
    network = Lan(tmp_path, ports)
    yield network
    for peer in network.started:
        await peer.stop()
    for messenger in network.messengers:
        await messenger.stop()
        messenger.close()
