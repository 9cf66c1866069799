"""Benchmark 3, file throughput: a big file and a folder of small files across the LAN.

Every leg moves the same bytes from the sender's namespace to the receiver's, both on a
tmpfs of our own: a raw TCP copy (``sendfile`` to a plain reader, the physical limit) and
ipmsg-tui to ipmsg-tui (see :mod:`bench.file_peers`). Legs take turns within each round.
An iptux leg is one more sender or receiver kind in ``LEGS`` once the interop harness can
drive iptux (it is not merged yet).

    sudo .venv/bin/python -m bench.file_throughput           # 1 GiB file, 10,000 files, 3 rounds
    sudo .venv/bin/python -m bench.file_throughput --smoke   # 8 MiB, 100 files, 1 round
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

from . import cli
from .lab import Lan, lan_of
from .report import median, ratio_line, save_json, table
from .tmpfs import tmpfs
from .worker import Worker

# (sender kind, receiver kind): an iptux leg is ("iptux", "ours") or ("ours", "iptux").
LEGS = [("raw", "raw"), ("ours", "ours")]
BEFORE_LEG = ("before", "before")  # with --before SRC: that ipmsg-tui, on its own port
LABELS = {"raw": "raw TCP", "ours": "ipmsg-tui", "before": "ipmsg-tui before"}
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
        self, lan: Lan, stack: ExitStack, legs: list[tuple[str, str]], before: Path | None
    ) -> None:
        self.lan = lan
        self.before = before
        self.senders: dict[str, Worker] = {}
        self.receivers: dict[str, Worker] = {}
        for kind in sorted({s for s, _ in legs}):
            self.senders[kind] = stack.enter_context(self._start("sender", kind))
        for kind in sorted({r for _, r in legs}):
            self.receivers[kind] = stack.enter_context(self._start("receiver", kind))

    def _start(self, role: str, kind: str) -> Worker:
        host = self.lan[role]
        args = [role, "--kind", kind, "--bind", host.ip]
        code = None
        if kind == "before":
            args = [role, "--kind", "ours", "--bind", host.ip, "--port", str(BEFORE_PORT)]
            code = self.before
        worker = Worker("bench.file_peers", *args, host=host, code=code)
        worker.expect("ready", 30)
        return worker

    def run(self, leg: tuple[str, str], item: Item, inbox: Path) -> tuple[Result, Path]:
        sender, receiver = self.senders[leg[0]], self.receivers[leg[1]]
        sender.send(cpu=True)
        cpu_before = sender.expect("cpu", 10)["cpu"]
        sender.send(offer={"path": str(item.path), "to": self.lan["receiver"].ip})
        token = sender.expect("offered", 30)["offered"]
        request = {"token": token, "from": self.lan["sender"].ip, "dest": str(inbox)}
        receiver.send(fetch={**request, "folder": item.folder})
        done = receiver.expect("fetched", 600)["fetched"]
        sender.send(cpu=True)
        cpu_sender = sender.expect("cpu", 10)["cpu"] - cpu_before
        label = f"{LABELS[leg[0]]} → {LABELS[leg[1]]}"
        result = Result(item.name, label, done["seconds"], done["bytes"], done["files"],
                        cpu_sender, done["cpu"])  # fmt: skip
        return result, Path(done["path"])


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


def summary(results: list[Result], items: list[Item]) -> tuple[str, float]:
    rows: list[list[object]] = []
    speeds: dict[tuple[str, str], float] = {}
    for item in items:
        for leg in dict.fromkeys(r.leg for r in results):
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
                    median([r.cpu_receiver for r in mine]),
                ]
            )
    header = ["item", "sender → receiver", "runs", "median s", "MiB/s", "files/s",
              "sender CPU s", "receiver CPU s"]  # fmt: skip
    big = items[0].name
    ratio = speeds[big, "ipmsg-tui → ipmsg-tui"] / speeds[big, "raw TCP → raw TCP"]
    return table(header, rows), ratio


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    parser.add_argument("--file-mib", type=int, default=None, help="big file size (1024)")
    parser.add_argument("--files", type=int, default=None, help="files in the folder (10,000)")
    args = parser.parse_args()
    file_size = (args.file_mib or (8 if args.smoke else 1024)) * MIB
    file_count = args.files or (100 if args.smoke else 10_000)
    rounds = args.rounds or (1 if args.smoke else 3)
    results: list[Result] = []
    space = 2 * file_size + file_count * 64 * 1024 + 64 * MIB
    with tmpfs(space) as root, lan_of("sender", "receiver") as lan, ExitStack() as stack:
        (root / "outbox").mkdir()
        items = [
            make_file(root / "outbox" / "big.bin", file_size),
            make_folder(root / "outbox" / "tree", file_count),
        ]
        legs_run = [*LEGS, *([BEFORE_LEG] if args.before else [])]
        legs = Legs(lan, stack, legs_run, args.before)
        # Round -1 warms up and is not counted: the first gigabyte written to a fresh tmpfs
        # on this virtual machine takes up to twice as long (the hypervisor backs the memory
        # on first touch), which would slow whichever leg happened to go first.
        for index in range(-1, rounds):
            for item in items:
                order = legs_run if index % 2 == 0 else list(reversed(legs_run))
                for leg in order:
                    inbox = root / f"inbox-{leg[0]}-{leg[1]}"
                    inbox.mkdir()
                    result, received = legs.run(leg, item, inbox)
                    check(item, received, result, thorough=index == 0)
                    if index >= 0:
                        results.append(result)
                    shutil.rmtree(inbox)
    text, ratio = summary(results, items)
    print(f"File throughput across the namespace LAN, files on tmpfs, {rounds} rounds")
    print(text)
    save_json(args.json, {"rounds": rounds, "results": [asdict(r) for r in results]})
    print(
        ratio_line(
            f"{items[0].name} throughput ipmsg-tui / raw TCP",
            ratio,
            f"≥ {GOAL_FILE_RATIO:g}× of raw TCP; iptux legs not run yet",
            ratio >= GOAL_FILE_RATIO,
        )
    )


if __name__ == "__main__":
    cli.run(main)
