"""Presence both ways with a real iptux: who lists whom after entries and exits.

iptux's side is read from its GUI: the avatars in its list of online pals, and the chat
window its pal search opens for our address, titled with the nick and host it read from us.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from ..support.netlab import Lan
from ..support.sniff import Sniffer
from .iptux import Iptux
from .ours import OurSide, hostname_of

BR_ENTRY, BR_EXIT = 0x01, 0x02
# Our client announces itself again 5 s after it starts.
OUR_SECOND_ENTRY_AFTER = 5.0


def is_iptux_joining(iptux: Iptux) -> Any:
    return lambda e: e["event"] == "peer_joined" and e["ip"] == iptux.ip


def assert_is_iptux(peer: dict[str, Any], iptux: Iptux) -> None:
    assert (peer["nick"], peer["group"]) == (iptux.config.nick, iptux.config.group)
    assert (peer["user"], peer["host"]) == ("root", iptux.config.hostname)
    assert peer["version"] == "1_iptux 0.8.3"
    assert peer["away"] is False  # iptux sets ABSENCEOPT on every entry; it means nothing


def test_iptux_answers_our_entry_and_each_lists_the_other(
    iptux: Iptux, ours: OurSide, lab: Lan
) -> None:
    listener = ours.listen("us", settled=True, nick="终端用户", group="测试组")
    assert_is_iptux(listener.wait_for(is_iptux_joining(iptux)), iptux)  # from its ANSENTRY

    iptux.gui.wait_online_pals(2)  # itself and us
    chat = iptux.gui.open_chat(lab["us"].ip)
    assert (chat.nick, chat.host) == ("终端用户", hostname_of("us"))
    iptux.gui.close_chat(lab["us"].ip)

    # `who` on a third host lists both, names intact.
    listed = {peer["ip"]: peer for peer in ours.who("them")}
    assert_is_iptux(listed[iptux.ip], iptux)
    assert (listed[lab["us"].ip]["nick"], listed[lab["us"].ip]["group"]) == ("终端用户", "测试组")


def test_we_list_iptux_from_its_own_entry(
    iptux_idle: Iptux, ours: OurSide, lab: Lan, wire: Sniffer
) -> None:
    listener = ours.listen("us", nick="终端用户")  # its BR_ENTRY finds nobody
    started = time.monotonic()
    iptux_idle.start()
    assert_is_iptux(listener.wait_for(is_iptux_joining(iptux_idle)), iptux_idle)
    # Before our second BR_ENTRY, iptux had nothing of ours to answer: what we heard first
    # from it was its own BR_ENTRY.
    assert time.monotonic() - started < OUR_SECOND_ENTRY_AFTER
    towards_us = (lab["us"].ip, lab.broadcast, "255.255.255.255")
    first = wire.matching(lambda d: d.src[0] == iptux_idle.ip and d.dst[0] in towards_us)[0]
    assert first.mode == BR_ENTRY


def test_iptux_quitting_removes_it_from_our_list(
    iptux: Iptux, ours: OurSide, lab: Lan, wire: Sniffer
) -> None:
    listener = ours.listen("us")
    listener.wait_for(is_iptux_joining(iptux))
    iptux.quit()  # Ctrl+Q
    left = listener.wait_for(lambda e: e["event"] == "peer_left" and e["ip"] == iptux.ip)
    assert left["reason"] == "exit"
    # iptux says goodbye by unicast to each pal (BR_EXIT|DIALUPOPT), not by broadcast.
    (goodbye,) = wire.matching(lambda d: d.src[0] == iptux.ip and d.mode == BR_EXIT)
    assert goodbye.dst == (lab["us"].ip, 2425)
    assert iptux.ip not in {peer["ip"] for peer in ours.who("them")}


def test_our_exit_removes_us_from_iptux_list(iptux: Iptux, ours: OurSide, lab: Lan) -> None:
    listener = ours.listen("us", nick="终端用户")
    listener.wait_for(is_iptux_joining(iptux))
    iptux.gui.wait_online_pals(2)  # itself and us
    assert listener.stop(signal.SIGTERM) == 0  # says BR_EXIT
    iptux.gui.wait_online_pals(1)
