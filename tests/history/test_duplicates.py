"""Which received messages the history keeps once, and which twice."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.history import HistoryRecorder
from ipmsg_tui.protocol.events import MessageReceived
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import HistoryStore

IPTUX = Peer(addr=("10.77.0.1", 2425), user="root", host="iptux-a", nick="图克斯")
T0 = 1_800_000_000.0


def message(packet_no: int, text: str, at: float) -> MessageReceived:
    return MessageReceived(peer=IPTUX, packet_no=packet_no, text=text, timestamp=at)


def texts(store: HistoryStore) -> list[str]:
    return [m.text for m in store.messages(IPTUX.key)]


def test_a_retransmission_of_what_an_earlier_run_kept_is_not_kept_again(tmp_path: Path) -> None:
    # Killed after the commit, before the RECVMSG left: the sender retransmits to our next run.
    store = HistoryStore(tmp_path / "h.sqlite3")
    assert HistoryRecorder(store, started=T0).on_event(message(7, "好的", T0 + 1))
    next_run = HistoryRecorder(store, started=T0 + 3)
    assert next_run.on_event(message(7, "好的", T0 + 4)) is None
    assert texts(store) == ["好的"]


def test_a_restarted_sender_reusing_a_number_and_text_is_kept_again(tmp_path: Path) -> None:
    # iptux counts packets from 1 on every start: its second "好的" after a restart can carry
    # the number of the first. The running engine told them apart (it saw the new BR_ENTRY).
    store = HistoryStore(tmp_path / "h.sqlite3")
    recorder = HistoryRecorder(store, started=T0)
    assert recorder.on_event(message(7, "好的", T0 + 1))
    assert recorder.on_event(message(7, "好的", T0 + 30))
    assert texts(store) == ["好的", "好的"]
