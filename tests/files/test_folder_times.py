"""Folder times as the sender gave them, whichever header carries them."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.net.transfers import TransferState
from ipmsg_tui.protocol.constants import FileType
from ipmsg_tui.protocol.dirstream import format_dir_header, format_retparent

from .conftest import make_peer
from .hostile import RawPeer

TOP, SUB, FILE = 1_500_000_000, 1_500_000_300, 1_500_000_100


def _times(mtime: int) -> list[tuple[int, int]]:
    return [(0x14, mtime), (0x16, mtime)]


async def test_a_folder_gets_the_time_of_its_own_header_not_of_its_retparent(
    ports: list[int], tmp_path: Path
) -> None:
    # As iptux 0.8.3 streams a folder: each RETPARENT carries the times of the last entry
    # it looked at (here the file inside), not those of the folder it leaves.
    stream = (
        format_dir_header("docs", 0, FileType.DIR, _times(TOP), "utf-8")
        + format_dir_header("sub", 0, FileType.DIR, _times(SUB), "utf-8")
        + format_dir_header("b.txt", 3, FileType.REGULAR, _times(FILE), "utf-8")
        + b"BBB"
        + format_retparent(_times(FILE), "utf-8")
        + format_retparent(_times(FILE), "utf-8")
    )
    sender = RawPeer(ports[0], version=b"1_iptux 0.8.3", answers=[stream])
    await sender.start()
    bob = make_peer("bob", ports[1], [ports[0]], tmp_path / "downloads")
    await bob.files.start()
    await bob.node.start()
    try:
        sender.offer(bob.addr, b"10000:docs:3:%x:2:\a" % TOP)
        offer = await bob.next_offer()
        (transfer,) = bob.files.download_all(offer)
        assert await transfer.wait() == TransferState.DONE, transfer.error
        assert transfer.path is not None
        assert (transfer.path / "sub" / "b.txt").read_bytes() == b"BBB"
        assert (transfer.path / "sub" / "b.txt").stat().st_mtime == FILE
        assert (transfer.path / "sub").stat().st_mtime == SUB
        assert transfer.path.stat().st_mtime == TOP
    finally:
        await bob.files.stop()
        await bob.node.stop()
        await sender.stop()


async def test_a_retparent_time_serves_when_the_folder_header_has_none(
    ports: list[int], tmp_path: Path
) -> None:
    stream = (
        format_dir_header("docs", 0, FileType.DIR, [], "utf-8")
        + format_dir_header("sub", 0, FileType.DIR, [], "utf-8")
        + format_retparent(_times(SUB), "utf-8")
        + format_retparent(_times(TOP), "utf-8")
    )
    sender = RawPeer(ports[0], answers=[stream])
    await sender.start()
    bob = make_peer("bob", ports[1], [ports[0]], tmp_path / "downloads")
    await bob.files.start()
    await bob.node.start()
    try:
        sender.offer(bob.addr, b"1:docs:0:0:2:\a")
        (transfer,) = bob.files.download_all(await bob.next_offer())
        assert await transfer.wait() == TransferState.DONE, transfer.error
        assert transfer.path is not None
        assert (transfer.path / "sub").stat().st_mtime == SUB
    finally:
        await bob.files.stop()
        await bob.node.stop()
        await sender.stop()
