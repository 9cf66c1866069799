"""Folder-stream names go to iptux in the code page it reads us in at that moment.

iptux decides that code page from our packets' bytes (UTF-8 after an entry packet that is
valid UTF-8, GB18030 after one that is not or after a GB18030 message, until the next entry),
or from its own setting when it prefers a legacy code page.
"""

from __future__ import annotations

from ipmsg_tui.protocol.engine import Engine

from ..fixtures import real_packets as real
from ..support.wire import make_engine

NOW = 1_800_000_000.0
US = "10.77.0.2"
IPTUX = ("10.77.0.1", 2425)
WINDOWS = ("10.77.0.9", 2425)
IPTUX_GBK_BR_ENTRY = (
    b"1_iptux 0.8.3:1:root:iptux-a:257:\xcd\xbc\xbf\xcb\xcb\xb9\x00\xca\xb5\xd1\xe9\xca\xd2\x00"
    b"icon-tux.png\x00utf-8\x00"
)  # 图克斯 / 实验室 in GBK: an iptux whose own code page is GBK


def started(nick: str) -> Engine:
    engine = make_engine(US, nick, NOW)
    engine.start(NOW)  # our BR_ENTRY goes to the broadcast address: iptux hears it
    return engine


def meet_iptux(engine: Engine, entry: bytes = real.IPTUX_BR_ENTRY) -> None:
    engine.receive_datagram(entry, IPTUX, NOW)
    engine.datagrams_to_send()


def test_after_an_ascii_entry_iptux_reads_our_names_as_utf8() -> None:
    engine = started("bob")
    meet_iptux(engine)
    assert engine.folder_names_codec(IPTUX) == "utf-8"


def test_a_gb18030_message_switches_it_until_our_next_entry() -> None:
    engine = started("bob")
    meet_iptux(engine)
    engine.send_message([IPTUX], "一个文件夹", NOW)
    assert engine.folder_names_codec(IPTUX) == "gb18030"
    engine.send_message([IPTUX], "plain ascii", NOW)  # valid UTF-8: iptux keeps GB18030
    assert engine.folder_names_codec(IPTUX) == "gb18030"
    engine.refresh(NOW)  # a BR_ENTRY: iptux decides afresh from its bytes
    assert engine.folder_names_codec(IPTUX) == "utf-8"


def test_our_answer_to_its_entry_decides_too() -> None:
    engine = started("bob")
    meet_iptux(engine)
    engine.send_message([IPTUX], "一个文件夹", NOW)
    restarted = real.IPTUX_BR_ENTRY.replace(b":1:", b":2:", 1)
    meet_iptux(engine, restarted)  # we answer with an ANSENTRY, ASCII like our nick
    assert engine.folder_names_codec(IPTUX) == "utf-8"


def test_a_chinese_nick_makes_every_entry_gb18030() -> None:
    engine = started("小明")
    meet_iptux(engine)
    assert engine.folder_names_codec(IPTUX) == "gb18030"
    engine.refresh(NOW)
    assert engine.folder_names_codec(IPTUX) == "gb18030"


def test_what_iptux_writes_to_us_shows_how_it_reads_us() -> None:
    engine = started("bob")
    meet_iptux(engine)
    engine.receive_datagram(real.IPTUX_SENDMSG_GB18030, IPTUX, NOW)
    assert engine.folder_names_codec(IPTUX) == "gb18030"
    engine.receive_datagram(real.IPTUX_SENDMSG_UTF8, IPTUX, NOW)
    assert engine.folder_names_codec(IPTUX) == "utf-8"


def test_an_iptux_set_to_gbk_reads_us_so_whatever_our_bytes() -> None:
    engine = started("bob")
    meet_iptux(engine, IPTUX_GBK_BR_ENTRY)
    engine.refresh(NOW)
    assert engine.folder_names_codec(IPTUX) == "gb18030"


def test_other_clients_get_their_own_code_page() -> None:
    engine = started("bob")
    engine.receive_datagram(real.WINDOWS_BR_ENTRY, WINDOWS, NOW)
    engine.send_message([WINDOWS], "一个文件夹", NOW)
    assert engine.folder_names_codec(WINDOWS) == engine.codec_for(WINDOWS)[0] == "utf-8"
