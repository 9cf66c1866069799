"""Our side of the interop tests: real ``ipmsg-tui`` processes on the lab hosts.

Each lab host is its own machine: its own settings file (fixed user and host names, so
iptux's window titles are predictable), history database and download folder.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..support.netlab import Lan
from ..support.procs import Listener, child_env, command, run
from ..support.sniff import Sniffer
from .terminal import AppTerminal

ROOT = Path(__file__).resolve().parents[2]
IPMSG_PORT = 2425
BR_ENTRY = 0x01
LISTEN_READY_WITHIN = 10.0


def user_of(host: str) -> str:
    return f"user-{host}"


def hostname_of(host: str) -> str:
    return f"tui-{host}"


class OurSide:
    def __init__(self, lab: Lan, workdir: Path) -> None:
        self.lab = lab
        self.workdir = workdir
        self._listeners: list[Listener] = []
        self._senders: list[subprocess.Popen[str]] = []
        self._apps: list[AppTerminal] = []

    def config_path(self, host: str) -> Path:
        path = self.workdir / f"{host}.toml"
        if not path.exists():
            path.write_text(
                f'user = "{user_of(host)}"\nhost = "{hostname_of(host)}"\n'
                f'download_dir = "{self.workdir / host / "downloads"}"\n'
            )
        return path

    def data_dir(self, host: str) -> Path:
        return self.workdir / host / "data"

    def args(
        self,
        host: str,
        *,
        nick: str | None = None,
        group: str | None = None,
        encoding: str | None = None,
    ) -> list[str]:
        """The common options of a command run on ``host``."""
        args = ["--config", str(self.config_path(host)), "--data-dir", str(self.data_dir(host))]
        for flag, value in (("--nick", nick), ("--group", group), ("--encoding", encoding)):
            if value is not None:
                args += [flag, value]
        return args

    def listen(
        self, host: str = "us", *extra: str, settled: bool = False, **options: str | None
    ) -> Listener:
        """``ipmsg-tui listen --json`` on ``host``, returned once its socket is bound (with
        ``settled``: once it has also announced itself the second time, 5 s after its start);
        killed when the test ends if it is still running.

        Tests that work in iptux's chat windows want it settled: an entry packet from a pal
        whose chat window is open can crash iptux 0.8.3 (GTK asserts in its text view).
        """
        tap = Sniffer(self.lab[host]) if settled else None
        listener = Listener([*self.args(host, **options), *extra], netns=self.lab[host].netns)
        self._listeners.append(listener)
        deadline = time.monotonic() + LISTEN_READY_WITHIN
        while not self.lab[host].udp_bound(IPMSG_PORT):
            if time.monotonic() > deadline or listener.proc.poll() is not None:
                raise AssertionError(f"listen did not start: {listener.stderr_text()}")
            time.sleep(0.05)
        if tap is not None:
            self._wait_announced_twice(host, tap)
        return listener

    def _wait_announced_twice(self, host: str, tap: Sniffer) -> None:
        """Until ``host`` has announced itself the second time (``tap`` ran since its start).
        One announcement is a BR_ENTRY to the broadcast address and one to each ``--host``,
        all with the same packet number."""
        ours = self.lab[host].ip

        def announcements() -> int:
            entries = tap.matching(lambda d: d.src[0] == ours and d.mode == BR_ENTRY)
            return len({d.packet_no for d in entries})

        deadline = time.monotonic() + LISTEN_READY_WITHIN
        with tap:
            while announcements() < 2:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{host} did not announce itself twice")
                time.sleep(0.05)

    def send(
        self, target: str, text: str, *extra: str, host: str = "them", **options: str | None
    ) -> subprocess.CompletedProcess[str]:
        """``ipmsg-tui send TARGET TEXT`` from ``host`` (exit status 0: acknowledged)."""
        return run(
            ["send", target, text, *extra, *self.args(host, **options)],
            netns=self.lab[host].netns,
        )

    def start_send(
        self, target: str, text: str, *extra: str, host: str = "us", **options: str | None
    ) -> subprocess.Popen[str]:
        """``ipmsg-tui send`` from ``host`` in the background (for ``--file``, which serves
        until the files are fetched), returned once it has announced itself the second time:
        from then on iptux's chat windows are safe from its entry packets."""
        tap = Sniffer(self.lab[host])
        sender = subprocess.Popen(
            command(
                "send",
                target,
                text,
                *extra,
                *self.args(host, **options),
                netns=self.lab[host].netns,
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        self._senders.append(sender)
        self._wait_announced_twice(host, tap)
        return sender

    def start_app(self, host: str = "us", **options: str | None) -> AppTerminal:
        """The app (``ipmsg-tui`` with no command) on ``host``, in a terminal, returned once it
        has announced itself the second time; ended when the test ends."""
        tap = Sniffer(self.lab[host])
        log_file = self.workdir / host / "app.log"
        args = [*self.args(host, **options), "--log-file", str(log_file)]
        (self.workdir / host).mkdir(parents=True, exist_ok=True)
        app = AppTerminal(self.lab[host], self.workdir / host, args)
        self._apps.append(app)
        app.start()
        self._wait_announced_twice(host, tap)
        return app

    def screens(self) -> str:
        """What the apps still running show (for a failing test's report)."""
        return "\n".join(app.screen() for app in self._apps if app.running())

    def who(self, host: str = "them", wait: float = 1.5) -> list[dict[str, Any]]:
        """``ipmsg-tui who --json`` on ``host``."""
        result = run(
            ["who", "--json", "--wait", str(wait), *self.args(host)], netns=self.lab[host].netns
        )
        assert result.returncode == 0, result.stderr
        peers: list[dict[str, Any]] = json.loads(result.stdout)
        return peers

    def history(self, host: str) -> list[dict[str, Any]]:
        """Every message row of ``host``'s history database, oldest first."""
        with sqlite3.connect(self.data_dir(host) / "history.sqlite3") as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM messages ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    def drive(self, host: str, *driver_args: str, timeout: float = 30) -> list[dict[str, Any]]:
        """Run :mod:`.node_driver` (our node, scripted) on ``host``; the events it printed."""
        command = ["ip", "netns", "exec", self.lab[host].netns, sys.executable]
        command += ["-m", "tests.interop.node_driver", *self.args(host), *driver_args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    def close(self) -> None:
        for listener in self._listeners:
            listener.__exit__()
        self._listeners.clear()
        for sender in self._senders:
            if sender.poll() is None:
                sender.kill()  # our child, not reaped yet: its PID cannot be reused
            sender.communicate(timeout=5)
        self._senders.clear()
        for app in self._apps:
            app.stop()
        self._apps.clear()
