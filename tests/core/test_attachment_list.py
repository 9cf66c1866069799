"""The attachment list in every ending style real clients write."""

from __future__ import annotations

import pytest

from ipmsg_tui.protocol.attachments import Attachment, format_attachments, parse_attachments
from ipmsg_tui.protocol.packet import parse_packet

from ..fixtures import real_packets as real

_ENTRY_ENDINGS = [
    b"1:a.txt:5:6620f1c0:1:\x072:b.txt:6:6620f1c0:1:\x07",  # Windows ":\a"
    b"1:a.txt:5:6620f1c0:1\x072:b.txt:6:6620f1c0:1\x07",  # bare "\a"
    b"1:a.txt:5:6620f1c0:1:\x07:2:b.txt:6:6620f1c0:1:\x07:",  # iptux ":\a:"
    b"1:a.txt:5:6620f1c0:1\x07:2:b.txt:6:6620f1c0:1\x07:",  # "\a:"
]


@pytest.mark.parametrize("raw", _ENTRY_ENDINGS)
def test_every_entry_ending_parses_the_same(raw: bytes) -> None:
    attachments, bad = parse_attachments(raw, "utf-8")
    assert bad == 0
    assert [(a.file_id, a.name, a.size) for a in attachments] == [(1, "a.txt", 5), (2, "b.txt", 6)]


def test_windows_offer_with_escaped_colon() -> None:
    packet = parse_packet(real.WINDOWS_FILE_OFFER)
    attachments, bad = parse_attachments(packet.parts()[1], "utf-8")
    assert bad == 0
    assert attachments == [
        Attachment(1, "report.pdf", 0x1A2B, 0x6620F1C0, 1),
        Attachment(2, "a:b.txt", 0, 0x6620F1C0, 1),
    ]


def test_iptux_folder_offer() -> None:
    packet = parse_packet(real.IPTUX_FOLDER_OFFER)
    (folder,), _ = parse_attachments(packet.parts()[1], "utf-8")
    assert (folder.file_id, folder.name, folder.size, folder.is_dir) == (10001, "docs", 14, True)


def test_malformed_entries_are_skipped_and_counted() -> None:
    raw = b"x:bad:1:1:1:\x071:ok.txt:1:0:1:\x072:noname\x07"
    attachments, bad = parse_attachments(raw, "utf-8")
    assert [a.name for a in attachments] == ["ok.txt"] and bad == 2


def test_format_escapes_colons_and_round_trips() -> None:
    files = [
        Attachment(7, "a:b:c.txt", 10, 0x6620F1C0, 1, ((0x14, 0x6620F1C0),)),
        Attachment(8, "目录", 0, 0x6620F1C0, 2),
    ]
    raw = format_attachments(files, "gb18030")
    assert raw.startswith(b"7:a::b::c.txt:a:6620f1c0:1:14=6620f1c0:\x07")
    assert parse_attachments(raw, "gb18030") == (files, 0)
