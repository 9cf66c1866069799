"""Two real peers on 127.0.0.1: a Node and a FileService each, on distinct ports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ipmsg_tui.net.binding import SocketPlan
from ipmsg_tui.net.files import (
    FileEvent,
    FileService,
    IncomingOffer,
    OfferReceived,
    TransferStarted,
)
from ipmsg_tui.net.node import Node
from ipmsg_tui.protocol.engineconfig import EngineConfig


@dataclass
class Peer:
    node: Node
    files: FileService
    events: list[FileEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def addr(self) -> tuple[str, int]:
        return ("127.0.0.1", self.node.socket_plan.port)

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 20.0) -> None:
        async def loop() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout)

    async def next_offer(self, timeout: float = 10.0) -> IncomingOffer:
        await self.wait_for(lambda: any(isinstance(e, OfferReceived) for e in self.events), timeout)
        offer = next(e.offer for e in self.events if isinstance(e, OfferReceived))
        self.events = [e for e in self.events if not isinstance(e, OfferReceived)]
        return offer


def make_peer(name: str, port: int, others: list[int], downloads: Path, **options: object) -> Peer:
    config = EngineConfig(
        user=name,
        host=f"{name}-box",
        nick=name,
        port=port,
        version_field="1_ipmsg-tui test",
        unicast_targets=tuple(("127.0.0.1", p) for p in others),
        local_ips=frozenset({"127.0.0.1"}),
        retry_interval=0.2,
    )
    node = Node(config, SocketPlan("127.0.0.1", port))
    peer = Peer(node, FileService(node, download_dir=downloads, **options))  # type: ignore[arg-type]

    def record(event: FileEvent) -> None:
        peer.events.append(event)
        peer.changed.set()
        if isinstance(event, TransferStarted):
            event.transfer.subscribe(lambda transfer: peer.changed.set())

    peer.files.listeners.append(record)
    node.listeners.append(peer.files.on_node_event)
    node.listeners.append(lambda event: peer.changed.set())
    return peer


@pytest.fixture
async def pair(ports: list[int], tmp_path: Path) -> AsyncIterator[tuple[Peer, Peer]]:
    """alice and bob, who know each other (each announced to the other)."""
    alice = make_peer("alice", ports[0], [ports[1]], tmp_path / "alice-downloads")
    bob = make_peer("bob", ports[1], [ports[0]], tmp_path / "bob-downloads")
    for peer in (alice, bob):
        await peer.files.start()
        await peer.node.start()
    await alice.wait_for(lambda: alice.node.engine.peers.get(bob.addr) is not None)
    await bob.wait_for(lambda: bob.node.engine.peers.get(alice.addr) is not None)
    yield alice, bob
    for peer in (alice, bob):
        await peer.files.stop()
        await peer.node.stop()
