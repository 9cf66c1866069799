"""The offer registry: who may download what, and until when."""

from __future__ import annotations

import pytest

from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.constants import FileType
from ipmsg_tui.protocol.offers import OfferRegistry, Recipient, Refused, SharedFile
from ipmsg_tui.protocol.progress import RateMeter, eta

BOB = Recipient(("10.0.0.2", 2425), "bob", "bob-pc")
CAROL = Recipient(("10.0.0.3", 2425), "carol", "carol-pc")


def registry_with_offer() -> tuple[OfferRegistry, list[int]]:
    registry = OfferRegistry(ttl=100, first_file_id=500)
    ids = registry.new_file_ids(3)
    files = [
        SharedFile(Attachment(ids[0], "a.bin", 10, 0), "/tmp/a.bin"),
        SharedFile(Attachment(ids[1], "docs", 5, 0, FileType.DIR), "/tmp/docs"),
        SharedFile(Attachment(ids[2], "empty", 0, 0), "/tmp/empty"),
    ]
    registry.add(7000, [BOB, CAROL], files, now=0)
    return registry, ids


def test_the_recipient_gets_the_file() -> None:
    registry, ids = registry_with_offer()
    offer, shared, recipient = registry.authorize(
        7000, [ids[0]], "10.0.0.2", "bob", "bob-pc", folder=False, now=1
    )
    assert shared.path == "/tmp/a.bin" and recipient == BOB and offer.packet_no == 7000


@pytest.mark.parametrize(
    ("packet_no", "which", "ip", "user", "folder", "reason"),
    [
        (7001, 0, "10.0.0.2", "bob", False, "no offer"),  # guessed packet number
        (7000, None, "10.0.0.2", "bob", False, "no file"),  # guessed file id
        (7000, 0, "10.0.0.9", "bob", False, "not made to"),  # another machine
        (7000, 0, "10.0.0.2", "mallory", False, "not made to"),  # another user on bob's IP
        (7000, 0, "10.0.0.3", "bob", False, "not made to"),  # bob's name from carol's IP
        (7000, 1, "10.0.0.2", "bob", False, "is a folder"),  # GETFILEDATA on a folder
        (7000, 0, "10.0.0.2", "bob", True, "is a file"),  # GETDIRFILES on a file
    ],
)
def test_refusals(
    packet_no: int, which: int | None, ip: str, user: str, folder: bool, reason: str
) -> None:
    registry, ids = registry_with_offer()
    file_ids = [ids[which]] if which is not None else [ids[-1] + 1]
    with pytest.raises(Refused, match=reason):
        registry.authorize(packet_no, file_ids, ip, user, f"{user}-pc", folder=folder, now=1)


def test_unknown_names_match_by_ip_only() -> None:
    registry = OfferRegistry()
    registry.add(
        1, [Recipient(("10.0.0.5", 2425))], [SharedFile(Attachment(9, "x", 1, 0), "/x")], 0
    )
    registry.authorize(1, [9], "10.0.0.5", "anyone", "any", folder=False, now=0)
    with pytest.raises(Refused):
        registry.authorize(1, [9], "10.0.0.6", "anyone", "any", folder=False, now=0)


def test_expiry_and_release() -> None:
    registry, ids = registry_with_offer()
    assert registry.next_expiry() == 100
    with pytest.raises(Refused, match="expired"):
        registry.authorize(7000, [ids[0]], "10.0.0.2", "bob", "bob-pc", folder=False, now=100)
    registry, ids = registry_with_offer()
    assert registry.release(7000, ("10.0.0.2", 2425)) is not None
    with pytest.raises(Refused, match="not made to"):
        registry.authorize(7000, [ids[0]], "10.0.0.2", "bob", "bob-pc", folder=False, now=1)
    registry.authorize(7000, [ids[0]], "10.0.0.3", "carol", "carol-pc", folder=False, now=1)
    assert registry.release(7000, ("10.0.0.2", 2425)) is None  # already released
    assert registry.release(7000, ("10.0.0.3", 2425)) is not None
    assert len(registry) == 0
    registry, _ = registry_with_offer()
    assert [o.packet_no for o in registry.expire(now=100)] == [7000] and len(registry) == 0


def test_fetched_needs_every_non_empty_file_per_recipient() -> None:
    registry, ids = registry_with_offer()
    offer = registry.get(7000)
    assert offer is not None
    registry.mark_fetched(offer, BOB, ids[0])
    assert not offer.fetched_by(BOB)
    registry.mark_fetched(offer, BOB, ids[1])
    assert offer.fetched_by(BOB) and not offer.complete  # the empty file needs no fetch
    registry.mark_fetched(offer, CAROL, ids[0])
    registry.mark_fetched(offer, CAROL, ids[1])
    assert offer.complete


def test_file_ids_wrap_and_stay_positive() -> None:
    registry = OfferRegistry(first_file_id=0x3FFFFFFF)
    assert registry.new_file_ids(3) == [0x3FFFFFFF, 1, 2]


def test_rate_and_eta() -> None:
    meter = RateMeter(window=2.0)
    for second in range(6):
        meter.update(second * 1000, float(second))
    assert meter.rate == pytest.approx(1000)
    assert eta(5000, 10000, meter.rate) == pytest.approx(5)
    assert eta(5000, None, meter.rate) is None and eta(1, 2, 0.0) is None
