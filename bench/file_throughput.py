"""Benchmark 3, file throughput: a big file and a folder of small files across the LAN.

Every leg moves the same bytes from the sender's namespace to the receiver's, both on a
tmpfs of our own: a raw TCP copy (``sendfile`` to a plain reader, the physical limit) and
ipmsg-tui to ipmsg-tui (see :mod:`bench.file_peers`). Legs take turns within each round.
Where iptux, Xvfb and xdotool are installed, the big file also goes from iptux to ipmsg-tui
and from ipmsg-tui to iptux (:mod:`bench.iptux_peer`, in a third namespace).

    sudo .venv/bin/python -m bench.file_throughput           # 1 GiB file, 10,000 files, 3 rounds
    sudo .venv/bin/python -m bench.file_throughput --smoke   # 8 MiB, 100 files, 1 round, no iptux
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import shutil
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

from . import cli
from .lab import Host, Lan, lan_of
from .report import median, ratio_line, save_json, table
from .tmpfs import tmpfs
from .worker import Worker

# (sender kind, receiver kind)
LEGS = [("raw", "raw"), ("ours", "ours")]
BEFORE_LEG = ("before", "before")  # with --before SRC: that ipmsg-tui, on its own port
IPTUX_LEGS = [("iptux", "ours"), ("ours", "iptux")]  # the big file only
IPTUX_TOOLS = ("iptux", "Xvfb", "xdotool", "dbus-run-session", "unshare")
# Our nodes announce themselves again 5 s after they start; iptux 0.8.3 can crash on an
# entry packet from a pal whose chat window is open, so its GUI waits until then.
IPTUX_SETTLE = 6.0
LABELS = {"raw": "raw TCP", "ours": "ipmsg-tui", "before": "ipmsg-tui before", "iptux": "iptux"}
BEFORE_PORT = 2429
GOAL_FILE_RATIO = 0.9
MIB = 1 << 20


@dataclass(frozen=True)
class Item:
    name: str
    path: Path
    folder: bool
    size: int
    files: int


@dataclass
class Result:
    item: str
    leg: str
    seconds: float
    bytes: int
    files: int
    cpu_sender: float
    cpu_receiver: float


def make_file(path: Path, size: int) -> Item:
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(left, 16 * MIB))
            out.write(chunk)
            left -= len(chunk)
    return Item(f"{size / MIB:,.0f} MiB file", path, False, size, 1)


def make_folder(root: Path, count: int, per_folder: int = 100) -> Item:
    """``count`` files of 1-16 KiB, ``per_folder`` to a sub-folder, as a source tree has."""
    rng = random.Random(7)
    total = 0
    for index in range(count):
        folder = root / f"dir{index // per_folder:03}"
        folder.mkdir(parents=True, exist_ok=True)
        data = rng.randbytes(rng.randint(1024, 16 * 1024))
        (folder / f"file{index:05}.dat").write_bytes(data)
        total += len(data)
    return Item(f"folder of {count:,} files", root, True, total, count)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(16 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


class Legs:
    """The sender and receiver workers of every kind, started once for all rounds."""

    def __init__(
        self,
        lan: Lan,
        stack: ExitStack,
        legs: list[tuple[str, str]],
        before: Path | None,
        workdir: Path,
    ) -> None:
        self.lan = lan
        self.before = before
        self.workdir = workdir
        self.senders: dict[str, Worker] = {}
        self.receivers: dict[str, Worker] = {}
        self._iptux: Worker | None = None
        for kind in sorted({s for s, _ in legs}):
            self.senders[kind] = self._start(stack, "sender", kind)
        for kind in sorted({r for _, r in legs}):
            self.receivers[kind] = self._start(stack, "receiver", kind)
        if self._iptux is not None:
            time.sleep(IPTUX_SETTLE)

    def host(self, role: str, kind: str) -> Host:
        return self.lan["iptux" if kind == "iptux" else role]

    def _start(self, stack: ExitStack, role: str, kind: str) -> Worker:
        if kind == "iptux":  # one iptux plays both parts
            if self._iptux is None:
                host = self.lan["iptux"]
                args = ["--netns", host.netns, "--ip", host.ip]
                args += ["--workdir", str(self.workdir / "iptux")]
                self._iptux = stack.enter_context(Worker("bench.iptux_peer", *args))
                self._iptux.expect("ready", 60)
            return self._iptux
        host = self.lan[role]
        args = [role, "--kind", kind, "--bind", host.ip]
        code = None
        if kind == "before":
            args = [role, "--kind", "ours", "--bind", host.ip, "--port", str(BEFORE_PORT)]
            code = self.before
        worker = stack.enter_context(Worker("bench.file_peers", *args, host=host, code=code))
        worker.expect("ready", 30)
        return worker

    @staticmethod
    def cpu(worker: Worker) -> float:
        worker.send(cpu=True)
        return float(worker.expect("cpu", 10)["cpu"])

    def run(self, leg: tuple[str, str], item: Item, inbox: Path) -> tuple[Result, Path]:
        sender, receiver = self.senders[leg[0]], self.receivers[leg[1]]
        from_host, to_host = self.host("sender", leg[0]), self.host("receiver", leg[1])
        cpu_before = self.cpu(sender)
        iptux_receives = leg[1] == "iptux"
        receiver_cpu_before = self.cpu(receiver) if iptux_receives else 0.0
        sender.send(offer={"path": str(item.path), "to": to_host.ip})
        token = sender.expect("offered", 120)["offered"]
        request = {"token": token, "from": from_host.ip, "dest": str(inbox)}
        request |= {"name": item.path.name, "size": item.size, "folder": item.folder}
        receiver.send(fetch=request)
        done = receiver.expect("fetched", 600)["fetched"]
        if iptux_receives:  # timed from our sender's side: when iptux's request arrived
            sender.send(upload_started=token)
            started = sender.expect("upload_started", 10)["upload_started"]
            done["seconds"] = done["finished_at"] - started
            done["cpu"] = self.cpu(receiver) - receiver_cpu_before
        cpu_sender = self.cpu(sender) - cpu_before
        label = f"{LABELS[leg[0]]} → {LABELS[leg[1]]}"
        result = Result(item.name, label, done["seconds"], done["bytes"], done["files"],
                        cpu_sender, done["cpu"])  # fmt: skip
        return result, Path(done["path"])


def iptux_missing() -> list[str]:
    return [tool for tool in IPTUX_TOOLS if shutil.which(tool) is None]


def check(item: Item, received: Path, result: Result, thorough: bool) -> None:
    """The received copy is the source: sizes always, contents on the first round."""
    if (result.bytes, result.files) != (item.size, item.files):
        raise AssertionError(f"{result.leg}: got {result.bytes} bytes in {result.files} files")
    if not thorough:
        return
    same = (
        tree_digest(received) == tree_digest(item.path)
        if item.folder
        else file_digest(received) == file_digest(item.path)
    )
    if not same:
        raise AssertionError(f"{result.leg}: {item.name} arrived different")


def summary(results: list[Result], items: list[Item]) -> tuple[str, dict[tuple[str, str], float]]:
    rows: list[list[object]] = []
    speeds: dict[tuple[str, str], float] = {}
    for item in items:
        for leg in dict.fromkeys(r.leg for r in results if r.item == item.name):
            mine = [r for r in results if r.item == item.name and r.leg == leg]
            seconds = median([r.seconds for r in mine])
            speeds[item.name, leg] = item.size / seconds / MIB
            rows.append(
                [
                    item.name,
                    leg,
                    len(mine),
                    seconds,
                    item.size / seconds / MIB,
                    item.files / seconds if item.folder else "-",
                    median([r.cpu_sender for r in mine]),
                    _or_dash(median([r.cpu_receiver for r in mine])),
                ]
            )
    header = ["item", "sender → receiver", "runs", "median s", "MiB/s", "files/s",
              "sender CPU s", "receiver CPU s"]  # fmt: skip
    return table(header, rows), speeds


def _or_dash(value: float) -> float | str:
    return "-" if math.isnan(value) else value


def verdict(big: str, speeds: dict[tuple[str, str], float], iptux: bool) -> str:
    ours = speeds[big, "ipmsg-tui → ipmsg-tui"]
    ratio = ours / speeds[big, "raw TCP → raw TCP"]
    met = ratio >= GOAL_FILE_RATIO
    if iptux:
        as_sender = ours / speeds[big, "iptux → ipmsg-tui"]
        as_receiver = ours / speeds[big, "ipmsg-tui → iptux"]
        met = met and as_sender > 1 and as_receiver > 1
        iptux_note = (
            f"ipmsg-tui → ipmsg-tui is {as_sender:.2f}× iptux → ipmsg-tui "
            f"and {as_receiver:.2f}× ipmsg-tui → iptux"
        )
    else:
        iptux_note = "iptux legs not run"
    return ratio_line(
        f"{big} throughput ipmsg-tui / raw TCP",
        ratio,
        f"≥ {GOAL_FILE_RATIO:g}× of raw TCP and ahead of iptux both ways; {iptux_note}",
        met,
    )


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    parser.add_argument("--file-mib", type=int, default=None, help="big file size (1024)")
    parser.add_argument("--files", type=int, default=None, help="files in the folder (10,000)")
    parser.add_argument(
        "--no-iptux", action="store_true", help="leave out the iptux legs (never in --smoke)"
    )
    args = parser.parse_args()
    file_size = (args.file_mib or (8 if args.smoke else 1024)) * MIB
    file_count = args.files or (100 if args.smoke else 10_000)
    rounds = args.rounds or (1 if args.smoke else 3)
    with_iptux = not (args.smoke or args.no_iptux)
    if with_iptux and (missing := iptux_missing()):
        print(f"iptux legs left out: {', '.join(missing)} not installed")
        with_iptux = False
    results: list[Result] = []
    space = 3 * file_size + file_count * 64 * 1024 + 256 * MIB
    hosts = ["sender", "receiver", *(["iptux"] if with_iptux else [])]
    with tmpfs(space) as root, lan_of(*hosts) as lan, ExitStack() as stack:
        (root / "outbox").mkdir()
        items = [
            make_file(root / "outbox" / "big.bin", file_size),
            make_folder(root / "outbox" / "tree", file_count),
        ]
        common = [*LEGS, *([BEFORE_LEG] if args.before else [])]
        legs_of = {
            items[0].name: common + (IPTUX_LEGS if with_iptux else []),
            items[1].name: common,
        }
        legs = Legs(lan, stack, legs_of[items[0].name], args.before, root)
        # Round -1 warms up and is not counted: the first gigabyte written to a fresh tmpfs
        # on this virtual machine takes up to twice as long (the hypervisor backs the memory
        # on first touch), which would slow whichever leg happened to go first.
        for index in range(-1, rounds):
            for item in items:
                chosen = legs_of[item.name]
                order = chosen if index % 2 == 0 else list(reversed(chosen))
                for leg in order:
                    inbox = root / f"inbox-{leg[0]}-{leg[1]}"
                    inbox.mkdir()
                    result, received = legs.run(leg, item, inbox)
                    check(item, received, result, thorough=index == 0)
                    if index >= 0:
                        results.append(result)
                    shutil.rmtree(inbox)
                    if leg[1] == "iptux":
                        received.unlink()
    text, speeds = summary(results, items)
    print(f"File throughput across the namespace LAN, files on tmpfs, {rounds} rounds")
    print(text)
    save_json(args.json, {"rounds": rounds, "results": [asdict(r) for r in results]})
    print(verdict(items[0].name, speeds, with_iptux))


if __name__ == "__main__":
    cli.run(main)
