"""listen's lines for people follow the language; its JSON records never do."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ipmsg_tui import i18n
from ipmsg_tui.headless.output import event_line, event_record
from ipmsg_tui.protocol import events as ev

DELIVERED = ev.MessageDelivered(addr=("10.77.0.2", 2425), packet_no=42)


@pytest.fixture
def chinese() -> Iterator[None]:
    i18n.install("zh_CN")
    yield
    i18n.install(i18n.ENGLISH)


def test_english_lines_are_as_before() -> None:
    line = event_line(DELIVERED, 0)
    assert line is not None and line.endswith(" delivered message 42 to 10.77.0.2:2425")


def test_lines_are_translated_but_json_is_not(chinese: None) -> None:
    line = event_line(DELIVERED, 0)
    assert line is not None and line.endswith(" 已送达   消息 42 → 10.77.0.2:2425")
    record = event_record(DELIVERED)
    assert record is not None
    assert json.loads(json.dumps(record)) == {
        "event": "message_delivered",
        "ip": "10.77.0.2",
        "port": 2425,
        "packet_no": 42,
    }


def test_a_message_to_several_names_the_others_when_the_sender_did() -> None:
    from ipmsg_tui.protocol.peers import Peer

    taro = Peer(("10.77.0.9", 2425), "taro", "WINPC", nick="Taro")
    others = (("hanako", "HANAKO-PC"), ("jiro", "JIRO"))
    event = ev.MessageReceived(taro, 5, "stand-up", 0.0, multicast=True, others=others)
    line = event_line(event, 0)
    assert line is not None and "(to you and 2 others: hanako, jiro)" in line
    i18n.install("ja")
    try:
        line = event_line(event, 0)
        assert line is not None and "(あなたと他 2 人宛：hanako, jiro)" in line
    finally:
        i18n.install(i18n.ENGLISH)
    record = event_record(event)
    assert record is not None and record["also_to"] == [
        {"user": "hanako", "host": "HANAKO-PC"},
        {"user": "jiro", "host": "JIRO"},
    ]


def test_the_engines_reasons_are_shown_in_the_language(chinese: None) -> None:
    rejected = ev.MessageRejected(
        ("10.77.0.9", 2425), None, 9, "the signature does not match the sender's key (forged?)"
    )
    line = event_line(rejected, 0)
    assert line is not None and line.endswith("签名与发送者的密钥不符（伪造？）"), line
    undecryptable = ev.MessageRejected(("10.77.0.9", 2425), None, 10, "cannot decrypt: bad hex")
    line = event_line(undecryptable, 0)
    assert line is not None and line.endswith("无法解密：bad hex"), line  # the cipher's words
    record = event_record(rejected)
    assert record is not None and record["reason"] == rejected.reason  # JSON stays English
