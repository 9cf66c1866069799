"""Retries and duplicate memory keyed by typed values, not strings."""

from __future__ import annotations

from ipmsg_tui.protocol.dedup import DedupCache
from ipmsg_tui.protocol.retransmit import Retransmissions, RetryKey, RetryKind
from ipmsg_tui.protocol.seen import MessageKey, SeenKey, SeenMessage, SeenReadNotice

BOB = ("10.0.0.2", 2425)
CAROL = ("10.0.0.3", 2425)


def test_information_requests_name_their_kind() -> None:
    assert RetryKind.info("version") is RetryKind.VERSION_INFO
    assert RetryKind.info("absence") is RetryKind.ABSENCE_INFO
    assert RetryKind.VERSION_INFO.info_kind == "version"
    assert RetryKind.ABSENCE_INFO.info_kind == "absence"
    assert RetryKind.MESSAGE.info_kind is None and RetryKind.READ_NOTICE.info_kind is None


def test_an_answer_resolves_only_its_own_kind() -> None:
    retries = Retransmissions(1.0, lambda kind: 3)
    retries.add(RetryKey(BOB, RetryKind.MESSAGE, 7), b"msg", now=0)
    retries.add(RetryKey(BOB, RetryKind.READ_NOTICE, 7), b"read", now=0, reported_no=5)
    assert retries.resolve(RetryKey(BOB, RetryKind.READ_NOTICE, 8)) is None
    assert retries.resolve(RetryKey(CAROL, RetryKind.MESSAGE, 7)) is None
    read = retries.resolve(RetryKey(BOB, RetryKind.READ_NOTICE, 7))
    assert read is not None and read.datagram == b"read" and read.reported_no == 5
    assert len(retries) == 1


def test_each_kind_has_its_own_number_of_sends() -> None:
    retries = Retransmissions(1.0, lambda kind: 4 if kind is RetryKind.READ_NOTICE else 2)
    retries.add(RetryKey(BOB, RetryKind.MESSAGE, 1), b"m", now=0)
    retries.add(RetryKey(BOB, RetryKind.READ_NOTICE, 2), b"r", now=0)
    retries.add(RetryKey(BOB, RetryKind.info("version")), b"v", now=0)
    given_up_at: dict[RetryKind, float] = {}
    for second in range(1, 6):
        _, given_up = retries.due(float(second))
        for pending in given_up:
            given_up_at[pending.kind] = second
    assert given_up_at == {
        RetryKind.MESSAGE: 2,
        RetryKind.VERSION_INFO: 2,
        RetryKind.READ_NOTICE: 4,
    }


def test_forgetting_a_sender_forgets_every_kind_of_key_from_it() -> None:
    seen: DedupCache[SeenKey] = DedupCache(limit=10, ttl=60)
    seen.check_and_add(SeenMessage(MessageKey(BOB, 1), content=11), now=0)
    seen.check_and_add(SeenReadNotice(BOB, 1), now=0)
    seen.check_and_add(SeenMessage(MessageKey(CAROL, 1), content=11), now=0)
    seen.forget_where(lambda key: key.addr == BOB)
    assert len(seen) == 1 and SeenMessage(MessageKey(CAROL, 1), 11) in seen


def test_a_message_and_a_read_notice_with_the_same_number_are_different_keys() -> None:
    seen: DedupCache[SeenKey] = DedupCache(limit=10, ttl=60)
    assert not seen.check_and_add(SeenMessage(MessageKey(BOB, 1), content=11), now=0)
    assert not seen.check_and_add(SeenReadNotice(BOB, 1), now=0)
    assert seen.check_and_add(SeenMessage(MessageKey(BOB, 1), content=11), now=1)
    assert not seen.check_and_add(SeenMessage(MessageKey(BOB, 1), content=12), now=1)
