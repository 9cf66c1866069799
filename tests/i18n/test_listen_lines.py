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
