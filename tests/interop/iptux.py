"""A real iptux (Debian's 0.8.3) on one lab host: fresh HOME and config, start, quit, logs.

iptux runs under ``dbus-run-session`` (a private session bus that ends with it) with a clean
environment, in a private UTS namespace so its host name is the same on every run, and
draws on the lab's own Xvfb display. Every process is signalled only while it is still the
one we started (:mod:`tests.support.owned`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..support.netlab import Host
from ..support.owned import OwnedProcess, children_of
from .chatlog import ChatLine, read_chat_log
from .gui import MAIN_WINDOW, IptuxGui
from .xserver import XServer

IPMSG_PORT = 2425


class IptuxError(RuntimeError):
    pass


@dataclass(frozen=True)
class IptuxConfig:
    nick: str = "图克斯"
    group: str = "实验室"
    hostname: str = "iptux-a"  # the host field of its packets
    encode: str = "utf-8"  # "preference_encode": its own code page
    candidates: str = "gb18030,utf-16"  # tried in order on a packet that is not UTF-8
    retry_us: int = 1_000_000  # gap between its 4 sends of an unacknowledged message
    # An incoming message would open a chat window. Off: an entry packet from a pal whose
    # window is open can crash iptux 0.8.3 (GTK text buffer updated off the main thread).
    open_chat: bool = False


def config_json(config: IptuxConfig, home: Path) -> dict[str, object]:
    """iptux's ``config.json``; window and pane sizes pinned for :mod:`.gui`'s coordinates."""
    return {
        "version": 1,
        "nick_name": config.nick,
        "belong_group": config.group,
        "archive_path": str(home / "recv"),
        "candidacy_encode": config.candidates,
        "preference_encode": config.encode,
        "personal_sign": "",
        "open_chat": config.open_chat,
        "hide_startup": False,
        "open_transmission": False,
        "use_enter_key": True,
        "clearup_history": False,
        "record_log": True,
        "open_blacklist": False,
        "proof_shared": False,
        "send_message_retry_in_us": config.retry_us,
        "log_level": "DEBUG",  # its stderr then dumps every packet: our failure report
        "peer_window_width": 900,
        "peer_window_height": 600,
        "peer_main_paned_divide": 560,
        "peer_historyinput_paned_divide": 380,
        "peer_infoenclosure_paned_divide": 250,
        "peer_enclosure_paned_divide": 250,
        "peer_file_recieve_paned_divide": 300,
    }


class Iptux:
    """iptux on ``host``, drawing on ``x``; state (HOME, logs) under ``workdir``."""

    def __init__(self, host: Host, x: XServer, workdir: Path) -> None:
        self.host = host
        self.x = x
        self.gui = IptuxGui(x)
        self.workdir = workdir
        self.home = workdir / "home"
        self.config = IptuxConfig()
        self.starts = 0
        self._quitting = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._session: OwnedProcess | None = None
        self._iptux: OwnedProcess | None = None
        self._bus: OwnedProcess | None = None

    @property
    def ip(self) -> str:
        return self.host.ip

    @property
    def recv_dir(self) -> Path:
        """Where accepted files land (its ``archive_path``)."""
        return self.home / "recv"

    @property
    def outbox(self) -> Path:
        """A folder for files the tests make iptux send."""
        return self.home / "outbox"

    @property
    def chat_log_path(self) -> Path:
        return self.home / ".config/iptux/log/communicate.log"

    @property
    def stderr_path(self) -> Path:
        return self.workdir / f"iptux-{self.starts}.log"

    def chat_log(self) -> list[ChatLine]:
        return read_chat_log(self.chat_log_path)

    def running(self) -> bool:
        return self._iptux is not None and self._iptux.alive()

    def crashed(self) -> bool:
        """Whether the running iptux is gone though nobody asked it to quit."""
        return self._iptux is not None and not self._quitting and not self.running()

    def crashed_on_its_transfer_race(self) -> bool:
        """Whether iptux died of its own race on finished transfers, not of anything we sent.

        Debian's 0.8.3+git20211122 registers each incoming file in an unlocked map from the
        file's own thread; when two files start in the same instant one can go missing, and
        the window's "transfer finished" handler then dereferences the missing entry (fixed
        upstream later by checking for it). Its output says both: the warning for the lost
        task and the crash inside the transfer list's update."""
        output = self.stderr_text(tail=20_000)
        return (
            "but no info in CoreThread" in output
            and "SIGSEGV" in output
            and "transModelUpdateFromTransFileModel" in output
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self, config: IptuxConfig | None = None, *, fresh_home: bool = True) -> None:
        """Start iptux (after writing a fresh HOME and config unless ``fresh_home`` is False)
        and wait until it listens on UDP 2425 and shows its main window."""
        if self.running():
            raise IptuxError("iptux is already running")
        self.config = config or IptuxConfig()
        self._quitting = False
        if fresh_home or not self.home.exists():
            self._make_home()
        self.starts += 1
        command = ["ip", "netns", "exec", self.host.netns, "unshare", "--uts"]
        command += ["sh", "-c", 'hostname "$1" && shift && exec "$@"', "sh"]
        command += [self.config.hostname, "env", "-i", f"HOME={self.home}"]
        command += ["USER=root", "LOGNAME=root", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        command += [f"DISPLAY={self.x.display}", "NO_AT_BRIDGE=1", "LANG=C.UTF-8"]
        command += ["GDK_BACKEND=x11", "dbus-run-session", "--", "iptux"]
        with self.stderr_path.open("wb") as log:
            self._proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._adopt_processes()
        self._wait_ready()

    def _make_home(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
        # iptux opens its chat log before it creates the folder: make it, or no log at all.
        for folder in (".iptux", "recv", "outbox", ".config/iptux/log", ".cache/iptux/log"):
            (self.home / folder).mkdir(parents=True, exist_ok=True)
        settings = config_json(self.config, self.home)
        (self.home / ".iptux/config.json").write_text(json.dumps(settings, ensure_ascii=False))

    def _adopt_processes(self, timeout: float = 10.0) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._session = self._session or OwnedProcess.adopt(self._proc.pid, "dbus-run-sessio")
            if self._session is not None:
                for pid in children_of(self._session.pid):
                    self._iptux = self._iptux or OwnedProcess.adopt(pid, "iptux")
                    self._bus = self._bus or OwnedProcess.adopt(pid, "dbus-daemon")
            if self._iptux is not None:
                return
            if self._proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise IptuxError(f"iptux did not start; its output: {self.stderr_text()}")

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self._listening() and self.gui.find(MAIN_WINDOW)):
            if time.monotonic() >= deadline or not self.running():
                self.stop()
                raise IptuxError(f"iptux is not ready; its output: {self.stderr_text()}")
            time.sleep(0.1)

    def _listening(self) -> bool:
        """Whether iptux has bound UDP 2425 (read from its own namespace's socket table)."""
        assert self._iptux is not None
        try:
            table = Path(f"/proc/{self._iptux.pid}/net/udp").read_text()
        except OSError:
            return False
        port = f":{IPMSG_PORT:04X}"
        return any(line.split()[1].endswith(port) for line in table.splitlines()[1:])

    def quit(self, timeout: float = 5.0) -> None:
        """Quit from the GUI (Ctrl+Q), which sends BR_EXIT to every pal; wait until gone."""
        self._quitting = True
        self.gui.quit()
        if self._iptux is not None and not self._iptux.wait_gone(timeout):
            raise IptuxError("iptux did not quit on Ctrl+Q")
        self.stop()

    def kill(self) -> None:
        """SIGKILL iptux, as a crash or a power cut would: no BR_EXIT goes out."""
        self._quitting = True
        if self._iptux is not None and self._iptux.signal(signal.SIGKILL):
            self._iptux.wait_gone(5)
        self.stop()

    def stop(self) -> None:
        """End whatever is left of this run (SIGTERM, then SIGKILL), ours only."""
        for process in (self._iptux, self._session, self._bus):
            if process is not None:
                process.stop()
        if self._proc is not None and self._session is None and self._proc.poll() is None:
            self._proc.kill()  # still our unreaped child (sh, env): its PID cannot be reused
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)
        self._proc = self._session = self._iptux = self._bus = None

    def stderr_text(self, tail: int = 4000) -> str:
        """The end of iptux's output, without the hex dumps of packets (their text is
        logged on the line before)."""
        try:
            lines = self.stderr_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        kept = [line for line in lines if line and not line[:8].isalnum()]
        return "\n".join(kept)[-tail:]

    def diagnostics(self) -> str:
        """What a failing test's report shows about iptux."""
        windows = self.gui.visible_windows() if self.running() else ["(iptux is not running)"]
        chat = "\n".join(repr(line) for line in self.chat_log()) or "(empty)"
        return (
            f"config: {self.config}\nwindows: {windows}\nchat log:\n{chat}\n"
            f"iptux output ({self.stderr_path}):\n{self.stderr_text()}"
        )

    # ------------------------------------------------------------------ files

    def mirror_dirs(self, folder: Path) -> None:
        """Pre-create ``folder``'s directory tree under ``recv_dir`` before accepting it:
        Debian's iptux 0.8.3 crashes (endless recursion in AnalogFS::mkdir, upstream bug
        #472) when a received folder's directory does not exist yet."""
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                (self.recv_dir / path.relative_to(folder.parent)).mkdir(parents=True, exist_ok=True)
