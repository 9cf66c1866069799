"""The Messenger on real loopback sockets: one call per user action, the history kept, the
news published after the history has it, the settings saved."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from ipmsg_tui.config import ConfigError, load_settings
from ipmsg_tui.net.fileevents import OfferReceived
from ipmsg_tui.protocol.text import UnknownCodec
from ipmsg_tui.service import Messenger
from ipmsg_tui.service import events as news
from ipmsg_tui.store import EVERYONE, MessageState


async def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


class Office:
    """Messengers on 127.0.0.1 that know each other, each with its history and news."""

    def __init__(self, tmp_path: Path, ports: list[int]) -> None:
        self.tmp_path = tmp_path
        self.ports = ports
        self.news: dict[str, list[Any]] = {}
        self.started: list[Messenger] = []

    async def start(self, index: int, name: str, others: tuple[int, ...]) -> Messenger:
        settings = load_settings(
            self.tmp_path / f"{name}.toml",
            nick=name,
            user=name.lower(),
            host=f"{name.lower()}-pc",
            bind="127.0.0.1",
            port=self.ports[index],
            hosts=[f"127.0.0.1:{self.ports[i]}" for i in others],
            data_dir=self.tmp_path / name,
            download_dir=self.tmp_path / f"{name}-downloads",
            retry_interval=0.2,
            retry_count=3,
        )
        messenger = Messenger.keeping_history(settings)
        heard = self.news[name] = []
        messenger.subscribe(heard.append)
        self.started.append(messenger)
        await messenger.start()
        return messenger

    def of(self, name: str, kind: type[Any]) -> list[Any]:
        return [n for n in self.news[name] if isinstance(n, kind)]


@pytest.fixture
async def office(tmp_path: Path, ports: list[int]) -> AsyncIterator[Office]:
    place = Office(tmp_path, ports)
    yield place
    for messenger in place.started:
        await messenger.stop()
        messenger.close()


async def test_one_message_to_two_peers_is_kept_delivered_and_heard(office: Office) -> None:
    ann = await office.start(0, "Ann", (1, 2))
    bob = await office.start(1, "Bob", (0,))
    carol = await office.start(2, "Carol", (0,))
    await wait_for(lambda: len(ann.peers) == 2)
    (row,) = ann.send([("127.0.0.1", bob.port), ("127.0.0.1", carol.port)], "hi both")
    assert row.state is MessageState.SENDING
    assert sorted(r.key for r in row.recipients) == ["bob@bob-pc", "carol@carol-pc"]
    await wait_for(lambda: len(office.of("Ann", news.MessagesChanged)) == 2)
    for conversation in ("bob@bob-pc", "carol@carol-pc"):  # one message, listed in each
        (kept,) = ann.store.messages(conversation)
        assert kept.id == row.id and kept.state is MessageState.DELIVERED
        assert kept.delivered_count == 2
    (arrived,) = office.of("Bob", news.MessageArrived)
    assert arrived.row.text == "hi both" and arrived.unread
    assert bob.store.messages("ann@ann-pc")[0].text == "hi both"  # kept before it was news


async def test_sealed_is_opened_once_and_the_sender_hears_it(office: Office) -> None:
    ann = await office.start(0, "Ann", (1,))
    bob = await office.start(1, "Bob", (0,))
    await wait_for(lambda: ann.peers)
    (sent,) = ann.send([ann.peers[0]], "for your eyes", sealed=True)
    await wait_for(lambda: office.of("Bob", news.MessageArrived))
    (arrived,) = office.of("Bob", news.MessageArrived)
    assert arrived.row.state is MessageState.SEALED
    assert bob.open_sealed(arrived.row).state is MessageState.OPENED
    await wait_for(lambda: ann.store.message(sent.id).state is MessageState.OPENED)


async def test_broadcast_is_kept_under_everyone(office: Office) -> None:
    ann = await office.start(0, "Ann", (1,))
    await office.start(1, "Bob", (0,))
    (row,) = ann.broadcast("lunch!")
    assert row.conversation == EVERYONE and ann.store.messages(EVERYONE)[0].text == "lunch!"


async def test_presence_changes_reach_peers_and_are_saved(office: Office, tmp_path: Path) -> None:
    ann = await office.start(0, "Ann", (1,))
    await office.start(1, "Bob", (0,))
    await wait_for(lambda: office.of("Bob", news.PeerOnline))
    assert ann.set_nick("Annie") is None
    assert ann.set_away("at lunch") is None
    await wait_for(lambda: any(n.peer.away for n in office.of("Bob", news.PeerOnline)))
    assert office.of("Bob", news.PeerOnline)[-1].peer.nick == "Annie"
    added = ann.add_target("127.0.0.9", broadcast=False)
    assert added.problem is None and added.text == "127.0.0.9"
    with pytest.raises(ConfigError):
        ann.add_target("10.78.255", broadcast=True)
    assert ann.set_peer_encoding("bob@bob-pc", "GB18030") == ("gb18030", None)
    with pytest.raises(UnknownCodec):
        ann.set_peer_encoding("bob@bob-pc", "klingon")
    saved = tomllib.loads((tmp_path / "Ann.toml").read_text(encoding="utf-8"))
    assert saved["nick"] == "Annie" and saved["away_text"] == "at lunch"
    assert saved["hosts"] == ["127.0.0.9"]
    assert saved["peer_encodings"] == {"bob@bob-pc": "gb18030"}
    ann.come_back()
    assert not ann.away


async def test_files_offered_to_a_peer_are_accepted_and_fetched(
    office: Office, tmp_path: Path
) -> None:
    ann = await office.start(0, "Ann", (1,))
    bob = await office.start(1, "Bob", (0,))
    await wait_for(lambda: ann.peers)
    report = tmp_path / "report.txt"
    report.write_bytes(b"numbers " * 1000)
    offered = await ann.send_files([ann.peers[0]], "the report", [report])
    assert [a.name for a in offered.rows[0].attachments] == ["report.txt"]
    await wait_for(lambda: office.of("Bob", news.MessageArrived))
    (arrived,) = office.of("Bob", news.MessageArrived)
    offer = bob.offer(arrived.row.addr, arrived.row.packet_no)
    assert offer is not None
    (transfer,) = bob.accept(offer)
    await wait_for(lambda: transfer.state.finished)
    assert transfer.path is not None and transfer.path.read_bytes() == report.read_bytes()


async def test_an_offer_reaches_the_file_service_after_the_history_kept_its_message(
    office: Office, tmp_path: Path
) -> None:
    """The node's listener chain, in the Messenger's order: history and news first, then
    the file service (its OfferReceived comes after the row is stored and announced)."""
    ann = await office.start(0, "Ann", (1,))
    bob = await office.start(1, "Bob", (0,))
    kept_when_offered: list[int] = []

    def on_offer(event: Any) -> None:
        if isinstance(event, OfferReceived):
            kept_when_offered.append(len(bob.store.messages("ann@ann-pc", limit=10)))

    bob.subscribe(on_offer)
    await wait_for(lambda: ann.peers)
    (tmp_path / "notes.txt").write_text("notes")
    await ann.send_files([ann.peers[0]], "notes", [tmp_path / "notes.txt"])
    await wait_for(lambda: kept_when_offered)
    assert kept_when_offered == [1]
    kinds = [type(n) for n in office.news["Bob"]]
    assert kinds.index(news.MessageArrived) < kinds.index(OfferReceived)
