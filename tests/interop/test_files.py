"""Files and folders both ways with a real iptux: the same bytes arrive, with the times
each side can keep.

To iptux: ``ipmsg-tui send --file`` from our host, accepted in iptux's chat window (after
:meth:`.iptux.Iptux.mirror_dirs`, without which Debian's 0.8.3 crashes on a folder). iptux
gives files the mtime we announce (from the attachment list, and inside a folder from the
stream's second time field) but never sets a folder's times. A name with a colon reaches it
with ``_`` instead (a ``::`` would make it drop the whole list), and an empty file it takes as
"already received": it never fetches nor creates it, so ``send`` does not wait for it.

From iptux: its user attaches a file, an empty file and a folder and sends them in one offer
(SENDMSG|FILEATTACHOPT, no SENDCHECKOPT, empty text, ids from 10000, the folder's size the
total of its files); ``listen --accept-files`` downloads them at once. iptux announces a
file's ctime where its mtime belongs, so that is the time the file gets here.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..support.netlab import Lan
from ..support.sniff import Sniffer
from ..support.trees import tree_digest
from .iptux import Iptux
from .ours import OurSide
from .trees import mtimes, sample_folder, write

FILEATTACHOPT, SENDCHECKOPT = 0x200000, 0x100
LONG_AGO = 1_600_000_000  # the sample files' mtimes, far from any clock's "now"
FETCHED_WITHIN = 30.0


def test_file_and_folder_from_us_reach_iptux(
    iptux: Iptux, ours: OurSide, lab: Lan, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    report = write(outbox / "报告 2024:Q1.txt", "季度报告\n".encode() * 500, LONG_AGO)
    empty = write(outbox / "empty.txt", b"", LONG_AGO)
    folder = sample_folder(outbox / "资料", LONG_AGO + 100)
    text = "报告和资料"

    sender = ours.start_send(
        iptux.ip, text, "--file", str(report), "--file", str(empty), "--file", str(folder)
    )
    iptux.mirror_dirs(folder)
    iptux.gui.accept_files(lab["us"].ip)
    stdout, stderr = sender.communicate(timeout=FETCHED_WITHIN)
    iptux.gui.close_chat(lab["us"].ip)

    assert (sender.returncode, stdout) == (0, ""), stderr  # exit 0: iptux fetched everything
    assert [line.text for line in iptux.chat_log()] == [text]
    saved = iptux.recv_dir
    assert sorted(path.name for path in saved.iterdir()) == ["报告 2024_Q1.txt", "资料"]
    assert (saved / "报告 2024_Q1.txt").read_bytes() == report.read_bytes()
    assert tree_digest(saved / "资料") == tree_digest(folder)
    assert int((saved / "报告 2024_Q1.txt").stat().st_mtime) == LONG_AGO
    assert mtimes(saved / "资料", folders=False) == mtimes(folder, folders=False)


def test_file_and_folder_from_iptux_reach_us(
    iptux: Iptux, ours: OurSide, lab: Lan, wire: Sniffer, tmp_path: Path
) -> None:
    report = write(iptux.outbox / "周报:终稿.txt", "本周进展\n".encode() * 300, LONG_AGO)
    empty = write(iptux.outbox / "empty.txt", b"", LONG_AGO)
    folder = sample_folder(iptux.outbox / "docs", LONG_AGO + 100)
    inbox = tmp_path / "inbox"
    listener = ours.listen(
        "us", "--accept-files", "--save-dir", str(inbox), "--checksum", settled=True
    )
    listener.wait_for(lambda e: e["event"] == "peer_joined" and e["ip"] == iptux.ip)

    iptux.gui.attach_file(lab["us"].ip, report)
    iptux.gui.attach_file(lab["us"].ip, empty)
    iptux.gui.attach_folder(lab["us"].ip, folder)
    iptux.gui.send_attached(lab["us"].ip)
    iptux.gui.close_chat(lab["us"].ip)

    offer = listener.wait_for(lambda e: e["event"] == "message" and e["ip"] == iptux.ip)
    received = listener.wait_for_all(lambda e: e["event"] == "file_received", 3, FETCHED_WITHIN)
    assert not [e for e in listener.events if e["event"] == "file_failed"]

    assert offer["text"] == ""
    assert [(a["id"], a["name"], a["size"], a["dir"]) for a in offer["attachments"]] == [
        (10000, report.name, report.stat().st_size, False),
        (10001, "empty.txt", 0, False),
        (10002, "docs", sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()), True),
    ]
    announced = offer["attachments"][0]["mtime"]
    assert announced == int(report.stat().st_ctime) != LONG_AGO  # its ctime, not its mtime
    offers = wire.matching(lambda d: d.src[0] == iptux.ip and d.command & FILEATTACHOPT)
    assert len(offers) == 1 and not offers[0].command & SENDCHECKOPT

    by_name = {event["name"]: event for event in received}
    assert Path(by_name[report.name]["path"]) == inbox / report.name
    assert by_name[report.name]["sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()
    assert (inbox / report.name).read_bytes() == report.read_bytes()
    assert int((inbox / report.name).stat().st_mtime) == announced
    assert (inbox / "empty.txt").read_bytes() == b""
    assert by_name["docs"]["files"] == 5
    assert tree_digest(inbox / "docs") == tree_digest(folder)
    assert mtimes(inbox / "docs") == mtimes(folder)
    assert sorted(os.listdir(inbox)) == sorted([report.name, "empty.txt", "docs"])  # no .part
