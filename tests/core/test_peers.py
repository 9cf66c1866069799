"""The peer table's hot-path helpers stay equivalent to the plain dataclass operations."""

from __future__ import annotations

from dataclasses import fields, replace

from ipmsg_tui.protocol.peers import Peer, heard_from


def test_heard_from_is_replace_with_every_field_carried_over() -> None:
    values = {
        "addr": ("10.77.0.5", 2426),
        "user": "taro",
        "host": "PC01",
        "nick": "太郎",
        "group": "开发部",
        "away": True,
        "away_text": "lunch",
        "version": "1_iptux 0.8.3",
        "capabilities": 0x01200000,
        "dialup": True,
        "last_seen": 5.0,
        "announced": True,
        "confirmed": False,
        "codec": "gb18030",
        "iptux_encoding": "utf-8",
        "encoding_override": "cp932",
        "twin": True,
    }
    # A field added to Peer must be added here, and to heard_from.
    assert set(values) == {f.name for f in fields(Peer)}
    peer = Peer(**values)  # type: ignore[arg-type]
    assert heard_from(peer, 9.0) == replace(peer, last_seen=9.0, confirmed=True)
