"""The memory of offers made to us: which messages offer something, bounded, forgettable."""

from __future__ import annotations

from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.events import MessageReceived
from ipmsg_tui.protocol.offers import IncomingOffers, OfferKey
from ipmsg_tui.protocol.peers import Peer

ALICE = Peer(("10.0.0.1", 2425), "alice", "alice-pc", version="1_ipmsg-tui 0.1")
IPTUX = Peer(("10.0.0.9", 2425), "iptux", "box", version="1_iptux 0.9.4")
REPORT = (Attachment(1, "report.pdf", 2048, 0),)


def message(peer: Peer, packet_no: int, **fields: object) -> MessageReceived:
    options: dict[str, object] = {"attachments": REPORT} | fields
    return MessageReceived(peer, packet_no, "here", 100.0, **options)  # type: ignore[arg-type]


def test_a_message_with_attachments_is_an_offer_found_by_address_and_number() -> None:
    offers = IncomingOffers()
    offer = offers.receive(message(ALICE, 7))
    assert offer is not None
    assert (offer.addr, offer.packet_no, offer.attachments) == (ALICE.addr, 7, REPORT)
    assert offers.find(ALICE.addr, 7) is offer
    assert offers[OfferKey(ALICE.addr, 7)] is offer
    assert offers.find(ALICE.addr, 8) is None
    assert offers.find(IPTUX.addr, 7) is None


def test_plain_messages_and_broadcasts_offer_nothing() -> None:
    offers = IncomingOffers()
    assert offers.receive(message(ALICE, 1, attachments=())) is None
    assert offers.receive(message(ALICE, 2, broadcast=True)) is None
    assert len(offers) == 0


def test_the_oldest_offers_are_forgotten_beyond_the_limit() -> None:
    offers = IncomingOffers(limit=3)
    for packet_no in range(1, 6):
        offers.receive(message(ALICE, packet_no))
    assert [key.packet_no for key in offers] == [3, 4, 5]


def test_a_declined_offer_is_forgotten() -> None:
    offers = IncomingOffers()
    kept = offers.receive(message(ALICE, 1))
    declined = offers.receive(message(IPTUX, 1))
    assert kept is not None and declined is not None
    offers.discard(declined)
    offers.discard(declined)  # twice is harmless
    assert list(offers.values()) == [kept]


def test_only_ipmsg_tui_senders_can_resume() -> None:
    offers = IncomingOffers()
    ours = offers.receive(message(ALICE, 1))
    theirs = offers.receive(message(IPTUX, 1))
    assert ours is not None and ours.resumable
    assert theirs is not None and not theirs.resumable
