"""Pinned peer keys survive in the history database and can be re-pinned."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.store import HistoryStore


def test_pins_persist_and_are_replaced_on_accept(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    assert store.pinned_keys() == {}
    store.pin_key("taro@WINPC", b"\x30\x82old", "AAAA BBBB", 1.0)
    store.pin_key("feiq@PC", b"\x30\x81feiq", "CCCC DDDD", 2.0)
    store.close()
    again = HistoryStore(path)
    assert again.pinned_keys() == {"taro@WINPC": b"\x30\x82old", "feiq@PC": b"\x30\x81feiq"}
    again.pin_key("taro@WINPC", b"\x30\x82new", "EEEE FFFF", 3.0)  # the user accepted it
    assert again.pinned_keys()["taro@WINPC"] == b"\x30\x82new"
    assert again.pinned_fingerprint("taro@WINPC") == "EEEE FFFF"
    assert again.pinned_fingerprint("nobody@x") is None
    again.close()
