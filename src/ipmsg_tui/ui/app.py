"""The full-screen messenger: peers on the left, the conversation on the right.

The app is handed a running :class:`~ipmsg_tui.service.Messenger`: it calls the messenger for
everything the user does, and subscribes to its news (:class:`ServiceBridge` turns them into
Textual messages, handled below).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import ClassVar, TypeVar

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, OptionList

from ..config import Settings
from ..i18n import N_, _
from ..protocol.engine import EngineError
from ..reasons import reason_text
from ..service import Messenger
from ..service.control import ControlServer
from ..store import EVERYONE, Flag, MessageState, SearchHit, StoredMessage
from . import messages as ui
from .actions import PeerSearch, UserCommands
from .attachbar import AttachmentBar
from .bars import ChatHeader, StatusBar
from .bridge import ServiceBridge
from .chatlog import ChatLog
from .composer import Composer
from .desktop import DesktopNotifier
from .fileactions import FileCommands
from .filenews import FileNews
from .hangup import ExitWatchdog, GoodbyeSignals
from .hints import empty_hint
from .localize import localize_bindings, localize_node
from .model.alerts import MessageAlerts, desktop_notice, key_changed_notice
from .model.draft import Draft, Drafts
from .model.fileboard import FileBoard
from .model.messageline import preview
from .model.roster import Contact, Roster
from .model.toasts import not_delivered, while_away
from .model.window import ConversationWindow
from .quote import quoted
from .screens.confirm_quit import ConfirmQuit, describe_pending
from .screens.history_search import HistorySearchScreen
from .screens.peer_info import PeerInfoScreen
from .sidebar import PeerList, Sidebar
from .toastlinks import ToastLinks

log = logging.getLogger(__name__)
W = TypeVar("W", bound=Widget)

# Presence toasts wait until the first wave of answers to our BR_ENTRY is over.
QUIET_START = 3.0
SIDEBAR_DELAY = 0.05
SIDEBAR_MAX_DELAY = 0.5  # while the list keeps changing (a flood), at most twice a second
SIDEBAR_BUSY = 5  # rebuilds within a second that mean it keeps changing
FILES = Binding.Group(N_("Files"), compact=True)


class MessengerApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = N_("IP Messenger")
    COMMANDS = App.COMMANDS | {PeerSearch}
    # App annotates this as an instance attribute, so a ClassVar here would not type-check.
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-narrow"),
        (90, "-normal"),
        (130, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit_asking", N_("Quit"), priority=True),
        Binding("f2", "toggle_away", N_("Away"), tooltip=N_("Away on/off, with a message")),
        Binding(
            "f3", "peer_info", N_("Info"), tooltip=N_("What the selected peer runs and supports")
        ),
        Binding(
            "f1", "toggle_keys", N_("Keys"), tooltip=N_("Show or hide the keys of the focused pane")
        ),
        Binding("f5", "refresh", N_("Refresh"), show=False),
        # One footer entry for both: "^f ^t Files" fits where two would not.
        Binding(
            "ctrl+f",
            "attach",
            N_("Attach"),
            tooltip=N_("ctrl+f: attach files or folders to the message"),
            group=FILES,
        ),
        Binding(
            "ctrl+t",
            "transfers",
            N_("Transfers"),
            tooltip=N_("ctrl+t: uploads and downloads"),
            group=FILES,
        ),
        Binding("ctrl+n", "next_unread", N_("Next unread"), show=False),
        Binding("ctrl+o", "open_sealed", N_("Open sealed"), show=False),
        Binding("ctrl+r", "resend_failed", N_("Resend"), show=False),
        Binding("ctrl+g", "search_history", N_("Search"), show=False),
    ]

    def __init__(self, messenger: Messenger) -> None:
        """``messenger``: started (or, in a test with no network, never started)."""
        localize_bindings()  # before any widget copies its class's keys
        super().__init__()
        localize_node(self)  # the palette key Textual adds when the app is made
        self.title = _(self.TITLE)
        self.messenger = messenger
        self.store = messenger.store
        self.clock = messenger.clock
        self.bridge = ServiceBridge(self.post_message)
        self.board = FileBoard(messenger.files)
        self.roster = Roster()
        self.open_key: str | None = None
        self.drafts = Drafts()
        self._widgets: dict[type[Widget], Widget] = {}
        self._filter = ""
        self._sidebar_pending = False
        self._sidebar_delay = SIDEBAR_DELAY
        self._sidebar_builds: deque[float] = deque()  # when it was rebuilt, last second
        self._started_at = time.monotonic()
        self.quiet_start = QUIET_START  # seconds without presence toasts after start
        self.commands = UserCommands(self)
        self.alerts = MessageAlerts(self)
        self.toast_links = ToastLinks()
        self.desktop = DesktopNotifier(
            self._write_to_terminal,
            lambda text: self.notify(text, severity="warning", markup=False),
            escape=messenger.settings.notify_escape,
            command=messenger.settings.notify_command,
        )
        self.file_commands = FileCommands(self)
        self.file_news = FileNews(self)
        # A closed terminal or a kill still says goodbye, and the process surely ends.
        self.watchdog = ExitWatchdog(self._goodbye_now, self.store.close)
        self._goodbye_signals = GoodbyeSignals(self.watchdog, self._quit_on_signal)

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
        for peer in self.messenger.peers:  # those who answered before the screen was up
            self.roster.peer_online(peer)
        for contact in self.roster.contacts.values():  # keys that changed meanwhile
            contact.key_changed = self.messenger.changed_key(contact.key) is not None
        for transfer in self.messenger.files.transfers:  # earlier ones, restored at start
            self.board.track(transfer)
            self.bridge.follow(transfer)
        # From here on every change arrives as news (the loop does not turn in between).
        self.messenger.subscribe(self.bridge, is_read=self.is_open)
        self.refresh_status()
        self.rebuild_sidebar()
        self.peer_list.highlight_key(EVERYONE)
        self.open_conversation(EVERYONE)
        self.peer_list.focus()
        self.set_interval(60, self.chat_log.refresh_days)
        if not self.is_headless:
            self._goodbye_signals.install(asyncio.get_running_loop())
        seen_as = self.messenger.fitting_nick(self.my_nick)
        if seen_as != self.my_nick:  # a nick from the config or --nick, too long for IPMSG
            self.notify(
                _(
                    "Your nick is too long for IP Messenger (79 bytes): others see you as {nick}"
                ).format(nick=seen_as),
                title=_("Nick shortened"),
                severity="warning",
                timeout=10,
                markup=False,
            )
        away = while_away(self.roster.contacts.values())
        if away is not None:  # kept since last time: say so, but leave them unread until opened
            key, text = away
            self.notify_about(key, text, title=_("While you were away"))

    def notify_about(self, key: str, message: str, *, title: str) -> None:
        """A toast about conversation ``key``: a click on it opens that conversation."""
        self.toast_links.toast(self, key, message, title=title)

    @on(events.Click)
    def _toast_clicked(self, event: events.Click) -> None:
        key = self.toast_links.key_of(event.widget)
        if key is not None and self.roster.get(key) is not None:
            self.commands.chat_with(key)

    def _quit_on_signal(self) -> None:
        self.run_worker(self.action_quit(), exclusive=True, group="quit")

    def _goodbye_now(self) -> None:
        """The watchdog's goodbye, from its own thread, when the loop could not say it."""
        self.messenger.node.goodbye_from_another_thread()

    async def on_unmount(self) -> None:
        if not self.watchdog.armed:  # after a hangup, a late one must still reach the watchdog
            self._goodbye_signals.uninstall()
        self.messenger.unsubscribe(self.bridge)
        await self.messenger.stop()
        self.watchdog.said_goodbye.set()
        await self.desktop.stop()

    async def action_quit(self) -> None:
        await self.messenger.stop()  # goodbye (BR_EXIT) before the screen goes
        self.watchdog.said_goodbye.set()
        self.exit(0)

    async def action_quit_asking(self) -> None:
        """ctrl+q: first asks (ConfirmQuit) while transfers run or our offers wait."""
        pending = self.messenger.files.pending()
        if not pending or isinstance(self.screen, ConfirmQuit):
            await self.action_quit()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.run_worker(self.action_quit(), exclusive=True, group="quit")

        what = describe_pending(pending.downloads, pending.uploads, pending.offers)
        self.push_screen(ConfirmQuit(what), answered)

    # ------------------------------------------------------------------ state

    def is_open(self, key: str) -> bool:
        """Whether the conversation is on screen (then its messages arrive read)."""
        return key == self.open_key

    @property
    def settings(self) -> Settings:
        return self.messenger.settings

    @property
    def my_nick(self) -> str:
        return self.messenger.nick

    @property
    def open_contact(self) -> Contact | None:
        return self.roster.get(self.open_key) if self.open_key is not None else None

    @property
    def draft(self) -> Draft | None:
        """The open conversation's draft."""
        return self.drafts[self.open_key] if self.open_key is not None else None

    def refresh_status(self) -> None:
        messenger = self.messenger
        self._widget(StatusBar).show(
            nick=messenger.nick,
            group=messenger.group,
            key=messenger.key,
            addresses=messenger.addresses(),
            away=messenger.away,
            away_text=messenger.away_text,
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

    def encrypts_to(self, contact: Contact) -> bool:
        """Our messages to ``contact`` go encrypted (its address can take them)."""
        peer = contact.peer
        return peer is not None and self.messenger.can_encrypt_to(peer.addr)

    def _refresh_everyone_hint(self) -> None:
        """Everyone's empty conversation says what to do while nobody is online."""
        contact = self.open_contact
        if contact is not None and contact.is_everyone:
            anyone = self.roster.anyone_online  # asked on every join and leave: no count
            self.chat_log.set_empty_hint(empty_hint(contact, anyone, self.settings.port))

    def refresh_chat_header(self) -> None:
        contact = self.open_contact
        encrypted = contact is not None and self.encrypts_to(contact)
        self._widget(ChatHeader).show(contact, self.settings.port, encrypted=encrypted)
        if contact is None:
            return
        composer = self.composer
        also = [] if contact.is_everyone else self._marked_besides(contact)
        names = ", ".join([contact.name, *(c.name for c in also)])
        composer.show_title(
            _("To {name}").format(name=names)
        )  # fitted by cell widths; a name is never markup
        composer.border_subtitle = _("🔒 sealed") if self.drafts[contact.key].sealed else ""
        if contact.is_everyone:
            # IPMSG has no group key: what goes to everyone is never encrypted.
            composer.border_subtitle = _("not encrypted")
            if self.messenger.encryption == "required":
                composer.placeholder = _(
                    "Encryption is required: messages to everyone cannot be sent (never encrypted)"
                )
            else:
                composer.placeholder = _(
                    "Message everyone on the LAN (broadcast, no receipts, not encrypted)"
                )
        elif self.drafts[contact.key].attachments:
            composer.placeholder = _("Add a few words if you like · Enter sends the files")
        else:
            composer.placeholder = _("Message {name} · Enter sends, Ctrl+J new line").format(
                name=contact.name
            )

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
        draft = self.drafts[key]
        self.composer.load_text(draft.text)
        self.composer.use_history(draft.sent)
        self.show_attachments()
        contact = self.roster.contacts[key]
        # The list changes only if a badge goes, or the conversation left may leave it.
        relist = bool(contact.unread) or (
            previous is not None and not previous.is_online and not previous.last_ts
        )
        window = ConversationWindow(self.store, key)
        window.open()
        hint = empty_hint(contact, self.roster.anyone_online, self.settings.port)
        self.chat_log.open(window, hint, unread=contact.unread, peer_name=contact.name)
        if contact.unread:
            self.store.mark_read(key)
            self.roster.mark_read(key)
        if contact.away and not contact.away_text and contact.peer is not None:
            self.messenger.request_info(contact.peer.addr, "absence")  # away text, as Windows
        self.refresh_chat_header()
        if relist:
            self.schedule_sidebar()

    def conversation_forgotten(self, key: str) -> None:
        """Its history was deleted: an online peer's conversation starts afresh, any other
        leaves the list (and Everyone's opens)."""
        self.roster.forget(key)
        self.drafts.discard(key)  # what was typed and sent there goes too
        if key == self.open_key:
            self.open_key = None  # so that it opens afresh (or Everyone's does)
            still_listed = self.roster.get(key) is not None
            self.open_conversation(key if still_listed else EVERYONE)
            self.peer_list.highlight_key(self.open_key or EVERYONE)
        self.rebuild_sidebar()

    def _keep_draft(self) -> None:
        """What was typed for the conversation being left waits for it, not for the next."""
        draft = self.draft
        if draft is not None:
            text = self.composer.text
            draft.text = text if text.strip() else ""

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

    def action_focus_peers(self) -> None:
        self.peer_list.focus()

    # ------------------------------------------------------------------ sending

    @on(Composer.Submitted)
    def _send(self, event: Composer.Submitted) -> None:
        contact = self.open_contact
        if contact is None:
            return
        draft = self.drafts[contact.key]
        sealed = draft.sealed
        also = [] if contact.is_everyone else self._marked_besides(contact)
        if draft.attachments:
            self.file_commands.send(contact, event.text, sealed=sealed, also=also)
            if also:
                self.peer_list.clear_marks()
            self._sent(draft, event.text, sealed)
            return
        if also and not contact.is_everyone:
            self.send_to_several([contact, *also], event.text)
            return
        try:
            if contact.is_everyone:
                rows = self.messenger.broadcast(event.text)
            else:
                recipient = contact.recipient()
                if recipient is None:
                    self.notify(
                        _("No address known for {name}").format(name=contact.name),
                        severity="error",
                    )
                    return
                rows = self.messenger.send([recipient], event.text, sealed=sealed)
        except EngineError as error:
            log.warning("not sent to %s: %s", contact.key, error)
            self.notify(str(error), title=_("Not sent"), severity="error")
            return
        self._sent(draft, event.text, sealed)
        self.show_sent(contact, rows)

    def send_to_several(self, whom: list[Contact], text: str) -> None:
        """One message to the open contact (first) and the marked ones (MULTICASTOPT),
        shown once; the marks are cleared once it is sent."""
        contact = whom[0]
        draft = self.drafts[contact.key]
        peers = [peer for c in whom if (peer := c.recipient()) is not None]
        if len(peers) < len(whom):
            self.notify(_("No address known for some marked peers"), severity="error")
            return
        try:
            rows = self.messenger.send(peers, text, sealed=draft.sealed)
        except EngineError as error:
            log.warning("not sent to %d peers: %s", len(peers), error)
            self.notify(str(error), title=_("Not sent"), severity="error")
            return
        self.peer_list.clear_marks()
        self._sent(draft, text, draft.sealed)
        for other in whom[1:]:
            self.roster.note_message(other.key, rows[0].ts)
        self.show_sent(contact, rows)

    def _sent(self, draft: Draft, text: str, sealed: bool) -> None:
        """The seal was for this message (and stays with it for recall)."""
        draft.was_sent(text, sealed=sealed)
        if sealed:
            self.refresh_chat_header()

    @on(Composer.Recalled)
    def _recalled(self, event: Composer.Recalled) -> None:
        draft = self.draft
        if draft is not None and draft.recalled(event.text):
            self.refresh_chat_header()

    def show_sent(self, contact: Contact, rows: list[StoredMessage]) -> None:
        """Messages we just sent (and stored): in the chat if it is open, and in the list."""
        if contact.key == self.open_key:
            for row in rows:
                self.chat_log.add(row)
        if len(rows) > 1 and not contact.is_everyone:
            self.notify(
                _("Too long for one packet: sent as {count} messages").format(count=len(rows)),
                timeout=3,
            )
        if rows:
            self.roster.note_message(contact.key, rows[0].ts)
        self.schedule_sidebar()

    def restore_draft(self, key: str, text: str) -> None:
        """Text whose sending failed goes back where it was typed (unless more was typed)."""
        if not text:
            return
        if key == self.open_key and not self.composer.text.strip():
            self.composer.load_text(text)
        elif key != self.open_key and not self.drafts[key].text:
            self.drafts[key].text = text

    def action_toggle_seal(self) -> None:
        contact = self.open_contact
        if contact is None:
            return
        if contact.is_everyone:
            self.notify(_("Broadcast messages cannot be sealed"), severity="warning", timeout=3)
            return
        draft = self.drafts[contact.key]
        draft.sealed = not draft.sealed
        self.refresh_chat_header()

    def resend(self, row: StoredMessage) -> None:
        """Send a message that was not delivered again, in its place in the conversation."""
        if row.recipients:  # sent to several: again to those that did not get it
            if row.attachments:  # a new offer to some of them: not yet
                self.notify(_("Send the files again to those who missed them"), severity="warning")
                return
            try:
                self.chat_log.update(self.messenger.resend_to_missing(row))
            except EngineError as error:
                log.warning("not resent to %d recipients: %s", len(row.not_delivered), error)
                self.notify(str(error), title=_("Not sent"), severity="error")
            return
        contact = self.roster.get(row.conversation)
        recipient = contact.recipient() if contact is not None else None
        if row.attachments:
            if recipient is None:
                self.notify(_("No address known for this peer"), severity="error")
            else:
                self.file_commands.resend(row, recipient)
            return
        try:
            first, *extra = self.messenger.resend(row, recipient or row.addr)
        except EngineError as error:
            log.warning("not resent to %s: %s", row.conversation, error)
            self.notify(str(error), title=_("Not sent"), severity="error")
            return
        self.chat_log.update(first)
        for part in extra:
            self.chat_log.add(part)

    def open_sealed(self, row: StoredMessage) -> None:
        """Show a sealed message and tell its sender it was opened (READMSG)."""
        self.chat_log.update(self.messenger.open_sealed(row))

    @on(ChatLog.Activated)
    def _message_activated(self, event: ChatLog.Activated) -> None:
        row = event.row
        if row.incoming and row.state is MessageState.SEALED:
            self.open_sealed(row)
        elif row.incoming and row.attachments:
            self.file_commands.activate(row)
        elif not row.incoming and row.state is MessageState.FAILED:
            self.resend(row)

    # ------------------------------------------------------------------ search, quote

    def action_search_history(self) -> None:
        """ctrl+g, `/` in the messages: find a message in any conversation, and go there."""

        def name_of(key: str) -> str:
            contact = self.roster.get(key)
            return contact.name if contact is not None else key

        self.push_screen(HistorySearchScreen(self.store.path, name_of, self.clock), self.go_to_hit)

    def go_to_hit(self, hit: SearchHit | None) -> None:
        """Open the conversation a search hit is in, on the page around it, the hit chosen."""
        if hit is None:
            return
        row = hit.message
        key = self.open_key if row.shown_in(self.open_key) else row.conversation
        if key is None or self.roster.get(key) is None:
            self.notify(_("That conversation is no longer listed"), severity="warning")
            return
        self.open_conversation(key)
        self.peer_list.highlight_key(key)
        self.chat_log.show_around(row.id)
        self.chat_log.focus()

    @on(ChatLog.QuoteAsked)
    def _quote(self, event: ChatLog.QuoteAsked) -> None:
        self.quote_reply(event.row)

    def quote_reply(self, row: StoredMessage) -> None:
        """Write to the message's peer with its text quoted ("> " lines), cursor below."""
        if row.incoming and row.state is MessageState.SEALED:
            self.notify(_("Open the sealed message first"), severity="warning", timeout=3)
            return
        key = self.open_key if row.shown_in(self.open_key) else row.conversation
        if key is None or self.roster.get(key) is None:
            return
        self.open_conversation(key)
        self.peer_list.highlight_key(key)
        composer = self.composer
        composer.load_text(quoted(row.text, composer.text))
        composer.move_cursor(composer.document.end)
        composer.focus()

    def action_quote_reply(self) -> None:
        """The palette's "Quote reply": the chosen message, or the last one received."""
        row = self.chat_log.cursor_row
        if row is None:
            incoming = [r for r in self.chat_log.rows if r.incoming]
            row = incoming[-1] if incoming else None
        if row is None:
            self.notify(_("No message here to quote"), timeout=2)
            return
        self.quote_reply(row)

    def action_open_sealed(self) -> None:
        """Open the oldest sealed message of the conversation that is still sealed."""
        sealed = [r for r in self.chat_log.rows if r.incoming and r.state is MessageState.SEALED]
        if sealed:
            self.open_sealed(sealed[0])
        else:
            self.notify(_("No sealed message here"), timeout=2)

    def action_resend_failed(self) -> None:
        failed = [
            r for r in self.chat_log.rows if not r.incoming and r.state is MessageState.FAILED
        ]
        for row in failed:
            self.resend(row)
        if not failed:
            self.notify(_("Nothing to resend here"), timeout=2)

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
            self.notify(_("{name} is online").format(name=contact.name), timeout=3, markup=False)
        self._refresh_everyone_hint()
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
            self.notify(_("{name} went offline").format(name=contact.name), timeout=3, markup=False)
        self._refresh_everyone_hint()
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
            self.alerts.message(contact.name, preview(row), key)
        self.notify_outside(contact.name, row)
        self.schedule_sidebar()

    def on_auto_reply_sent(self, message: ui.AutoReplySent) -> None:
        contact = self.roster.get(message.row.conversation)
        if contact is not None and not self.torn_down:
            self.show_sent(contact, [message.row])

    def notify_outside(self, sender: str, row: StoredMessage) -> None:
        """A desktop notice while the terminal is in the background (AppBlur)."""
        notice = desktop_notice(
            sender,
            row,
            preview(row),
            focused=self.app_focus,
            enabled=self.settings.notifications,
            key_changed=bool(row.flags & Flag.KEY_CHANGED),  # then without its text
        )
        if notice is not None:
            self.desktop.deliver(notice)

    def _write_to_terminal(self, data: str) -> None:
        driver = self._driver
        if driver is not None:
            driver.write(data)

    def on_messages_updated(self, message: ui.MessagesUpdated) -> None:
        if self.torn_down:  # closing: nothing left to show it in (the history has it)
            return
        for row in message.rows:
            if row.shown_in(self.open_key):
                self.chat_log.update(row)
            elif row.state is MessageState.FAILED:
                self.notify(
                    not_delivered(row, self.roster.get(row.conversation)),
                    title=_("Not delivered"),
                    severity="warning",
                    markup=False,
                )

    def on_messages_sent(self, message: ui.MessagesSent) -> None:
        """A command beside the app sent these: shown as if typed here."""
        if self.torn_down:
            return
        first = message.rows[0]
        self.show_sent(self.roster.note_message(first.conversation, first.ts), message.rows)

    def on_info_answered(self, message: ui.InfoAnswered) -> None:
        screen = self.screen
        if isinstance(screen, PeerInfoScreen) and screen.contact.addr == message.addr:
            screen.show_answer(message.kind, message.text)

    def on_security_alert(self, message: ui.SecurityAlert) -> None:
        """A message rejected, a key changed or refused, a message sent without a key: a line
        in the conversation, a mark on the peer, and a toast (never with a message's text)."""
        if self.torn_down:  # closing: the history has the line
            return
        for row in message.rows:
            if row.is_notice:
                self.roster.note_message(row.conversation, row.ts)
                if row.conversation == self.open_key:
                    self.chat_log.add(row)
            elif row.shown_in(self.open_key):
                self.chat_log.update(row)
        key = message.key
        contact = self.roster.get(key) if key is not None else self.roster.by_addr(message.addr)
        name = contact.name if contact is not None else (key or message.addr[0])
        match message.kind:
            case "rejected":
                text = _("A message claiming to be from {name} could not be verified: {why}")
                self._security_toast(
                    text.format(name=name, why=reason_text(message.detail)),
                    _("Message rejected"),
                    "error",
                )
            case "key_changed":
                if contact is not None:
                    contact.key_changed = True
                notice = key_changed_notice(
                    name, focused=self.app_focus, enabled=self.settings.notifications
                )
                if notice is not None:
                    self.desktop.deliver(notice)
                self._security_toast(
                    _(
                        "The key of {name} changed: its messages are unverified until you "
                        "accept the new key (F3 to compare fingerprints)"
                    ).format(name=name),
                    _("Key changed"),
                    "error",
                )
            case "key_refused":
                self._security_toast(
                    f"{name}: {reason_text(message.detail)}", _("Key refused"), "error"
                )
            case "no_key" if message.sent:
                self._security_toast(
                    _("Sent unencrypted: no key from {name}").format(name=name),
                    _("No key"),
                    "warning",
                )
            case "no_key":
                self._security_toast(
                    _("Not sent: no key from {name}, and encryption is required").format(name=name),
                    _("No key"),
                    "error",
                )
        if contact is not None and contact.key == self.open_key:
            self.refresh_chat_header()
        self.schedule_sidebar()

    def _security_toast(self, text: str, title: str, severity: SeverityLevel) -> None:
        self.notify(text, title=title, severity=severity, timeout=10, markup=False)

    def accept_key(self, key: str) -> None:
        """The user trusts the new key of ``key``: pinned, and its messages unmarked (shown
        when the messenger's KeyAccepted comes, as for `keys accept` beside the app)."""
        self.messenger.accept_key(key)

    def on_key_accepted(self, message: ui.KeyAccepted) -> None:
        if self.torn_down:
            return
        key = message.identity
        contact = self.roster.get(key)
        if contact is not None:
            contact.key_changed = False
        for row in message.rows:
            if row.shown_in(self.open_key):
                self.chat_log.update(row)
        if key == self.open_key:
            self.refresh_chat_header()
        self.refresh_peer_info(key)
        name = contact.name if contact is not None else key
        self.notify(
            _("The key of {name} is accepted and pinned").format(name=name),
            timeout=4,
            markup=False,
        )
        self.schedule_sidebar()

    def on_peer_key_known(self, message: ui.PeerKeyKnown) -> None:
        """A key came while peer info may be open on that peer: it shows it at once."""
        if self.torn_down:
            return
        self.refresh_peer_info(message.identity)
        if message.identity == self.open_key:
            self.refresh_chat_header()

    def refresh_peer_info(self, key: str) -> None:
        screen = self.screen
        if isinstance(screen, PeerInfoScreen) and screen.contact.key == key:
            screen.show_keys(self.commands.key_facts(screen.contact))

    def on_peer_notice(self, message: ui.PeerNotice) -> None:
        who = message.peer.name if message.peer is not None else message.addr[0]
        self.notify(f"{who}: {reason_text(message.text)}", severity="warning", markup=False)

    # ------------------------------------------------------------------ files

    def show_attachments(self) -> None:
        draft = self.draft
        waiting = draft.attachments if draft is not None else []
        self._widget(AttachmentBar).show(waiting)
        if self.composer.allow_empty != bool(waiting):
            self.composer.allow_empty = bool(waiting)
            self.refresh_chat_header()

    @on(AttachmentBar.Removed)
    def _attachment_removed(self, event: AttachmentBar.Removed) -> None:
        self.file_commands.remove(self.open_key, event.index)

    @on(Composer.RemoveAttachment)
    def _last_attachment_removed(self) -> None:
        self.file_commands.remove_last()

    def on_offer_arrived(self, message: ui.OfferArrived) -> None:
        self.file_news.offer_arrived(message.offer)

    def on_transfer_added(self, message: ui.TransferAdded) -> None:
        self.file_news.transfers_moved([message.transfer])

    def on_transfers_changed(self, message: ui.TransfersChanged) -> None:
        self.file_news.transfers_moved(self.bridge.take_changed())

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

    def action_next_unread(self) -> None:
        self.commands.next_unread()

    def action_attach(self) -> None:
        self.file_commands.attach()

    def action_transfers(self) -> None:
        self.file_commands.show_transfers()

    def _theme_changed(self, theme: str) -> None:
        problem = self.messenger.remember(theme=theme)
        if problem:
            self.notify(problem, severity="error", markup=False)


def run_app(settings: Settings, mouse: bool = True) -> int:
    """Check the network and the history before the screen is taken over: a busy port or an
    unusable address ends here with one line (the caller prints it), not inside the UI. The
    messenger is running before the app starts, and says goodbye after it has gone."""
    messenger = Messenger.keeping_history(settings)
    try:
        messenger.bind()
        app = MessengerApp(messenger)
        asyncio.run(_serve(messenger, app, mouse))
    finally:
        messenger.close()
    return app.return_code or 0


async def _serve(messenger: Messenger, app: MessengerApp, mouse: bool) -> None:
    await messenger.start(keys=True)
    control = ControlServer(messenger)  # `send` and `who` beside the app come through it
    await control.start()
    try:
        await app.run_async(mouse=mouse)
    finally:
        await control.stop()
        await messenger.stop()
