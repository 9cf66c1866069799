"""What became of a message a command sent: receipts, failures, peers that quit, and the
wait for its files to be fetched. `send` alone and the running app doing a `send` for a
command beside it follow it the same way and say it in the same words."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..i18n import _
from ..protocol import events as ev
from ..protocol.keyring import KEY_REQUEST_INTERVAL, KEY_REQUEST_TRIES
from ..protocol.peers import Addr
from . import events as news
from .finding import wait_until

if TYPE_CHECKING:  # the transfer modules load only with --file
    from ..config import Settings
    from ..protocol.offers import OutgoingOffer
    from .messenger import Messenger

# Asking an encrypting peer for its key comes before the first send (and its retries).
KEY_EXCHANGE_WAIT = KEY_REQUEST_TRIES * KEY_REQUEST_INTERVAL


@dataclass
class Delivery:
    """Receipts awaited, as (recipient, packet number), the recipients that failed, and the
    peers that said goodbye (BR_EXIT) meanwhile."""

    waiting: set[tuple[Addr, int]] = field(default_factory=set)
    failed: set[Addr] = field(default_factory=set)
    left: set[Addr] = field(default_factory=set)

    def note(self, event: news.News) -> None:
        match event:
            case news.MessagesChanged(source=ev.MessageDelivered(addr=addr, packet_no=number)):
                self.waiting.discard((addr, number))
            case news.MessagesChanged(source=ev.MessageFailed(addr=addr, packet_no=number)):
                if (addr, number) in self.waiting:
                    self.waiting.discard((addr, number))
                    self.failed.add(addr)
            case news.PeerOffline(peer=peer, reason="exit"):
                self.left.add(peer.addr)

    def missed(self, addr: Addr) -> bool:
        return addr in self.failed or any(waited == addr for waited, _ in self.waiting)

    async def until_acknowledged(
        self,
        names: dict[Addr, str],
        changed: asyncio.Event,
        timeout: float | None,
        settings: Settings,
    ) -> list[str]:
        """Wait for the receipts (``timeout``, else as long as the retries and a key
        exchange take); one line for each recipient in ``names`` that did not acknowledge."""
        limit = (
            timeout
            if timeout is not None
            else settings.retry_interval * settings.retry_count + 1 + KEY_EXCHANGE_WAIT
        )
        await wait_until(lambda: not self.waiting, changed, limit)
        return [not_acknowledged(name, addr) for addr, name in names.items() if self.missed(addr)]


def name_of(messenger: Messenger, addr: Addr) -> str:
    """A recipient as the lines below name it: its nick, or its address."""
    peer = messenger.peer(addr)
    return peer.name if peer is not None else f"{addr[0]}:{addr[1]}"


def not_acknowledged(name: str, addr: Addr) -> str:
    return _("{name} did not acknowledge the message (offline, or UDP port {port} blocked)").format(
        name=name, port=addr[1]
    )


async def until_fetched(
    offer: OutgoingOffer,
    names: dict[Addr, str],
    left: set[Addr],
    changed: asyncio.Event,
    remaining: float | None,
    timeout: float | None,
) -> list[str]:
    """Serve until every recipient in ``names`` has every file, declined them, quit (its
    address in ``left``) or time ran out; one line for each that did not get them."""

    def finished() -> bool:
        return offer.complete or not [
            r for r in offer.recipients if not offer.fetched_by(r) and r.addr not in left
        ]

    await wait_until(finished, changed, remaining)
    if offer.complete and len(offer.recipients) == len(names):
        return []
    still_in = {recipient.addr for recipient in offer.recipients}
    problems = [
        _("{name} declined the files").format(name=name)
        for addr, name in names.items()
        if addr not in still_in
    ]
    for recipient in offer.recipients:
        if offer.fetched_by(recipient):
            continue
        name = names.get(recipient.addr, f"{recipient.addr[0]}:{recipient.addr[1]}")
        if recipient.addr in left:
            problems.append(
                _("{name} left before fetching the files (it quit: BR_EXIT)").format(name=name)
            )
        else:
            assert timeout is not None  # without one, the wait above ends only when all are in
            count = len(offer.required - offer.fetched.get(recipient, set()))
            problems.append(
                _("{name} did not fetch the files within {seconds:g} s ({left} left)").format(
                    name=name, seconds=timeout, left=count
                )
            )
    return problems
