"""The full-screen messenger: peers on the left, the conversation on the right.

The app only reacts to engine events and calls engine methods. Its node and file service run
on Textual's own loop (created in ``on_mount``); the node's listener (:class:`EngineBridge`)
stores each event in the history and posts a Textual message, the file service's listener
(:class:`FileBridge`) posts its events; both are handled below.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import ClassVar, TypeVar

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, OptionList

from ..config import Settings
from ..history import HistoryRecorder
from ..net.binding import SocketPlan
from ..net.files import FileService
from ..net.node import Node, open_udp_socket
from ..net.tcp import open_tcp_socket
from ..protocol.engine import EngineConfig, EngineError
from ..session import build_file_service, engine_config
from ..store import EVERYONE, Flag, HistoryStore, MessageState, StoredMessage
from . import messages as ui
from .actions import PeerSearch, UserCommands
from .alerts import MessageAlerts
from .attachbar import AttachmentBar
from .bars import ChatHeader, StatusBar
from .bridge import EngineBridge
from .chatlog import ChatLog
from .chatrender import preview
from .composer import Composer
from .fileactions import FileCommands
from .fileboard import FileBoard
from .filebridge import FileBridge
from .filenews import FileNews
from .roster import Contact, Roster
from .screens.peer_info import PeerInfoScreen
from .sidebar import PeerList, Sidebar
from .window import ConversationWindow

log = logging.getLogger(__name__)
W = TypeVar("W", bound=Widget)

# Presence toasts wait until the first wave of answers to our BR_ENTRY is over.
QUIET_START = 3.0
SIDEBAR_DELAY = 0.05
SIDEBAR_MAX_DELAY = 0.5  # while the list keeps changing (a flood), at most twice a second
SIDEBAR_BUSY = 5  # rebuilds within a second that mean it keeps changing
_GOODBYE_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
FILES = Binding.Group("Files", compact=True)


class MessengerApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "IP Messenger"
    COMMANDS = App.COMMANDS | {PeerSearch}
    # App annotates this as an instance attribute, so a ClassVar here would not type-check.
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-narrow"),
        (90, "-normal"),
        (130, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f2", "toggle_away", "Away", tooltip="Away on/off, with a message"),
        Binding("f3", "peer_info", "Info", tooltip="What the selected peer runs and supports"),
        Binding("f1", "toggle_keys", "Keys", tooltip="Show or hide the keys of the focused pane"),
        Binding("f5", "refresh", "Refresh", show=False),
        # One footer entry for both: "^f ^t Files" fits where two would not.
        Binding(
            "ctrl+f",
            "attach",
            "Attach",
            tooltip="ctrl+f: attach files or folders to the message",
            group=FILES,
        ),
        Binding(
            "ctrl+t",
            "transfers",
            "Transfers",
            tooltip="ctrl+t: uploads and downloads",
            group=FILES,
        ),
        Binding("ctrl+o", "open_sealed", "Open sealed", show=False),
        Binding("ctrl+r", "resend_failed", "Resend", show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        store: HistoryStore | None = None,
        sock: socket.socket | None = None,
        tcp_sock: socket.socket | None = None,
        engine: tuple[EngineConfig, SocketPlan] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.engine_config, self.socket_plan = engine or engine_config(settings)
        self._own_store = store is None
        self.store = store if store is not None else HistoryStore(settings.history_path)
        self._sock = sock
        self._tcp_sock = tcp_sock
        self.clock = clock
        self.recorder = HistoryRecorder(self.store, is_read=self.is_open)
        self.bridge = EngineBridge(self.recorder, self.post_message)
        self.node: Node | None = None
        self.files: FileService | None = None
        self.board = FileBoard()
        self.file_bridge = FileBridge(self.post_message)
        self.roster = Roster()
        self.open_key: str | None = None
        self.seal_next = False
        self._drafts: dict[str, str] = {}
        self._widgets: dict[type[Widget], Widget] = {}
        self._filter = ""
        self._sidebar_pending = False
        self._sidebar_delay = SIDEBAR_DELAY
        self._sidebar_builds: deque[float] = deque()  # when it was rebuilt, last second
        self._started_at = time.monotonic()
        self.quiet_start = QUIET_START  # seconds without presence toasts after start
        self.commands = UserCommands(self)
        self.alerts = MessageAlerts(self)
        self.file_commands = FileCommands(self)
        self.file_news = FileNews(self)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            yield Sidebar(id="sidebar")
            with Vertical(id="chat"):
                yield ChatHeader(id="chat-header")
                yield ChatLog(id="log")
                yield AttachmentBar(id="attachments")
                yield Composer(id="composer")
        yield Footer(compact=True)

    def _widget(self, kind: type[W]) -> W:
        """The one ``kind`` of the main screen, found once: a query walks the whole DOM, and
        on a busy LAN the handlers ask for these thousands of times a second."""
        found = self._widgets.get(kind)
        if found is None:
            found = self._widgets[kind] = self.query_one(kind)
        assert isinstance(found, kind)
        return found

    @property
    def peer_list(self) -> PeerList:
        return self._widget(PeerList)

    @property
    def chat_log(self) -> ChatLog:
        return self._widget(ChatLog)

    @property
    def composer(self) -> Composer:
        return self._widget(Composer)

    async def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.watch(self, "theme", self._theme_changed, init=False)
        self.chat_log.clock = self.clock
        self.chat_log.offer_view = self.file_news.offer_view
        self.peer_list.type_into = self.composer
        self._widget(AttachmentBar).display = False
        self._started_at = time.monotonic()
        self.roster.load(self.store.conversations())
        self.node = Node(self.engine_config, self.socket_plan, [self.bridge], clock=self.clock)
        self.files = build_file_service(self.settings, self.node)
        self.board.service = self.files
        self.files.listeners.append(self.file_bridge)
        # TCP first (as the commands do): nobody hears of us before we can serve files.
        await self.files.start(sock=self._tcp_sock)
        self._tcp_sock = None  # the file service owns it now
        await self.node.start(sock=self._sock)
        self._sock = None  # the node owns it now
        self.refresh_status()
        self.rebuild_sidebar()
        self.peer_list.highlight_key(EVERYONE)
        self.open_conversation(EVERYONE)
        self.peer_list.focus()
        self.set_interval(60, self.chat_log.refresh_days)
        if not self.is_headless:  # a kill or a closed terminal still says goodbye
            loop = asyncio.get_running_loop()
            for signum in _GOODBYE_SIGNALS:
                loop.add_signal_handler(signum, self._quit_on_signal)
        waiting = [c for c in self.roster.contacts.values() if c.unread]
        if waiting:  # kept since last time: say so, but leave them unread until opened
            names = ", ".join(c.name for c in waiting[:3]) + (" …" if len(waiting) > 3 else "")
            total = sum(c.unread for c in waiting)
            self.notify(f"{total} unread from {names}", title="While you were away", markup=False)

    def _quit_on_signal(self) -> None:
        self.run_worker(self.action_quit(), exclusive=True, group="quit")

    async def on_unmount(self) -> None:
        if not self.is_headless:
            loop = asyncio.get_running_loop()
            for signum in _GOODBYE_SIGNALS:
                loop.remove_signal_handler(signum)
        await self.stop_node()
        if self._own_store:
            self.store.close()
        for sock in (self._sock, self._tcp_sock):
            if sock is not None:
                sock.close()

    async def stop_node(self) -> None:
        """Stop serving files (running transfers end), then say goodbye (BR_EXIT) once."""
        if self.files is not None:
            await self.files.stop()
        if self.node is not None and self.node.running:
            await self.node.stop()

    async def action_quit(self) -> None:
        await self.stop_node()
        self.exit(0)

    # ------------------------------------------------------------------ state

    def is_open(self, key: str) -> bool:
        """Whether the conversation is on screen (then its messages arrive read)."""
        return key == self.open_key

    @property
    def my_nick(self) -> str:
        return self.node.engine.nick if self.node is not None else self.settings.display_nick

    def my_addresses(self) -> list[str]:
        if self.settings.bind:
            return [self.settings.bind]
        return sorted(
            (ip for ip in self.engine_config.local_ips if not ipaddress.ip_address(ip).is_loopback),
            key=ipaddress.ip_address,
        )

    @property
    def open_contact(self) -> Contact | None:
        return self.roster.get(self.open_key) if self.open_key is not None else None

    def refresh_status(self) -> None:
        engine = self.node.engine if self.node is not None else None
        self._widget(StatusBar).show(
            nick=self.my_nick,
            group=engine.group if engine is not None else self.settings.group,
            key=f"{self.settings.user}@{self.settings.host}",
            addresses=self.my_addresses(),
            away=engine.away if engine is not None else False,
            away_text=engine.away_text if engine is not None else "",
            online=self.roster.online_count,
            unread=self.roster.unread_total,
            transfers=sum(1 for t in self.board.transfers.values() if not t.state.finished),
        )

    def schedule_sidebar(self) -> None:
        """Rebuild the list soon: a burst of joins costs one rebuild, not one each. While
        the list keeps changing, each wait doubles (up to SIDEBAR_MAX_DELAY): the time the
        app spends redrawing it goes back to reading its socket."""
        if self._sidebar_pending:
            return
        self._sidebar_pending = True
        recent, now = self._sidebar_builds, time.monotonic()
        while recent and recent[0] < now - 1.0:
            recent.popleft()
        if len(recent) >= SIDEBAR_BUSY:
            self._sidebar_delay = min(self._sidebar_delay * 2, SIDEBAR_MAX_DELAY)
        else:
            self._sidebar_delay = SIDEBAR_DELAY
        self.set_timer(self._sidebar_delay, self.rebuild_sidebar)

    @property
    def torn_down(self) -> bool:
        """The widgets are gone (the app is closing); late timers and events find nothing."""
        peers = self._widgets.get(PeerList)
        return peers is None or not peers.is_attached

    def rebuild_sidebar(self) -> None:
        self._sidebar_pending = False
        self._sidebar_builds.append(time.monotonic())
        if self.torn_down:
            return
        rows = self.roster.rows(self._filter, self.open_key)
        # The highlighted row, not the open one: a move in the list opens its row only when
        # its message is handled, and a rebuild in between must not move the highlight back.
        keep = self.peer_list.highlighted_key or self.open_key
        self.peer_list.show(rows, keep=keep)
        self.refresh_status()

    def refresh_chat_header(self) -> None:
        self._widget(ChatHeader).show(self.open_contact, self.settings.port)
        contact = self.open_contact
        if contact is None:
            return
        composer = self.composer
        also = [] if contact.is_everyone else self._marked_besides(contact)
        composer.border_title = "To " + ", ".join([contact.name, *(c.name for c in also)])
        composer.border_subtitle = "🔒 sealed" if self.seal_next else ""
        if contact.is_everyone:
            composer.placeholder = "Message everyone on the LAN (broadcast, no receipts)"
        elif self.file_commands.waiting(contact.key):
            composer.placeholder = "Add a few words if you like · Enter sends the files"
        else:
            composer.placeholder = f"Message {contact.name} · Enter sends, Ctrl+J new line"

    def _marked_besides(self, contact: Contact) -> list[Contact]:
        """The contacts marked in the sidebar as recipients too, ``contact`` left out."""
        marked = sorted(self.peer_list.marked - {contact.key})
        return [c for c in map(self.roster.get, marked) if c is not None]

    @on(PeerList.MarksChanged)
    def _marks_changed(self) -> None:
        self.refresh_chat_header()

    # ------------------------------------------------------------------ conversations

    def open_conversation(self, key: str) -> None:
        if key == self.open_key or self.roster.get(key) is None:
            return
        previous = self.roster.get(self.open_key) if self.open_key is not None else None
        self._keep_draft()
        self.open_key = key
        self.seal_next = False  # sealing is for one message to one peer
        self.composer.load_text(self._drafts.pop(key, ""))
        self.show_attachments()
        contact = self.roster.contacts[key]
        # The list changes only if a badge goes, or the conversation left may leave it.
        relist = bool(contact.unread) or (
            previous is not None and not previous.is_online and not previous.last_ts
        )
        window = ConversationWindow(self.store, key)
        window.open()
        if contact.is_everyone:
            hint = "Nothing sent to everyone yet. A message here goes to the whole LAN."
        else:
            hint = f"No messages with {contact.name} yet. Say hello!"
        self.chat_log.open(window, hint)
        if contact.unread:
            self.store.mark_read(key)
            self.roster.mark_read(key)
        if contact.away and not contact.away_text and contact.peer is not None and self.node:
            self.node.request_info(contact.peer.addr, "absence")  # the away text, as Windows
        self.refresh_chat_header()
        if relist:
            self.schedule_sidebar()

    def _keep_draft(self) -> None:
        """What was typed for the conversation being left waits for it, not for the next."""
        if self.open_key is None:
            return
        text = self.composer.text
        if text.strip():
            self._drafts[self.open_key] = text
        else:
            self._drafts.pop(self.open_key, None)

    @on(OptionList.OptionHighlighted, "#peers")
    def _peer_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id is not None and self.roster.get(event.option_id) is not None:
            self.open_conversation(event.option_id)

    @on(OptionList.OptionSelected, "#peers")
    def _peer_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option_id is not None and self.roster.get(event.option_id) is not None:
            self.open_conversation(event.option_id)
            self.composer.focus()

    @on(Sidebar.FilterChanged)
    def _filter_changed(self, event: Sidebar.FilterChanged) -> None:
        self._filter = event.text
        self.rebuild_sidebar()

    @on(Composer.Leave)
    def _composer_left(self) -> None:
        self.peer_list.focus()

    def action_focus_composer(self) -> None:
        self.composer.focus()

    # ------------------------------------------------------------------ sending

    @on(Composer.Submitted)
    def _send(self, event: Composer.Submitted) -> None:
        contact = self.open_contact
        if contact is None or self.node is None:
            return
        if self.file_commands.waiting(contact.key):
            self.file_commands.send(contact, event.text, sealed=self.seal_next)
            self._unseal()
            return
        also = sorted(self.peer_list.marked - {contact.key})
        if also and not contact.is_everyone:
            self.send_to_several(contact, also, event.text)
            return
        now = self.clock()
        try:
            if contact.is_everyone:
                sent = self.node.broadcast_message(event.text)
                rows = self.recorder.record_broadcast(sent, self.my_nick, now)
            else:
                recipient = contact.recipient()
                if recipient is None:
                    self.notify(f"No address known for {contact.name}", severity="error")
                    return
                sealed = self.seal_next
                sent = self.node.send_message([recipient.addr], event.text, sealed=sealed)
                rows = self.recorder.record_sent(
                    sent, [recipient], self.my_nick, now, sealed=sealed
                )
        except EngineError as error:
            log.warning("not sent to %s: %s", contact.key, error)
            self.notify(str(error), title="Not sent", severity="error")
            return
        self._unseal()
        self.show_sent(contact, rows)

    def send_to_several(self, contact: Contact, also: list[str], text: str) -> None:
        """One message to ``contact`` and the marked contacts ``also`` (MULTICASTOPT),
        shown once; the marks are cleared once it is sent."""
        assert self.node is not None
        whom = [c for c in (contact, *map(self.roster.get, also)) if c is not None]
        peers = [peer for c in whom if (peer := c.recipient()) is not None]
        if len(peers) < len(whom):
            self.notify("No address known for some marked peers", severity="error")
            return
        sealed = self.seal_next
        try:
            sent = self.node.send_message([p.addr for p in peers], text, sealed=sealed)
        except EngineError as error:
            log.warning("not sent to %d peers: %s", len(peers), error)
            self.notify(str(error), title="Not sent", severity="error")
            return
        rows = self.recorder.record_sent(sent, peers, self.my_nick, self.clock(), sealed=sealed)
        self.peer_list.clear_marks()
        self._unseal()
        for other in whom[1:]:
            self.roster.note_message(other.key, rows[0].ts)
        self.show_sent(contact, rows)

    def _unseal(self) -> None:
        if self.seal_next:
            self.seal_next = False
            self.refresh_chat_header()

    def show_sent(self, contact: Contact, rows: list[StoredMessage]) -> None:
        """Messages we just sent (and stored): in the chat if it is open, and in the list."""
        if contact.key == self.open_key:
            for row in rows:
                self.chat_log.add(row)
        if len(rows) > 1 and not contact.is_everyone:
            self.notify(f"Too long for one packet: sent as {len(rows)} messages", timeout=3)
        if rows:
            self.roster.note_message(contact.key, rows[0].ts)
        self.schedule_sidebar()

    def restore_draft(self, key: str, text: str) -> None:
        """Text whose sending failed goes back where it was typed (unless more was typed)."""
        if not text:
            return
        if key == self.open_key and not self.composer.text.strip():
            self.composer.load_text(text)
        elif key != self.open_key and key not in self._drafts:
            self._drafts[key] = text

    def action_toggle_seal(self) -> None:
        contact = self.open_contact
        if contact is not None and contact.is_everyone:
            self.notify("Broadcast messages cannot be sealed", severity="warning", timeout=3)
            return
        self.seal_next = not self.seal_next
        self.refresh_chat_header()

    def resend(self, row: StoredMessage) -> None:
        """Send a message that was not delivered again, in its place in the conversation."""
        if self.node is None:
            return
        if row.recipients:
            self.resend_to_missing(row)
            return
        contact = self.roster.get(row.conversation)
        recipient = contact.recipient() if contact is not None else None
        if row.attachments:
            if recipient is None:
                self.notify("No address known for this peer", severity="error")
            else:
                self.file_commands.resend(row, recipient)
            return
        addr = recipient.addr if recipient is not None else row.addr
        try:
            sent = self.node.send_message([addr], row.text, sealed=row.sealed)
        except EngineError as error:
            log.warning("not resent to %s: %s", row.conversation, error)
            self.notify(str(error), title="Not sent", severity="error")
            return
        self.chat_log.update(self.store.requeue(row.id, addr, sent[0].packet_no))
        extra = self.recorder.record_sent(
            sent[1:], [recipient], self.my_nick, self.clock(), sealed=row.sealed
        )
        for part in extra:
            self.chat_log.add(part)

    def resend_to_missing(self, row: StoredMessage) -> None:
        """A message to several peers, sent again to those that did not get it (the same
        text, MULTICASTOPT kept); the others are not bothered twice."""
        assert self.node is not None
        if row.attachments:  # a new offer to some of them: not yet
            self.notify("Send the files again to those who missed them", severity="warning")
            return
        missing = [recipient.addr for recipient in row.not_delivered]
        try:
            sent = self.node.send_message(missing, row.text, sealed=row.sealed, multicast=True)
        except EngineError as error:
            log.warning("not resent to %d recipients: %s", len(missing), error)
            self.notify(str(error), title="Not sent", severity="error")
            return
        self.chat_log.update(self.recorder.record_resent(row, sent))

    def open_sealed(self, row: StoredMessage) -> None:
        """Show a sealed message and tell its sender it was opened (READMSG)."""
        if self.node is None:
            return
        self.node.open_sealed(row.addr, row.packet_no, bool(row.flags & Flag.READ_CHECK))
        self.chat_log.update(self.store.set_state_by_id(row.id, MessageState.OPENED))

    @on(ChatLog.Activated)
    def _message_activated(self, event: ChatLog.Activated) -> None:
        row = event.row
        if row.incoming and row.state is MessageState.SEALED:
            self.open_sealed(row)
        elif row.incoming and row.attachments:
            self.file_commands.activate(row)
        elif not row.incoming and row.state is MessageState.FAILED:
            self.resend(row)

    def action_open_sealed(self) -> None:
        """Open the oldest sealed message of the conversation that is still sealed."""
        sealed = [r for r in self.chat_log.rows if r.incoming and r.state is MessageState.SEALED]
        if sealed:
            self.open_sealed(sealed[0])
        else:
            self.notify("No sealed message here", timeout=2)

    def action_resend_failed(self) -> None:
        failed = [
            r for r in self.chat_log.rows if not r.incoming and r.state is MessageState.FAILED
        ]
        for row in failed:
            self.resend(row)
        if not failed:
            self.notify("Nothing to resend here", timeout=2)

    # ------------------------------------------------------------------ engine events

    def _quiet_period(self) -> bool:
        return time.monotonic() - self._started_at < self.quiet_start

    def _worth_a_toast(self, contact: Contact) -> bool:
        """Presence toasts only for people one talks to, and not in the opening burst."""
        return not self._quiet_period() and (contact.last_ts > 0 or contact.key == self.open_key)

    def on_peer_online(self, message: ui.PeerOnline) -> None:
        if self.torn_down:  # closing: nothing left to show it in (the history has it)
            return
        previous = message.previous
        if previous is not None and previous.key != message.peer.key:
            # Same address, another identity (a different login, a renamed host).
            self.roster.peer_offline(previous, self.open_key)
        contact = self.roster.peer_online(message.peer)
        if message.joined and len(contact.online) == 1 and self._worth_a_toast(contact):
            self.notify(f"{contact.name} is online", timeout=3, markup=False)
        if contact.key == self.open_key:
            self.refresh_chat_header()
        self.schedule_sidebar()

    def on_peer_offline(self, message: ui.PeerOffline) -> None:
        if self.torn_down:  # closing: nothing left to show it in (the history has it)
            return
        contact = self.roster.peer_offline(message.peer, self.open_key)
        if contact is None:
            return
        if not contact.online and self._worth_a_toast(contact):
            self.notify(f"{contact.name} went offline", timeout=3, markup=False)
        if contact.key == self.open_key:
            self.refresh_chat_header()
        self.schedule_sidebar()

    def on_message_arrived(self, message: ui.MessageArrived) -> None:
        if self.torn_down:  # closing: nothing left to show it in (the history has it)
            return
        row = message.row
        key = row.conversation
        shown_here = key == self.open_key
        contact = self.roster.note_message(key, row.ts, unread=message.unread and not shown_here)
        if shown_here:
            self.chat_log.add(row)
            if message.unread:  # it arrived while another conversation was open
                self.store.mark_read(key)
        elif message.unread:
            self.alerts.message(contact.name, preview(row))
        self.schedule_sidebar()

    def on_messages_updated(self, message: ui.MessagesUpdated) -> None:
        if self.torn_down:  # closing: nothing left to show it in (the history has it)
            return
        for row in message.rows:
            if row.shown_in(self.open_key):
                self.chat_log.update(row)
            elif row.state is MessageState.FAILED:
                contact = self.roster.get(row.conversation)
                name = contact.name if contact is not None else row.conversation
                if row.recipients:
                    name = ", ".join(r.name for r in row.not_delivered)
                self.notify(
                    f"Not delivered to {name}: {preview(row)}",
                    title="Not delivered",
                    severity="warning",
                    markup=False,
                )

    def on_info_answered(self, message: ui.InfoAnswered) -> None:
        screen = self.screen
        if isinstance(screen, PeerInfoScreen) and screen.contact.addr == message.addr:
            screen.show_answer(message.kind, message.text)

    def on_peer_notice(self, message: ui.PeerNotice) -> None:
        who = message.peer.name if message.peer is not None else message.addr[0]
        self.notify(f"{who}: {message.text}", severity="warning", markup=False)

    # ------------------------------------------------------------------ files

    def show_attachments(self) -> None:
        waiting = self.file_commands.waiting(self.open_key)
        self._widget(AttachmentBar).show(waiting)
        if self.composer.allow_empty != bool(waiting):
            self.composer.allow_empty = bool(waiting)
            self.refresh_chat_header()

    @on(AttachmentBar.Removed)
    def _attachment_removed(self, event: AttachmentBar.Removed) -> None:
        self.file_commands.remove(self.open_key, event.index)

    @on(Composer.RemoveAttachment)
    def _last_attachment_removed(self) -> None:
        self.file_commands.remove(self.open_key, len(self.file_commands.waiting(self.open_key)) - 1)

    def on_offer_arrived(self, message: ui.OfferArrived) -> None:
        self.file_news.offer_arrived(message.offer)

    def on_transfer_added(self, message: ui.TransferAdded) -> None:
        self.file_news.transfers_moved([message.transfer])

    def on_transfers_changed(self, message: ui.TransfersChanged) -> None:
        self.file_news.transfers_moved(self.file_bridge.take_changed())

    def on_transfer_finished(self, message: ui.TransferFinished) -> None:
        self.file_news.transfer_finished(message.transfer)

    def on_offer_closed(self, message: ui.OfferClosed) -> None:
        if self.torn_down:  # closing: nothing left to show it in
            return
        self.file_news.offer_closed(message.packet_no, message.addrs, message.outcome)

    # ------------------------------------------------------------------ commands

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from self.commands.palette()

    def action_toggle_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_toggle_away(self) -> None:
        self.commands.toggle_away()

    def action_peer_info(self) -> None:
        self.commands.peer_info()

    def action_refresh(self) -> None:
        self.commands.refresh()

    def action_attach(self) -> None:
        self.file_commands.attach()

    def action_transfers(self) -> None:
        self.file_commands.show_transfers()

    def _theme_changed(self, theme: str) -> None:
        self.settings = replace(self.settings, theme=theme)
        self.commands.save(theme=theme)


def run_app(settings: Settings, mouse: bool = True) -> int:
    """Check the network and the history before the screen is taken over: a busy port or an
    unusable address ends here with one line (the caller prints it), not inside the UI."""
    config, plan = engine_config(settings)
    store = HistoryStore(settings.history_path)
    sockets: list[socket.socket] = []
    try:
        sockets.append(open_udp_socket(plan))
        sockets.append(open_tcp_socket(plan))  # files are served on the same port number
    except BaseException:
        for sock in sockets:
            sock.close()
        store.close()
        raise
    udp, tcp = sockets
    app = MessengerApp(settings, store=store, sock=udp, tcp_sock=tcp, engine=(config, plan))
    try:
        app.run(mouse=mouse)
    finally:
        store.close()
        udp.close()
        tcp.close()
    return app.return_code or 0
