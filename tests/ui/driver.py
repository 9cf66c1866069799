"""A driver for UI tests: what a user does and sees, so tests stop reaching into the App.

    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.open("bob@bob-pc")
        await ui.send("hello bob")
        await ui.until(lambda: "✓ delivered" in ui.chat_text())

Every reach into the app's widgets is written here once; when a widget changes, this file
changes, not every test. Additive: tests may still use the pilot and the app directly, and
older helpers (``listed``, ``shown``, ``panel_text``) are re-exported from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widget import Widget

from ipmsg_tui.store import MessageState
from ipmsg_tui.ui.app import MessengerApp
from ipmsg_tui.ui.chatlog import ChatLog
from ipmsg_tui.ui.composer import Composer
from ipmsg_tui.ui.screens.prompt import TextPrompt
from ipmsg_tui.ui.screens.transfers import TransfersScreen
from ipmsg_tui.ui.sidebar import PeerFilter, PeerList

from .conftest import WAIT, wait_for

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

    def online(self, key: str) -> bool:
        contact = self.app.roster.get(key)
        return contact is not None and contact.is_online

    # ------------------------------------------------------------------ the conversation

    @property
    def open_key(self) -> str | None:
        """The conversation on screen."""
        return self.app.open_key

    async def open(self, key: str) -> None:
        """Open the conversation with ``key`` as choosing its row in the sidebar does."""
        peers = self.app.peer_list
        peers.highlighted = peers.get_option_index(key)
        await self.until(lambda: self.app.open_key == key)

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

    def me(self) -> str:
        """The status bar's part about us (nick, group)."""
        return str(self.app.query_one("#me").render())

    @property
    def focus(self) -> str | None:
        """Which pane has the keyboard: "sidebar", "filter", "input", "messages", or the
        focused widget's class name for anything else."""
        focused = self.app.focused
        if focused is None:
            return None
        return PANES.get(type(focused), type(focused).__name__)

    # ------------------------------------------------------------------ toasts

    def toasts(self) -> list[str]:
        """The texts of the toasts on screen now (expired ones gone)."""
        # Textual keeps them in App._notifications: this is the one place that knows.
        return [note.message for note in self.app._notifications]

    # ------------------------------------------------------------------ commands, dialogs

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

    def transfers_text(self) -> str:
        return panel_text(self.app)
