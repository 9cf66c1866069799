"""Files and folders iptux offers reach us as attachments of a message.

iptux offers them by SENDMSG|FILEATTACHOPT without SENDCHECKOPT (nothing to acknowledge),
with an empty text, file ids from 10000 and, for a folder, the total size of its files.
Downloading them (GETFILEDATA / GETDIRFILES) is the file-transfer work's part of the suite.
"""

from __future__ import annotations

from ..support.netlab import Lan
from ..support.sniff import Sniffer
from .iptux import Iptux
from .ours import OurSide

FILEATTACHOPT, SENDCHECKOPT = 0x200000, 0x100


def test_file_and_folder_offered_by_iptux(
    iptux: Iptux, ours: OurSide, lab: Lan, wire: Sniffer
) -> None:
    report = iptux.outbox / "report.txt"
    report.write_text("report from iptux\n")
    docs = iptux.outbox / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.txt").write_text("AAAA\n")
    (docs / "sub" / "b.txt").write_text("BBBBBBBB\n")
    listener = ours.listen("us", settled=True)
    listener.wait_for(lambda e: e["event"] == "peer_joined" and e["ip"] == iptux.ip)

    iptux.gui.send_file(lab["us"].ip, report)
    iptux.gui.send_folder(lab["us"].ip, docs)
    iptux.gui.close_chat(lab["us"].ip)

    file_offer, folder_offer = listener.wait_for_all(
        lambda e: e["event"] == "message" and e["ip"] == iptux.ip, 2
    )
    assert (file_offer["text"], folder_offer["text"]) == ("", "")
    (attached,) = file_offer["attachments"]
    assert attached == {
        "id": 10000,
        "name": "report.txt",
        "size": 18,
        "mtime": int(report.stat().st_mtime),
        "dir": False,
    }
    (folder,) = folder_offer["attachments"]
    assert (folder["name"], folder["dir"], folder["size"]) == ("docs", True, 5 + 9)
    offers = wire.matching(lambda d: d.src[0] == iptux.ip and d.command & FILEATTACHOPT)
    assert len(offers) == 2 and not any(d.command & SENDCHECKOPT for d in offers)
