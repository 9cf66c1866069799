"""iptux restarted counts its packet numbers from 1 again; its messages still get through.

The hardest case is set up on purpose: after the restart iptux's message carries exactly
the number, and the text, of its message before the restart. Until then we nudge its
counter: iptux answers every BR_ENTRY with an ANSENTRY, which takes one number.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from ..support.netlab import Lan
from ..support.rawpeer import RawPeer
from ..support.sniff import Datagram, Sniffer
from .iptux import Iptux
from .ours import OurSide

BR_ENTRY, ANSENTRY, SENDMSG = 0x01, 0x03, 0x20
MESSAGE_NUMBER = 40  # iptux's message before and after the restart carries this number
TEXT = "好的"


def from_iptux(iptux: Iptux, kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == kind and e["ip"] == iptux.ip


def next_number_becomes(
    number: int, iptux: Iptux, wire: Sniffer, nudger: RawPeer, since: float
) -> None:
    """Make iptux use up the numbers before ``number`` (counting its packets since ``since``)."""

    def last_used() -> int:
        return max((d.packet_no for d in wire.matching(sent_since)), default=0)

    def sent_since(d: Datagram) -> bool:
        return d.src[0] == iptux.ip and d.at >= since

    own_numbers = iter(range(int(time.time()), 1 << 31))
    while (last := last_used()) < number - 1:
        entry = b"1:%d:nudge:nudge-host:%d:nudge\0\0" % (next(own_numbers), BR_ENTRY)
        nudger.send(entry, iptux.ip)
        wire.wait_for(lambda d, last=last: sent_since(d) and d.packet_no > last)
    assert last == number - 1, f"iptux had already used number {last}"


@pytest.mark.parametrize("how", ["quit", "kill"])
def test_restarted_iptux_gets_its_messages_through(
    how: str, iptux: Iptux, ours: OurSide, lab: Lan, wire: Sniffer
) -> None:
    us = lab["us"].ip
    # Settled: our second BR_ENTRY (5 s after the start) would take an iptux number (its
    # ANSENTRY) at a random time.
    listener = ours.listen("us", settled=True)
    listener.wait_for(from_iptux(iptux, "peer_joined"))
    with RawPeer(lab["them"]) as nudger:
        next_number_becomes(MESSAGE_NUMBER, iptux, wire, nudger, since=0)
        iptux.gui.send_text(us, TEXT)
        iptux.gui.close_chat(us)
        listener.wait_for(from_iptux(iptux, "message"))

        if how == "quit":
            iptux.quit()  # BR_EXIT: we drop it from the list, and keep its last number
            listener.wait_for(from_iptux(iptux, "peer_left"))
        else:
            iptux.kill()  # no BR_EXIT: it stays in our list until it comes back
        restarted = time.monotonic()
        iptux.start(iptux.config, fresh_home=False)
        wire.wait_for(lambda d: d.src[0] == iptux.ip and d.at > restarted and d.packet_no == 1)
        time.sleep(0.5)  # its entry exchange with us settles
        next_number_becomes(MESSAGE_NUMBER, iptux, wire, nudger, since=restarted)
        iptux.gui.send_text(us, TEXT)
        iptux.gui.close_chat(us)

    before, after = wire.wait_for(lambda d: d.src[0] == iptux.ip and d.mode == SENDMSG, count=2)
    assert before.packet_no == after.packet_no == MESSAGE_NUMBER
    assert before.extension == after.extension
    messages = listener.wait_for_all(from_iptux(iptux, "message"), 2)
    assert [m["text"] for m in messages] == [TEXT, TEXT]
    assert [row["text"] for row in ours.history("us")] == [TEXT, TEXT]
