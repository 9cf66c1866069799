"""A file and a folder across the namespace LAN: ``send --file`` to ``listen --accept-files``."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from ..support.netlab import lan_of
from ..support.procs import Listener, run
from ..support.trees import tree_digest
from .test_three_hosts import host_args


def test_file_and_folder_cross_the_lan(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    (outbox / "项目" / "sub" / "empty").mkdir(parents=True)
    big = outbox / "data:1.bin"
    big.write_bytes(random.Random(1).randbytes(6 * 1024 * 1024))
    (outbox / "项目" / "sub" / "notes.txt").write_text("笔记\n" * 1000)
    inbox = tmp_path / "inbox"
    with (
        lan_of("a", "b") as lan,
        Listener(
            [*host_args(tmp_path, "a"), "--accept-files", "--save-dir", str(inbox), "--checksum"],
            netns=lan["a"].netns,
        ) as receiver,
    ):
        sent = run(
            [
                "send",
                lan["a"].ip,
                "文件",
                "--file",
                str(big),
                "--file",
                str(outbox / "项目"),
                "--timeout",
                "30",
                *host_args(tmp_path, "b"),
            ],
            netns=lan["b"].netns,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stderr
        got = receiver.wait_for(
            lambda e: e["event"] == "file_received" and e["name"] == big.name, timeout=20
        )
        folder = receiver.wait_for(
            lambda e: e["event"] == "file_received" and e["name"] == "项目", timeout=20
        )
    assert got["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()
    assert got["ip"] == "10.77.0.2" and Path(got["path"]) == inbox / big.name
    assert folder["files"] == 1 and tree_digest(inbox / "项目") == tree_digest(outbox / "项目")
