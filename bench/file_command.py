"""The file commands as the user waits for them: ``send --file`` end to end.

Two hosts on the namespace LAN, files on a tmpfs of our own. Each host keeps running what
a user leaves running: ``ipmsg-tui listen --accept-files`` and the raw receiver of
:mod:`bench.raw_copy`. Each run times one whole command from its start to its exit, as a
user waits for it: ``ipmsg-tui send PEER x --file PATH`` (interpreter start, imports, the
message and its receipt, the peer's download, exit) beside ``python bench/raw_copy.py send``
of the same path (``sendfile`` / ``recv_into`` + ``write``, no protocol). Both directions;
a big file and a folder of thousands of small files. Legs take turns within each round and
the best run of each counts: the machine is shared, and the best run is the one the least
disturbed by others.

    sudo .venv/bin/python -m bench.file_command           # 1 GiB, 5,000 files, 5 rounds
    sudo .venv/bin/python -m bench.file_command --smoke   # 8 MiB, 100 files, 1 round
    sudo .venv/bin/python -m bench.file_command --before /work/main/src   # and main's code
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from . import cli
from .file_throughput import Item, file_digest, make_file, make_folder, tree_digest
from .lab import Host, LabError, lan_of
from .report import median, ratio_line, table
from .tmpfs import tmpfs

GOAL = 0.9
MIB = 1 << 20
RAW_SCRIPT = Path(__file__).with_name("raw_copy.py")
REPO_ROOT = Path(__file__).resolve().parents[1]
# kind: (port its listener/receiver uses, port its sending command uses)
PORTS = {"raw": (2426, 0), "ours": (2425, 2435), "before": (2427, 2437)}
LABELS = {"raw": "raw copy", "ours": "ipmsg-tui", "before": "ipmsg-tui before"}
HOSTS = ("alpha", "beta")


def interpreter(before: Path | None) -> str:
    """The Python that runs ``before``'s code: its checkout's own venv when it has one (its
    dependencies may differ from ours), else ours."""
    if before is not None:
        venv = before.resolve().parent / ".venv" / "bin" / "python"
        if venv.exists():
            return str(venv)
    return sys.executable


class Background:
    """A long-running process in a namespace whose output lines can be waited for."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command = command
        self.proc = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise LabError(f"{self.command[4:7]} exited: {err[-2000:]}")
            if text in line:
                return line
        raise LabError(f"{self.command[4:7]}: no {text!r} within {timeout:g} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # listen leaves cleanly on SIGTERM
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@dataclass
class Run:
    item: str
    direction: str
    kind: str
    seconds: float


class Side:
    """One host's receivers (one per kind), its inboxes and its commands."""

    def __init__(self, host: Host, root: Path, kinds: list[str], before: Path | None) -> None:
        self.host = host
        self.before = before
        self.home = root / f"home-{host.name}"
        self.home.mkdir()
        self.inbox = {kind: root / f"inbox-{host.name}-{kind}" for kind in kinds}
        self.receivers: dict[str, Background] = {}
        for kind in kinds:
            self.inbox[kind].mkdir()

    def env(self, kind: str) -> dict[str, str]:
        env = dict(os.environ, HOME=str(self.home), XDG_CONFIG_HOME=str(self.home))
        env.pop("IPMSG_TUI_CONFIG", None)
        # Byte code cached as an installed copy has it (the warm-up round writes it), in a
        # tree of our own: nothing is written into the checkouts, and every kind is equal.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.home.parent / "pycache")
        if kind == "before" and self.before is not None:
            env["PYTHONPATH"] = str(self.before)  # main's ipmsg_tui before the installed one
        return env

    def app(self, kind: str, *args: str) -> list[str]:
        data = self.home / f"data-{kind}-{args[0]}"
        common = ["--bind", self.host.ip, "--data-dir", str(data)]
        python = interpreter(self.before if kind == "before" else None)
        return self.host.command(python, "-m", "ipmsg_tui", args[0], *common, *args[1:])

    def start(self, kind: str) -> None:
        port, _ = PORTS[kind]
        if kind == "raw":
            command = self.host.command(
                sys.executable, str(RAW_SCRIPT), "serve", self.host.ip, str(port),
                str(self.inbox[kind]),
            )  # fmt: skip
            ready = "ready"
        else:
            command = self.app(
                kind, "listen", "--port", str(port), "--json", "--accept-files",
                "--save-dir", str(self.inbox[kind]),
            )  # fmt: skip
            ready = "peer_joined"  # its own entry, heard back: it is online
        self.receivers[kind] = Background(command, self.env(kind))
        if kind == "raw":
            self.receivers[kind].wait_for(ready, 30)

    def send_command(self, kind: str, to: Host, path: Path) -> list[str]:
        port, own = PORTS[kind]
        if kind == "raw":
            return self.host.command(sys.executable, str(RAW_SCRIPT), "send", to.ip, str(port),
                                     str(path))  # fmt: skip
        target = f"{to.ip}:{port}"
        return self.app(kind, "send", "--port", str(own), "--timeout", "600", target, "x",
                        "--file", str(path))  # fmt: skip

    def stop(self) -> None:
        for receiver in self.receivers.values():
            receiver.stop()


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise LabError(f"{command[4:8]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def one_run(kind: str, item: Item, sender: Side, receiver: Side, check: bool) -> float:
    inbox = receiver.inbox[kind]
    seconds = timed(sender.send_command(kind, receiver.host, item.path), sender.env(kind))
    if kind != "raw":  # `send` exits once its bytes are out; the file is ours once it is saved
        line = receiver.receivers[kind].wait_for('"file_', 60)
        if "file_received" not in line:
            raise LabError(f"{LABELS[kind]}: {line.strip()}")
    received = inbox / item.path.name
    if not received.exists():
        raise LabError(f"{LABELS[kind]}: {received} did not arrive")
    if check:
        same = (
            tree_digest(received) == tree_digest(item.path)
            if item.folder
            else file_digest(received) == file_digest(item.path)
        )
        if not same:
            raise LabError(f"{LABELS[kind]}: {item.name} arrived different")
    if item.folder:
        shutil.rmtree(received)
    else:
        received.unlink()
    return seconds


def report(runs: list[Run], items: list[Item], kinds: list[str]) -> tuple[str, list[str], float]:
    rows: list[list[object]] = []
    notes: list[str] = []
    worst = float("inf")
    for item in items:
        for direction in dict.fromkeys(r.direction for r in runs):
            best: dict[str, float] = {}
            for kind in kinds:
                mine = [r.seconds for r in runs if (r.item, r.direction, r.kind) ==
                        (item.name, direction, kind)]  # fmt: skip
                best[kind] = min(mine)
                vs_raw = best["raw"] / best[kind]
                rows.append([item.name, direction, LABELS[kind], len(mine), best[kind],
                             median(mine), item.size / best[kind] / MIB, vs_raw])  # fmt: skip
            ratio = best["raw"] / best["ours"]
            worst = min(worst, ratio)
            notes.append(f"{'folder' if item.folder else 'file'} {direction} {ratio:.2f}×")
    header = ["item", "direction", "command", "runs", "best s", "median s", "MiB/s (best)",
              "raw s / its s"]  # fmt: skip
    return table(header, rows), notes, worst


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    parser.add_argument("--file-mib", type=int, default=None, help="big file size (1024)")
    parser.add_argument("--files", type=int, default=None, help="files in the folder (5,000)")
    args = parser.parse_args()
    file_size = (args.file_mib or (8 if args.smoke else 1024)) * MIB
    file_count = args.files or (100 if args.smoke else 5_000)
    rounds = args.rounds or (1 if args.smoke else 5)
    kinds = ["raw", "ours", *(["before"] if args.before else [])]
    space = 2 * file_size + 2 * file_count * 64 * 1024 + 256 * MIB
    runs: list[Run] = []
    with tmpfs(space) as root, lan_of(*HOSTS) as lan, ExitStack() as stack:
        work = Path(tempfile.mkdtemp(dir=root))
        (work / "outbox").mkdir()
        items = [
            make_file(work / "outbox" / "big.bin", file_size),
            make_folder(work / "outbox" / "tree", file_count),
        ]
        sides = {name: Side(lan[name], work, kinds, args.before) for name in HOSTS}
        for side in sides.values():
            stack.callback(side.stop)
            for kind in kinds:
                side.start(kind)
        for side in sides.values():
            for kind in kinds:
                if kind != "raw":
                    side.receivers[kind].wait_for("peer_joined", 30)
        pairs = [(sides["alpha"], sides["beta"]), (sides["beta"], sides["alpha"])]
        # Round -1 warms up (page cache, the tmpfs's first touch) and is not counted.
        for index in range(-1, rounds):
            for item in items:
                for sender, receiver in pairs:
                    direction = f"{sender.host.name} → {receiver.host.name}"
                    order = kinds if index % 2 == 0 else list(reversed(kinds))
                    for kind in order:
                        seconds = one_run(kind, item, sender, receiver, check=index == 0)
                        if index >= 0:
                            runs.append(Run(item.name, direction, kind, seconds))
    text, notes, worst = report(runs, items, kinds)
    print(f"Whole `send --file` command vs a raw copy, namespace LAN, tmpfs, best of {rounds}")
    print(text)
    print(
        ratio_line(
            "worst of file and folder, both ways: raw copy time / ipmsg-tui send time",
            worst,
            f"≥ {GOAL:g}× each; {', '.join(notes)}",
            worst >= GOAL,
        )
    )


if __name__ == "__main__":
    cli.run(main)
