"""Waiting for the recipients of an offer to fetch its files: what `send --file` does alone
and what the running app does for a `send --file` beside it, in the same words."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..i18n import _
from ..protocol.peers import Addr
from .finding import wait_until

if TYPE_CHECKING:  # the transfer modules load only with --file
    from ..protocol.offers import OutgoingOffer


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
