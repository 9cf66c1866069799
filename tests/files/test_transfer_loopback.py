"""Files and folders between two real peers (UDP + TCP on 127.0.0.1)."""

from __future__ import annotations

import os
from pathlib import Path

from ipmsg_tui.net.files import OfferEnd, OfferEnded, OfferFetched, TransferEnded
from ipmsg_tui.net.transfers import Direction, Failure, TransferState

from ..support.trees import random_file, sha256, tree_digest
from .conftest import Peer


async def test_files_of_every_size_arrive_whole_with_their_mtime(
    pair: tuple[Peer, Peer], tmp_path: Path
) -> None:
    alice, bob = pair
    outbox = tmp_path / "outbox"
    paths = [
        random_file(outbox / "empty.bin", 0),
        random_file(outbox / "one.bin", 1, seed=1),
        random_file(outbox / "big.bin", 5 * 1024 * 1024 + 17, seed=2),
        random_file(outbox / "报告: final.txt", 999, seed=3),
    ]
    for index, path in enumerate(paths):
        os.utime(path, (1_600_000_000 + index, 1_600_000_000 + index))
    sent = await alice.files.send([bob.addr], "four files", paths)
    offer = await bob.next_offer()
    assert offer.packet_no == sent.packet_no
    assert [a.name for a in offer.attachments] == [p.name for p in paths]
    transfers = bob.files.download_all(offer)
    for transfer in transfers:
        assert await transfer.wait() == TransferState.DONE, transfer.error
    for path, transfer in zip(paths, transfers, strict=True):
        assert transfer.path is not None and transfer.path.parent == tmp_path / "bob-downloads"
        assert transfer.path.name == path.name
        assert sha256(transfer.path) == sha256(path)
        assert transfer.sha256 is None  # only computed when asked (checksum)
        assert transfer.path.stat().st_mtime == path.stat().st_mtime
    assert not list((tmp_path / "bob-downloads").glob("*.part"))
    await alice.wait_for(lambda: any(isinstance(e, OfferFetched) for e in alice.events))
    uploads = [t for t in alice.files.transfers if t.direction == Direction.OUT]
    assert sorted(t.name for t in uploads) == sorted(p.name for p in paths if p.stat().st_size)
    assert all(t.state == TransferState.DONE for t in uploads)


async def test_with_checksum_each_file_comes_with_its_sha256(
    pair: tuple[Peer, Peer], tmp_path: Path
) -> None:
    alice, bob = pair
    bob.files.checksum = True
    paths = [
        random_file(tmp_path / "outbox" / "empty.bin", 0),
        random_file(tmp_path / "outbox" / "big.bin", 3 * 1024 * 1024 + 5, seed=9),
    ]
    await alice.files.send([bob.addr], "", paths)
    transfers = bob.files.download_all(await bob.next_offer())
    for path, transfer in zip(paths, transfers, strict=True):
        assert await transfer.wait() == TransferState.DONE, transfer.error
        assert transfer.path is not None and transfer.sha256 == sha256(path) == sha256(
            transfer.path
        )


async def test_a_folder_tree_arrives_whole(pair: tuple[Peer, Peer], tmp_path: Path) -> None:
    alice, bob = pair
    root = tmp_path / "outbox" / "项目: docs"
    random_file(root / "a.txt", 10)
    random_file(root / "sub" / "deeper" / "b.bin", 300_000, seed=4)
    random_file(root / "sub" / "ünïcode ✓.md", 55, seed=5)
    random_file(root / "sub" / "empty.txt", 0)
    (root / "empty-dir" / "nested-empty").mkdir(parents=True)
    for i in range(150):
        random_file(root / "many" / f"f{i:03}.dat", i, seed=i)
    os.utime(root / "sub", (1_500_000_000, 1_500_000_000))
    (root / "outside-link").symlink_to(tmp_path)  # a link out of the folder: never followed
    await alice.files.send([bob.addr], "a folder", [root])
    offer = await bob.next_offer()
    (attachment,) = offer.attachments
    assert attachment.is_dir and attachment.size == sum(
        p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()
    )
    (transfer,) = bob.files.download_all(offer)
    assert await transfer.wait() == TransferState.DONE, transfer.error
    assert transfer.path == tmp_path / "bob-downloads" / "项目: docs"
    expected = tree_digest(root)
    del expected["outside-link"]
    assert tree_digest(transfer.path) == expected
    assert transfer.files_done == 154
    assert (transfer.path / "sub").stat().st_mtime == 1_500_000_000
    assert not (transfer.path / "outside-link").exists()


async def test_name_clashes_get_numbers_and_nothing_is_overwritten(
    pair: tuple[Peer, Peer], tmp_path: Path
) -> None:
    alice, bob = pair
    downloads = tmp_path / "bob-downloads"
    downloads.mkdir()
    (downloads / "report.pdf").write_bytes(b"mine")
    (downloads / "report (1).pdf").write_bytes(b"mine too")
    source = random_file(tmp_path / "outbox" / "report.pdf", 2000, seed=9)
    await alice.files.send([bob.addr], "", [source])
    offer = await bob.next_offer()
    (transfer,) = bob.files.download_all(offer)
    assert await transfer.wait() == TransferState.DONE
    assert transfer.path == downloads / "report (2).pdf"
    assert (downloads / "report.pdf").read_bytes() == b"mine"
    assert sha256(transfer.path) == sha256(source)


async def test_save_as_and_another_folder(pair: tuple[Peer, Peer], tmp_path: Path) -> None:
    alice, bob = pair
    source = random_file(tmp_path / "outbox" / "x.bin", 100)
    await alice.files.send([bob.addr], "", [source])
    offer = await bob.next_offer()
    target = tmp_path / "elsewhere" / "nested"
    transfer = bob.files.download(offer, offer.attachments[0], target, name="../../y.bin")
    assert await transfer.wait() == TransferState.DONE
    assert transfer.path == target / ".._.._y.bin"
    assert sha256(transfer.path) == sha256(source)


async def test_decline_sends_releasefiles_and_ends_the_offer(
    pair: tuple[Peer, Peer], tmp_path: Path
) -> None:
    alice, bob = pair
    source = random_file(tmp_path / "outbox" / "x.bin", 100)
    sent = await alice.files.send([bob.addr], "", [source])
    offer = await bob.next_offer()
    bob.files.decline(offer)
    await alice.wait_for(lambda: any(isinstance(e, OfferEnded) for e in alice.events))
    ended = next(e for e in alice.events if isinstance(e, OfferEnded))
    assert ended.reason is OfferEnd.RELEASED and ended.offer.packet_no == sent.packet_no
    assert alice.files.offers.get(sent.packet_no) is None
    (transfer,) = bob.files.download_all(offer)  # too late: the sender refuses now
    assert await transfer.wait() == TransferState.FAILED
    assert "refused" in (transfer.error or "") and transfer.failure is Failure.REFUSED
    assert not list((tmp_path / "bob-downloads").glob("x.bin"))


async def test_a_withdrawn_offer_is_refused(pair: tuple[Peer, Peer], tmp_path: Path) -> None:
    alice, bob = pair
    source = random_file(tmp_path / "outbox" / "w.bin", 100)
    sent = await alice.files.send([bob.addr], "", [source])
    offer = await bob.next_offer()
    alice.files.withdraw(sent.packet_no)
    alice.files.withdraw(sent.packet_no)  # twice: one event
    ended = [(e.reason, e.addr) for e in alice.events if isinstance(e, OfferEnded)]
    assert ended == [(OfferEnd.WITHDRAWN, None)]
    (transfer,) = bob.files.download_all(offer)
    assert await transfer.wait() == TransferState.FAILED
    assert transfer.failure is Failure.REFUSED


async def test_many_downloads_at_once(pair: tuple[Peer, Peer], tmp_path: Path) -> None:
    alice, bob = pair
    paths = [random_file(tmp_path / "outbox" / f"f{i}.bin", 50_000 + i, seed=i) for i in range(12)]
    await alice.files.send([bob.addr], "", paths)
    offer = await bob.next_offer()
    transfers = bob.files.download_all(offer)
    states = [await t.wait() for t in transfers]
    assert states == [TransferState.DONE] * 12
    assert [sha256(t.path) for t in transfers if t.path] == [sha256(p) for p in paths]
    ended = [e for e in bob.events if isinstance(e, TransferEnded)]
    assert len(ended) == 12
