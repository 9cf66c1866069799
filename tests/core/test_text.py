"""Code pages, detection, and what may reach a terminal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipmsg_tui.protocol import text


def test_detects_utf8_and_falls_back_to_the_legacy_code_page() -> None:
    assert text.detect_codec("你好".encode(), "gb18030") == "utf-8"
    assert text.detect_codec("你好".encode("gbk"), "gb18030") == "gb18030"
    assert text.detect_codec(b"plain ascii", "cp932") == "utf-8"


def test_decoding_never_raises() -> None:
    assert text.decode(b"\xff\xfe\xfd", "utf-8") == "\ufffd\ufffd\ufffd"
    assert "\ufffd" in text.decode(b"\x81", "cp932")


def test_gb18030_reads_gbk_and_carries_emoji() -> None:
    assert text.decode("中文".encode("gbk"), "gb18030") == "中文"
    assert text.decode(text.encode("emoji 👋", "gb18030"), "gb18030") == "emoji 👋"


def test_cp932_replaces_what_it_cannot_hold() -> None:
    assert text.encode("こんにちは👋", "cp932") == "こんにちは".encode("cp932") + b"?"


def test_codec_names_are_normalised_and_checked() -> None:
    assert text.normalize_codec("GBK") == "gbk"
    assert text.normalize_codec("shift_jis") == "shift_jis"
    with pytest.raises(text.UnknownCodec):
        text.normalize_codec("klingon")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("hello\x1b[2J\x1b[31mred", "hellored"),
        ("title\x1b]0;pwned\x07 ok", "title ok"),
        ("bell\x07 and nul\x00", "bell and nul"),
        ("abc\u202edcba", "abcdcba"),  # right-to-left override
        ("csi\x9b31m", "csi31m"),
        ("line1\r\nline2\rline3", "line1\nline2\nline3"),
        ("tab\tkept\nnewline kept", "tab\tkept\nnewline kept"),
        ("family 👨\u200d👩\u200d👧 stays joined", "family 👨\u200d👩\u200d👧 stays joined"),
    ],
)
def test_clean_text_neutralises_terminal_tricks(raw: str, clean: str) -> None:
    assert text.clean_text(raw) == clean


def test_clean_name_is_one_bounded_line() -> None:
    assert text.clean_name("a\nb\tc\x1b[1m", limit=80) == "a b c"
    assert len(text.clean_name("x" * 500)) == 80


@given(st.text())
def test_clean_text_leaves_no_control_characters(value: str) -> None:
    cleaned = text.clean_text(value)
    assert all(ch in "\n\t" or not (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0) for ch in cleaned)
    assert "\x1b" not in cleaned and "\u202e" not in cleaned


@given(st.text())
def test_the_printable_shortcut_cleans_like_the_full_scan(value: str) -> None:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    assert text.clean_text(value) == text._remove_unsafe(value)


def test_split_to_fit_respects_the_limit_and_keeps_every_character() -> None:
    message = "字" * 5000 + " tail"
    measure = lambda piece: len(piece.encode("gb18030"))  # noqa: E731
    pieces = text.split_to_fit(message, measure, 1000, 3000)
    assert "".join(pieces) == message
    assert measure(pieces[0]) <= 1000
    assert all(measure(p) <= 3000 for p in pieces)


def test_truncate_encoded_never_splits_a_character() -> None:
    assert text.truncate_encoded("中文名字", "gb18030", 5) == "中文"
    assert text.truncate_encoded("中文名字", "utf-8", 5) == "中"
