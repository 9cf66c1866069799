"""A driver for UI tests: what a user does and sees, so tests stop reaching into the App.

    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.open("bob@bob-pc")
        await ui.send("hello bob")
        await ui.until(lambda: "✓ delivered" in ui.chat_text())

Every reach into the app's widgets is written here once; when a widget changes, this file
changes, not every test. Tests use the pilot and Textual's own App API (``run_test``,
``screen``, ``return_code``) but none of the MessengerApp's members and nothing private:
test_through_the_driver.py checks that tests/ui names them nowhere but here. What a test
must set before the app runs (no quiet start, where the file picker opens) is a function
here too; what the service holds (the store, the settings) comes from the ``lan`` fixture
(``lan.service(name)``).
"""

from __future__ import annotations

import builtins
import io
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from textual import events
from textual.app import App
from textual.command import CommandList
from textual.geometry import Region
from textual.notifications import Notification
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets._toast import Toast

from ipmsg_tui.protocol.peers import Addr, Peer
from ipmsg_tui.store import MessageState, StoredMessage
from ipmsg_tui.ui.app import MessengerApp
from ipmsg_tui.ui.chatlog import ChatLog
from ipmsg_tui.ui.composer import Composer
from ipmsg_tui.ui.model.roster import Contact
from ipmsg_tui.ui.screens.prompt import TextPrompt
from ipmsg_tui.ui.screens.transfers import TransfersScreen
from ipmsg_tui.ui.sidebar import PeerFilter, PeerList

from .conftest import WAIT, wait_for

ScreenT = TypeVar("ScreenT", bound=Screen[Any])

SIZE = (100, 30)  # columns, rows: the size most UI tests run at

# The characters of the named keys a burst may hold (others, like ctrl+j, have none).
BURST_CHARS = {"space": " ", "enter": "\r", "slash": "/"}

# Which pane has the keyboard, by the name a user would give it.
PANES: dict[type[Widget], str] = {
    PeerList: "sidebar",
    PeerFilter: "filter",
    Composer: "input",
    ChatLog: "messages",
}


def screen_lines(app: App[Any]) -> list[str]:
    """Each line of the screen (modal dialogs over what they cover), as a terminal shows it."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text().splitlines()


def shown_text(app: App[Any], widget: Widget) -> str:
    """What of ``widget`` the screen shows (clipped where its container clips it), with its
    lines joined by spaces."""
    region = widget.region
    lines = screen_lines(app)[region.y : region.bottom]
    return " ".join(" ".join(line[region.x : region.right].split()) for line in lines).strip()


def config_file(app: MessengerApp) -> Path:
    """The settings file the app saves the user's changes in."""
    return Path(app.settings.config_path)


def saved(app: MessengerApp) -> dict[str, Any]:
    """What the app has saved in its settings file."""
    with config_file(app).open("rb") as handle:
        return tomllib.load(handle)


def quiet_start_off(app: MessengerApp) -> None:
    """Before the app runs: presence toasts from the first second on (no quiet start)."""
    app.quiet_start = 0


def browse_from(app: MessengerApp, folder: Path) -> None:
    """Before attaching: the file picker opens in ``folder`` (not the home folder)."""
    app.file_commands.browse_from = folder


def alert_window(app: MessengerApp, seconds: float) -> None:
    """Before the app runs: how long a burst of messages is gathered into one toast."""
    app.alerts.window = seconds


def count_bells(app: MessengerApp) -> list[bool]:
    """Before the app runs: a list that grows by one at each ring of the bell."""
    rings: list[bool] = []
    ring = app.bell

    def bell() -> None:
        rings.append(True)
        ring()

    app.bell = bell  # type: ignore[method-assign]
    return rings


def listed(app: MessengerApp) -> list[str]:
    """Contact keys in the sidebar, top to bottom (headers left out)."""
    return [o.id for o in app.peer_list.options if o.id and not o.disabled]


def shown(app: MessengerApp) -> str:
    """The chat pane as plain text."""
    return "\n".join(app.chat_log.plain_lines())


def panel_text(app: MessengerApp) -> str:
    """The transfers panel's rows (the panel must be open)."""
    screen = app.screen
    assert isinstance(screen, TransfersScreen)
    return "\n".join(row.summary for row in screen.rows)


class Ui:
    def __init__(self, app: MessengerApp, pilot: Pilot[Any]) -> None:
        self.app = app
        self.pilot = pilot

    @property
    def port(self) -> int:
        """The UDP port the app listens on."""
        return self.app.settings.port

    @property
    def addr(self) -> Addr:
        """Where peers on this machine send to reach the app."""
        return "127.0.0.1", self.app.settings.port

    # ------------------------------------------------------------------ waiting

    async def until(self, predicate: Callable[[], object], timeout: float = WAIT) -> None:
        """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds."""
        await wait_for(self.pilot, predicate, timeout)

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)

    def burst(self, *keys: str) -> None:
        """Queue key presses all at once, as a terminal delivers fast typing (or tmux
        injected keys): Textual key names; a single character is its own key."""
        for key in keys:
            char = key if len(key) == 1 else BURST_CHARS.get(key)
            self.app.post_message(events.Key(key, char))

    # ------------------------------------------------------------------ the sidebar

    def listed(self) -> list[str]:
        """Contact keys in the sidebar, top to bottom (headers left out)."""
        return listed(self.app)

    def headers(self) -> list[str]:
        """The group and "Offline" headers of the sidebar, with their counts."""
        return [str(o.prompt) for o in self.app.peer_list.options if o.disabled]

    def row(self, key: str) -> str:
        """One contact's row in the sidebar as shown (name, unread count, marks)."""
        return str(self.app.peer_list.get_option(key).prompt)

    def options(self) -> list[str]:
        """Every row of the sidebar as shown, headers included."""
        return [str(o.prompt) for o in self.app.peer_list.options]

    def option_ids(self) -> list[str]:
        """Every row's contact key, "" for a header."""
        return [o.id or "" for o in self.app.peer_list.options]

    def sidebar_text(self) -> str:
        """The sidebar as drawn (its visible rows, plain)."""
        return self.widget_text(self.app.peer_list)

    def highlighted(self) -> str | None:
        """The contact the sidebar's cursor is on."""
        return self.app.peer_list.highlighted_key

    def marked(self) -> set[str]:
        """The contacts marked (space) to receive the next message too."""
        return set(self.app.peer_list.marked)

    async def mark(self, key: str) -> None:
        """Mark ``key`` to receive the next message too: space on its row in the sidebar."""
        self.focus_on("sidebar")
        self.highlight(key)
        await self.until(lambda: self.highlighted() == key)
        await self.press("space")
        await self.until(lambda: key in self.marked())

    def filter_text(self) -> str:
        return self.app.query_one(PeerFilter).value

    async def until_listed(self, *keys: str) -> None:
        await self.until(lambda: all(key in self.listed() for key in keys))

    async def until_count(self, count: int) -> None:
        """Until the sidebar lists ``count`` contacts (Everyone included)."""
        await self.until(lambda: len(self.listed()) == count)

    def unread(self, key: str) -> int:
        contact = self.app.roster.get(key)
        return contact.unread if contact is not None else 0

    def unread_total(self) -> int:
        return self.app.roster.unread_total

    def online_count(self) -> int:
        return self.app.roster.online_count

    def contact(self, key: str) -> Contact:
        """What the sidebar knows of ``key`` (KeyError if it is not listed at all)."""
        return self.app.roster.contacts[key]

    def known(self, key: str) -> Contact | None:
        """What the sidebar knows of ``key``, or None."""
        return self.app.roster.get(key)

    def contacts(self) -> dict[str, Contact]:
        return dict(self.app.roster.contacts)

    def online(self, key: str) -> bool:
        contact = self.app.roster.get(key)
        return contact is not None and contact.is_online

    # ------------------------------------------------------------------ the conversation

    @property
    def open_key(self) -> str | None:
        """The conversation on screen."""
        return self.app.open_key

    def highlight(self, key: str) -> None:
        """Move the sidebar's cursor onto ``key`` (handled as a message, a moment later)."""
        peers = self.app.peer_list
        peers.highlighted = peers.get_option_index(key)

    async def open(self, key: str) -> None:
        """Open the conversation with ``key`` as choosing its row in the sidebar does."""
        self.highlight(key)
        await self.until(lambda: self.app.open_key == key)

    def churn(self, peer: Peer) -> None:
        """``peer`` comes online and the sidebar is rebuilt at once (as under churn),
        before any message already queued is handled."""
        self.app.roster.peer_online(peer)
        self.app.rebuild_sidebar()

    def chat_with(self, key: str) -> None:
        """Open ``key``'s conversation with the cursor in the input box, as the palette's
        "chat with" and a click on a toast do."""
        self.app.commands.chat_with(key)

    def show(self, key: str) -> None:
        """Put ``key``'s conversation on screen (the focus stays where it is)."""
        self.app.open_conversation(key)

    async def type(self, text: str) -> None:
        """Type into the input box (focusing it first)."""
        if self.focus != "input":
            self.app.composer.focus()
            await self.pilot.pause()
        await self.pilot.press(*text)

    async def send(self, text: str) -> None:
        """Type ``text`` into the open conversation's input box and press Enter."""
        await self.type(text)
        await self.pilot.press("enter")

    def draft(self) -> str:
        """What the input box holds."""
        return self.app.composer.text

    def draft_note(self) -> str:
        """The input box's subtitle ("sealed", who a message goes to ...)."""
        return str(self.app.composer.border_subtitle)

    def draft_title(self) -> str:
        """The input box's title (who the message goes to)."""
        return str(self.app.composer.border_title)

    def placeholder(self) -> str:
        """What the empty input box says."""
        return str(self.app.composer.placeholder)

    def cursor(self) -> tuple[int, int]:
        """Where the input box's cursor is: (line, column)."""
        row, column = self.app.composer.cursor_location
        return row, column

    def clear_draft(self) -> None:
        self.app.composer.clear()

    def commit_text(self, text: str) -> None:
        """Text put into the input box at once, as an input method commits it."""
        self.app.composer.insert(text)

    def rows(self) -> list[StoredMessage]:
        """The messages in the chat pane, oldest first."""
        return list(self.app.chat_log.rows)

    def chat_lines(self) -> list[str]:
        """The chat pane, line by line, as plain text."""
        return self.app.chat_log.plain_lines()

    def chat_text(self) -> str:
        return shown(self.app)

    def messages(self) -> list[str]:
        """The texts of the messages in the chat pane, oldest first."""
        return [row.text for row in self.app.chat_log.rows]

    def states(self) -> list[tuple[str, MessageState]]:
        """Each message in the chat pane with its state."""
        return [(row.text, row.state) for row in self.app.chat_log.rows]

    def header(self) -> str:
        """The line above the chat: who, where, online or not."""
        return str(self.app.query_one("#chat-header").render())

    def presence(self) -> str:
        """The status bar's presence part (away, unread count)."""
        return str(self.app.query_one("#presence").render())

    def nick(self) -> str:
        """Our nick as the app shows it (and others see it)."""
        return self.app.my_nick

    def me(self) -> str:
        """The status bar's part about us (nick, group)."""
        return str(self.app.query_one("#me").render())

    def pane(self, name: str) -> Widget:
        """The pane a user calls ``name``: "sidebar", "filter", "input" or "messages"."""
        panes: dict[str, Widget] = {
            "sidebar": self.app.peer_list,
            "filter": self.app.query_one(PeerFilter),
            "input": self.app.composer,
            "messages": self.app.chat_log,
        }
        return panes[name]

    @property
    def chat_pane(self) -> ChatLog:
        """The chat pane itself, for what only it tells (scrolling, its cursor)."""
        return self.app.chat_log

    def region(self, name: str) -> Region:
        """Where on screen the pane ``name`` is."""
        return self.pane(name).region

    def focus_on(self, name: str) -> None:
        """Give the pane ``name`` the keyboard (as a click on it does)."""
        self.pane(name).focus()

    def widget_text(self, widget: Widget) -> str:
        """What of ``widget`` the screen shows, its lines joined by spaces."""
        return shown_text(self.app, widget)

    def screen_lines(self) -> list[str]:
        return screen_lines(self.app)

    @property
    def focus(self) -> str | None:
        """Which pane has the keyboard: "sidebar", "filter", "input", "messages", or the
        focused widget's class name for anything else."""
        focused = self.app.focused
        if focused is None:
            return None
        return PANES.get(type(focused), type(focused).__name__)

    def refresh(self) -> None:
        """Ask everyone who is there, as F5 does."""
        self.app.action_refresh()

    # ------------------------------------------------------------------ outside the app

    def record_terminal(self) -> list[str]:
        """From now on, what the app writes to the terminal itself (escape sequences such
        as desktop notices), in a list that grows; it no longer reaches the terminal."""
        written: list[str] = []
        driver = self.app._driver
        assert driver is not None
        driver.write = written.append  # type: ignore[method-assign]
        return written

    async def to_background(self) -> None:
        """The terminal loses the focus (the user switched to another window)."""
        self.app.post_message(events.AppBlur())
        await self.until(lambda: not self.app.app_focus)

    async def to_foreground(self) -> None:
        self.app.post_message(events.AppFocus())
        await self.until(lambda: self.app.app_focus)

    async def desktop_notices_done(self) -> None:
        """Until the desktop notices under way have been delivered (their commands ended)."""
        await self.app.desktop.stop()

    # ------------------------------------------------------------------ toasts

    def toasts(self) -> list[str]:
        """The texts of the toasts on screen now (expired ones gone)."""
        return [note.message for note in self.notifications()]

    def notifications(self) -> list[Notification]:
        """The toasts on screen now, with their titles and severities."""
        # Textual keeps them in App._notifications: this is the one place that knows.
        return list(self.app._notifications)

    def toast_widgets(self) -> list[Toast]:
        """The toasts as drawn (for where they are)."""
        return list(self.app.screen.query(Toast))

    # ------------------------------------------------------------------ commands, dialogs

    @property
    def screen(self) -> Screen[Any]:
        """The screen on top: the main one, or a dialog."""
        return self.app.screen

    def showing(self, kind: builtins.type[Screen[Any]]) -> bool:
        return isinstance(self.app.screen, kind)

    async def until_dialog(self, kind: builtins.type[ScreenT]) -> ScreenT:
        """Until a dialog of ``kind`` is on top; that dialog."""
        await self.until(lambda: isinstance(self.app.screen, kind))
        screen = self.app.screen
        assert isinstance(screen, kind)
        return screen

    async def until_closed(self, kind: builtins.type[Screen[Any]]) -> None:
        await self.until(lambda: not isinstance(self.app.screen, kind))

    def dialog_text(self, selector: str) -> str:
        """What the part ``selector`` of the dialog on top says."""
        return str(self.app.screen.query_one(selector).render())

    async def command(self, name: str) -> None:
        """ctrl+p, type the command's name, wait for it to be highlighted, Enter."""
        await self.pilot.press("ctrl+p")
        await self.pilot.press(*name)
        await self.until(lambda: name.lower() in self.highlighted_command().lower())
        await self.pilot.press("enter")

    def highlighted_command(self) -> str:
        lists = self.app.screen.query(CommandList)
        if not lists or lists.first().highlighted_option is None:
            return ""
        return str(lists.first().highlighted_option.prompt)

    async def answer(self, text: str) -> None:
        """Replace a prompt's text with ``text`` and press Enter."""
        await self.until(lambda: isinstance(self.app.screen, TextPrompt))
        await self.pilot.press("ctrl+a", "ctrl+k", *text, "enter")
        await self.until(lambda: not isinstance(self.app.screen, TextPrompt))

    # ------------------------------------------------------------------ transfers

    async def open_transfers(self) -> None:
        await self.pilot.press("ctrl+t")
        await self.until(lambda: isinstance(self.app.screen, TransfersScreen))

    def transfers(self) -> list[Any]:
        """The transfers the app keeps for the panel (finished ones until forgotten)."""
        return list(self.app.board.transfers)

    def transfers_text(self) -> str:
        return panel_text(self.app)
