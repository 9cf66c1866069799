"""Entry extensions: classic, with the Windows UTF-8 trailer, and iptux's."""

from __future__ import annotations

import pytest

from ipmsg_tui.protocol.entry import build_entry, parse_entry
from ipmsg_tui.protocol.packet import parse_packet, split_parts

from ..fixtures import real_packets as real


def test_windows_trailer_wins_over_legacy_fields() -> None:
    info = parse_entry(parse_packet(real.WINDOWS_BR_ENTRY).parts(), "gb18030")
    assert (info.nick, info.group, info.user, info.host) == ("太郎", "开发部", "taro", "PC01")
    assert info.windows_version == "00010002:4:9:9"


def test_trailer_names_override_header_names() -> None:
    info = parse_entry(parse_packet(real.WINDOWS_BR_ENTRY_CP932).parts(), "cp932")
    assert (info.user, info.nick, info.group) == ("yamada", "山田[会議中]", "営業部")


def test_trailer_in_part1_means_no_group() -> None:
    info = parse_entry([b"nick", b"\nUN:u\nHN:h\nNN:Nick"], "utf-8")
    assert (info.nick, info.group, info.user) == ("Nick", "", "u")


def test_iptux_extension_gives_its_encoding_and_ignores_the_icon() -> None:
    info = parse_entry(parse_packet(real.IPTUX_BR_ENTRY).parts(), "utf-8")
    assert (info.nick, info.group, info.iptux_encoding, info.user) == (
        "iptux-peer",
        "lab",
        "utf-8",
        None,
    )


def test_classic_gbk_entry_of_feiq() -> None:
    info = parse_entry(parse_packet(real.FEIQ_BR_ENTRY).parts(), "gb18030")
    assert (info.nick, info.group) == ("张三", "市场部")


def test_names_with_escapes_are_neutralised() -> None:
    info = parse_entry([b"evil\x1b[2Jnick", b"g\x07"], "utf-8")
    assert (info.nick, info.group) == ("evilnick", "g")


def test_our_entry_is_legacy_coded_with_a_utf8_trailer() -> None:
    ext = build_entry("山田", "営業部", "yamada", "jupiter", "cp932")
    parts = split_parts(ext)
    assert parts[0] == "山田".encode("cp932") and parts[1] == "営業部".encode("cp932")
    assert parts[2] == "\nUN:yamada\nHN:jupiter\nNN:山田\nGN:営業部".encode()
    assert ext.endswith(b"\x00")
    # A Windows-style reader and a legacy reader both get the names right.
    assert parse_entry(parts, "cp932").nick == "山田"
    assert parse_entry(parts[:2], "cp932").group == "営業部"


def test_ascii_names_keep_the_trailer_in_a_gb_code_page() -> None:
    parts = split_parts(build_entry("Ming", "dev", "aming", "pc-01", "gb18030"))
    assert parts == [b"Ming", b"dev", b"\nUN:aming\nHN:pc-01\nNN:Ming\nGN:dev"]


@pytest.mark.parametrize(
    ("nick", "group"), [("阿明", "开发部"), ("终端用户", "测试组"), ("终端用户", ""), ("一二", "")]
)
def test_no_trailer_that_would_make_iptux_misread_gbk_names(nick: str, group: str) -> None:
    # iptux decodes the whole packet with one code page (gb18030, or gbk when so set).
    ext = build_entry(nick, group, "aming", "pc-01", "gb18030")
    assert ext == nick.encode("gbk") + b"\0" + group.encode("gbk") + b"\0"
    assert ext.decode("gbk") == ext.decode("gb18030") == f"{nick}\0{group}\0"
