"""Drive iptux's GTK windows with xdotool, as a user would (no window manager, fixed layout).

Coordinates are relative to a window and hold for the sizes :mod:`.iptux` pins in iptux's
config: main window "Iptux" at 0,0 (264x566); chat windows "Talk with NICK(HOST) IP:ADDR"
(900x600) with the input box at +280,+470 and the "Accept" button of the files-to-receive pane
at +754,+77; in the main window's Ctrl+F search the first result row is at 60,349.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from .xserver import XServer

MAIN_WINDOW = "^Iptux$"
# The avatar column of the main window's list of online pals (iptux itself included), one
# avatar per 43-pixel row. Only its top part: the pal search (Ctrl+F) covers the rest.
PAL_AVATARS = (10, 100, 40, 295)  # x0, y0, x1, y1 relative to the main window
WHITE = (255, 255, 255)
INPUT_BOX = (280, 470)
ACCEPT_BUTTON = (754, 77)
FIRST_SEARCH_RESULT = (60, 349)
_TITLE = re.compile(r"^Talk with (?P<nick>.*)\((?P<host>[^()]*)\) IP:(?P<ip>[\d.]+)$")


class GuiError(AssertionError):
    pass


@dataclass(frozen=True)
class ChatWindow:
    wid: str
    nick: str
    host: str
    ip: str


def chat_title_pattern(ip: str) -> str:
    return f"IP:{re.escape(ip)}$"


class IptuxGui:
    def __init__(self, x: XServer) -> None:
        self.x = x

    # ------------------------------------------------------------------ windows

    def find(self, name_regex: str) -> str | None:
        """The first visible window whose name matches, or None."""
        for _ in range(5):
            result = self.x.run_xdotool("search", "--onlyvisible", "--name", name_regex)
            if "BadWindow" not in result.stderr:  # a window vanished mid-search: try again
                break
            time.sleep(0.1)
        ids = result.stdout.split()
        return ids[0] if ids else None

    def wait_for(self, name_regex: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while (wid := self.find(name_regex)) is None:
            if time.monotonic() >= deadline:
                raise GuiError(f"no window named /{name_regex}/ within {timeout} s")
            time.sleep(0.1)
        return wid

    def wait_gone(self, name_regex: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.find(name_regex) is not None:
            if time.monotonic() >= deadline:
                raise GuiError(f"the window named /{name_regex}/ is still open after {timeout} s")
            time.sleep(0.1)

    def visible_windows(self) -> list[str]:
        out = self.x.xdotool("search", "--onlyvisible", "--name", ".", check=False)
        return [self.name_of(wid) for wid in out.split()]

    def name_of(self, wid: str) -> str:
        return self.x.xdotool("getwindowname", wid).rstrip("\n")

    def online_pals(self) -> int:
        """How many pals the main window lists as online (iptux counts itself), read from
        the screen: the avatars in the list's first column."""
        main = self.wait_for(MAIN_WINDOW)
        left, top = self._origin(main)
        x0, y0, x1, y1 = PAL_AVATARS
        screen = self.x.screen()
        rows, in_row = 0, False
        for y in range(top + y0, top + y1):
            busy = any(screen.rgb(x, y) != WHITE for x in range(left + x0, left + x1))
            rows += busy and not in_row
            in_row = busy
        return rows

    def wait_online_pals(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while (seen := self.online_pals()) != count:
            if time.monotonic() >= deadline:
                raise GuiError(f"iptux lists {seen} pals online, not {count}")
            time.sleep(0.1)

    def chat_window(self, ip: str) -> ChatWindow | None:
        """iptux's open chat window with ``ip``, if any."""
        wid = self.find(chat_title_pattern(ip))
        if wid is None:
            return None
        title = _TITLE.match(self.name_of(wid))
        if title is None:
            raise GuiError(f"unexpected chat window title {self.name_of(wid)!r}")
        return ChatWindow(wid, title["nick"], title["host"], title["ip"])

    def _origin(self, wid: str) -> tuple[int, int]:
        shell = self.x.xdotool("getwindowgeometry", "--shell", wid)
        values = dict(line.split("=", 1) for line in shell.split())
        return int(values["X"]), int(values["Y"])

    def click(self, wid: str, dx: int, dy: int, times: int = 1) -> None:
        x, y = self._origin(wid)
        self.x.xdotool("mousemove", str(x + dx), str(y + dy))
        self.x.xdotool("click", "--repeat", str(times), "--delay", "80", "1")

    def focus(self, wid: str) -> None:
        self.x.xdotool("windowfocus", "--sync", wid, check=False)

    def keys(self, *keys: str) -> None:
        self.x.xdotool("key", "--clearmodifiers", *keys)

    def type(self, text: str) -> None:
        """Type ``text`` into the focused widget. ASCII goes as keys; any other character
        through GTK's Ctrl+Shift+U code entry. (xdotool would remap a spare key for it,
        and GTK, racing that remap, sometimes drops the character.)"""
        for run in re.findall(r"[\x20-\x7e]+|[^\x20-\x7e]+", text):
            if run.isascii():
                self.x.xdotool("type", "--delay", "15", run)
                continue
            keys = []
            for char in run:
                keys += ["ctrl+shift+u", *f"{ord(char):x}", "space"]
            self.x.xdotool("key", "--delay", "15", *keys)

    # ------------------------------------------------------------------ actions

    def open_chat(self, ip: str, timeout: float = 5.0) -> ChatWindow:
        """Open (or find) the chat with the pal at ``ip``: Ctrl+F, type the address,
        double-click the first result. GuiError if iptux does not list that pal."""
        found = self.chat_window(ip)
        if found is not None:
            return found
        self.search(ip)
        self.click(self.wait_for(MAIN_WINDOW), *FIRST_SEARCH_RESULT, times=2)
        self.wait_for(chat_title_pattern(ip), timeout)
        window = self.chat_window(ip)
        if window is None:
            raise GuiError(f"the chat window with {ip} closed again")
        return window

    def search(self, text: str) -> None:
        """Type ``text`` into the main window's pal search (Ctrl+F)."""
        main = self.wait_for(MAIN_WINDOW)
        self.focus(main)
        self.keys("ctrl+f")
        time.sleep(0.3)
        self.keys("ctrl+a", "BackSpace")
        self.type(text)
        time.sleep(0.4)

    def close_chat(self, ip: str) -> None:
        window = self.chat_window(ip)
        if window is None:
            return
        self.focus(window.wid)
        self.keys("ctrl+w")
        deadline = time.monotonic() + 3
        while self.find(chat_title_pattern(ip)) is not None:
            if time.monotonic() >= deadline:
                raise GuiError(f"the chat window with {ip} does not close")
            time.sleep(0.1)

    def _focus_input(self, window: ChatWindow) -> None:
        self.focus(window.wid)
        self.click(window.wid, *INPUT_BOX)
        time.sleep(0.2)

    def send_text(self, ip: str, text: str) -> None:
        """Type ``text`` in the chat with ``ip`` and press Return (which sends)."""
        window = self.open_chat(ip)
        self._focus_input(window)
        self.type(text)
        self.keys("Return")

    def send_file(self, ip: str, path: Path) -> None:
        """Attach a file (Ctrl+S) and send it."""
        self.attach_file(ip, path)
        self.send_attached(ip)

    def send_folder(self, ip: str, path: Path) -> None:
        """Attach a folder (Ctrl+D) and send it."""
        self.attach_folder(ip, path)
        self.send_attached(ip)

    def attach_file(self, ip: str, path: Path) -> None:
        """Attach a file (Ctrl+S) to the next message to ``ip``."""
        self._attach(ip, path, "ctrl+s", "Choose enclosure files")

    def attach_folder(self, ip: str, path: Path) -> None:
        """Attach a folder (Ctrl+D) to the next message to ``ip``."""
        self._attach(ip, path, "ctrl+d", "Choose enclosure folders")

    def send_attached(self, ip: str) -> None:
        """Return in the chat's input box: everything attached goes out in one offer."""
        self._focus_input(self.open_chat(ip))
        self.keys("Return")

    def _attach(self, ip: str, path: Path, key: str, chooser: str) -> None:
        self._focus_input(self.open_chat(ip))
        self.keys(key)
        self.wait_for(chooser)
        self._choose_path(str(path).rstrip("/"))
        self.wait_gone(chooser)

    def _choose_path(self, path: str) -> None:
        """In a GTK file chooser: Ctrl+L, type the path, Return."""
        time.sleep(0.3)
        self.keys("ctrl+l")
        time.sleep(0.2)
        self.keys("ctrl+a", "BackSpace")
        self.type(path)
        time.sleep(0.4)
        self.keys("Return")
        time.sleep(0.5)

    def accept_files(self, ip: str) -> None:
        """Click "Accept" in the chat's files-to-receive pane and confirm the folder chooser,
        which saves into iptux's ``archive_path`` (typing another path there has no effect)."""
        window = self.open_chat(ip)
        self.click(window.wid, *ACCEPT_BUTTON)
        self.wait_for("Please select a folder to save files")
        time.sleep(0.3)
        self.keys("Return")

    def quit(self) -> None:
        """Ctrl+Q on the main window: iptux says BR_EXIT to every pal and ends."""
        main = self.wait_for(MAIN_WINDOW)
        self.focus(main)
        self.keys("ctrl+q")
