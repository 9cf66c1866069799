"""Messages both ways with a real iptux: ASCII, Chinese and emoji, each shown exactly once.

iptux runs in its default UTF-8 mode and in a GBK-only configuration (its own code page
and its only candidate GBK). There our side runs with ``--encoding gbk``, as a GBK LAN
would set it: GB18030's four-byte sequences (emoji) would make a GBK-only iptux garble the
whole message, so GBK writes ``?`` for what it cannot hold. iptux, for its part, sends a
text GBK cannot hold in UTF-8, which we read as such.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from ..support.netlab import Lan
from ..support.sniff import Sniffer
from .chatlog import ChatLine
from .iptux import Iptux
from .ours import OurSide, hostname_of, user_of

SENDMSG = 0x20
TEXTS = ("plain ASCII, no surprises", "你好，世界！今天开会吗？", "emoji 🙂 and 表情 🍜")
GBK_SHOWS = ("plain ASCII, no surprises", "你好，世界！今天开会吗？", "emoji ? and 表情 ?")
MODES = [
    pytest.param(None, TEXTS, id="iptux-utf8"),
    pytest.param(
        "gbk",
        GBK_SHOWS,
        id="iptux-gbk-only",
        marks=pytest.mark.iptux(encode="gbk", candidates="gbk"),
    ),
]
SETTLE = 1.0  # how long to watch for a copy that should not come


def wait_chat_log(iptux: Iptux, ready: Callable[[list[ChatLine]], bool]) -> list[ChatLine]:
    """iptux's chat log once ``ready`` holds, and still the same a moment later."""
    deadline = time.monotonic() + 10
    while not ready(lines := iptux.chat_log()):
        assert time.monotonic() < deadline, f"iptux's chat log: {lines}"
        time.sleep(0.1)
    time.sleep(SETTLE)
    return iptux.chat_log()


def from_iptux(iptux: Iptux) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == "message" and e["ip"] == iptux.ip


def joined(iptux: Iptux) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == "peer_joined" and e["ip"] == iptux.ip


@pytest.mark.parametrize(("encoding", "shown"), MODES)
def test_our_messages_show_in_iptux_once(
    iptux: Iptux, ours: OurSide, encoding: str | None, shown: tuple[str, ...]
) -> None:
    for text in TEXTS:
        sent = ours.send(iptux.ip, text, host="them", nick="发送者", encoding=encoding)
        assert sent.returncode == 0, sent.stderr

    lines = wait_chat_log(iptux, lambda lines: len(lines) >= len(TEXTS))
    assert [line.text for line in lines] == list(shown)
    senders = {(line.incoming, line.nick, line.user, line.host) for line in lines}
    assert senders == {(True, "发送者", user_of("them"), hostname_of("them"))}


@pytest.mark.parametrize(("encoding", "shown"), MODES)
def test_iptux_messages_reach_us_once(
    iptux: Iptux,
    ours: OurSide,
    lab: Lan,
    wire: Sniffer,
    encoding: str | None,
    shown: tuple[str, ...],
) -> None:
    listener = ours.listen("us", settled=True, nick="终端用户", encoding=encoding)
    listener.wait_for(joined(iptux))
    for text in TEXTS:
        iptux.gui.send_text(lab["us"].ip, text)
    iptux.gui.close_chat(lab["us"].ip)

    messages = listener.wait_for_all(from_iptux(iptux), len(TEXTS))
    assert [m["text"] for m in messages] == list(TEXTS)  # emoji too: iptux falls back to UTF-8
    assert {m["nick"] for m in messages} == {iptux.config.nick}
    listener.collect(SETTLE)
    assert len([e for e in listener.events if from_iptux(iptux)(e)]) == len(TEXTS)
    # We acknowledged each at once: iptux had no reason to send any twice.
    copies = wire.matching(lambda d: d.src[0] == iptux.ip and d.mode == SENDMSG)
    assert len(copies) == len({d.packet_no for d in copies}) == len(TEXTS)


@pytest.mark.iptux(retry_us=300_000)
def test_iptux_retransmissions_show_once(
    iptux: Iptux, ours: OurSide, lab: Lan, wire: Sniffer
) -> None:
    listener = ours.listen("us", settled=True)
    listener.wait_for(joined(iptux))
    text = "说四遍，只显示一次"
    lab["us"].block_to(iptux.ip)  # our receipts never reach iptux
    try:
        iptux.gui.send_text(lab["us"].ip, text)
        copies = wire.wait_for(lambda d: d.src[0] == iptux.ip and d.mode == SENDMSG, count=4)
        time.sleep(SETTLE)  # the fourth was its last try
    finally:
        lab["us"].unblock_to(iptux.ip)
    iptux.gui.close_chat(lab["us"].ip)

    assert len(wire.matching(lambda d: d.src[0] == iptux.ip and d.mode == SENDMSG)) == 4
    assert len({d.packet_no for d in copies}) == 1
    listener.collect(SETTLE)
    assert [e["text"] for e in listener.events if from_iptux(iptux)(e)] == [text]
    assert [row["text"] for row in ours.history("us")] == [text]


def test_our_retransmissions_show_once_in_iptux(
    iptux: Iptux, ours: OurSide, lab: Lan, wire: Sniffer
) -> None:
    text = "重发几遍，也只显示一次"
    them = lab["them"].ip
    ours_sendmsg = lambda d: d.src[0] == them and d.mode == SENDMSG  # noqa: E731

    def let_receipts_pass_after_the_third_copy() -> None:
        # Waits for the wire, not the clock: on a loaded machine the command may take longer
        # to start than any fixed delay.
        with contextlib.suppress(AssertionError):
            wire.wait_for(ours_sendmsg, count=3, timeout=30)
        lab["iptux"].unblock_to(them)

    lab["iptux"].block_to(them)  # iptux's receipts get lost until the third copy went out
    unblock = threading.Thread(target=let_receipts_pass_after_the_third_copy, daemon=True)
    unblock.start()
    try:
        sent = ours.send(iptux.ip, text, host="them")
    finally:
        unblock.join(35)
        lab["iptux"].unblock_to(them)
    assert sent.returncode == 0, sent.stderr  # a late receipt still counts

    copies = wire.matching(ours_sendmsg)
    assert len(copies) >= 3 and len({d.packet_no for d in copies}) == 1
    lines = wait_chat_log(iptux, lambda lines: len(lines) >= 1)
    assert [line.text for line in lines] == [text]
