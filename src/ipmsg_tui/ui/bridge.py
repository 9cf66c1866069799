"""The node's listener in the app: history first, then a message to the UI.

It runs synchronously on Textual's loop inside the node's step, before that step's datagrams
leave. Only the history write may raise (then the node withholds the RECVMSG and the sender
retries); everything for the screen goes through ``post_message``, so a UI problem can
never cost a peer its receipt.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from ..history import HistoryRecorder
from ..protocol import events as ev
from . import messages as ui


class EngineBridge:
    def __init__(self, recorder: HistoryRecorder, post: Callable[[Message], object]) -> None:
        self.recorder = recorder
        self._post = post

    def __call__(self, event: ev.Event) -> bool | None:
        rows = self.recorder.on_event(event)
        if rows is None:
            return False  # a retransmission of a message already kept: shown once
        match event:
            case ev.MessageReceived(peer=peer):
                # The recorder asked is_read() just now; the answer decides the unread mark.
                unread = not self.recorder.is_read(peer.key)
                self._post(ui.MessageArrived(rows[0], peer, unread))
            case ev.PeerJoined(peer=peer):
                self._post(ui.PeerOnline(peer))
            case ev.PeerChanged(peer=peer, previous=previous):
                self._post(ui.PeerOnline(peer, previous))
            case ev.PeerLeft(peer=peer, reason=reason):
                self._post(ui.PeerOffline(peer, reason))
            case ev.MessageDelivered() | ev.MessageFailed() | ev.MessageOpened():
                if rows:
                    self._post(ui.MessagesUpdated(rows))
            case ev.InfoReceived(addr=addr, kind=kind, text=text):
                self._post(ui.InfoAnswered(addr, kind, text))
            case ev.InfoFailed(addr=addr, kind=kind):
                self._post(ui.InfoAnswered(addr, kind, None))
            case ev.UnsupportedPacket(addr=addr, peer=peer, reason=reason):
                self._post(ui.PeerNotice(addr, peer, reason))
        return None
