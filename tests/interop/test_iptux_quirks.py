"""Where iptux does not do what the protocol asks, we stay correct and claim nothing wrong.

iptux shows a sealed message at once and never sends READMSG, so our sealed message stays
"delivered", never "opened". It never answers GETINFO or GETABSENCEINFO, so our requests
end as "no answer" (InfoFailed) after their retries, and nothing else changes.
"""

from __future__ import annotations

import time

from ..support.netlab import Lan
from ..support.sniff import Sniffer
from .iptux import Iptux
from .ours import OurSide

READMSG, GETINFO, SENDINFO, GETABSENCEINFO, SENDABSENCEINFO = 0x30, 0x40, 0x41, 0x50, 0x51
SEALED_FLAG = 1  # ipmsg_tui.store.Flag.SEALED
RETRY_COUNT = 5  # our default: sends in all, the first included


def test_sealed_message_to_iptux_stays_delivered_never_opened(
    iptux: Iptux, ours: OurSide, lab: Lan, wire: Sniffer
) -> None:
    text = "密封的消息：只给你看"
    sent = ours.send(iptux.ip, text, "--sealed", host="them")
    assert (sent.returncode, sent.stdout) == (0, "")  # delivered, and nothing more claimed

    # Our node stays up on the same host and history, in case a read notice comes ...
    listener = ours.listen("them", settled=True)
    # ... while iptux shows the message at once (SECRETOPT means nothing to it) and its
    # user reads it in the chat window.
    deadline = time.monotonic() + 5
    while [line.text for line in iptux.chat_log()] != [text]:
        assert time.monotonic() < deadline, iptux.chat_log()
        time.sleep(0.1)
    iptux.gui.open_chat(lab["them"].ip)
    listener.collect(3.0)
    iptux.gui.close_chat(lab["them"].ip)

    assert not wire.matching(lambda d: d.src[0] == iptux.ip and d.mode == READMSG)
    assert not [e for e in listener.events if e["event"] == "message_opened"]
    (row,) = ours.history("them")
    assert (row["text"], row["direction"], row["state"]) == (text, "out", "delivered")
    assert row["flags"] & SEALED_FLAG


def test_getinfo_to_iptux_ends_as_no_answer(
    iptux: Iptux, ours: OurSide, lab: Lan, wire: Sniffer
) -> None:
    events = ours.drive("us", "--ask", iptux.ip, "--retry-interval", "0.2")

    outcomes = sorted((e["event"], e["kind"]) for e in events if e["event"].startswith("Info"))
    assert outcomes == [("InfoFailed", "absence"), ("InfoFailed", "version")]
    us = lab["us"].ip
    for request in (GETINFO, GETABSENCEINFO):
        asked = wire.matching(lambda d, r=request: d.src[0] == us and d.mode == r)
        assert len(asked) == RETRY_COUNT
    answers = (SENDINFO, SENDABSENCEINFO)
    assert not wire.matching(lambda d: d.src[0] == iptux.ip and d.mode in answers)
    # iptux is none the worse for it: it still takes messages.
    assert ours.send(iptux.ip, "还在吗？", host="them").returncode == 0
