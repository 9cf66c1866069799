"""Downloads survive a restart: listed again, continued in the same ``.part``, and the
``.part`` files nobody will continue are cleaned up (only ours, only in their folder)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from ipmsg_tui.net.resumes import Journal
from ipmsg_tui.net.transfers import Direction, Failure, TransferState
from ipmsg_tui.transferlog import TransferLog

from ..support.procs import Listener
from ..support.trees import random_file, sha256
from .conftest import Peer, make_peer
from .hostile import RawPeer


def _journal(tmp_path: Path, max_age: float = 7 * 86400) -> Journal:
    return Journal(TransferLog(tmp_path / "data" / "history.sqlite3"), time.time, max_age=max_age)


async def _bob(tmp_path: Path, port: int, peer_port: int, **options: object) -> Peer:
    journal = options.pop("journal", None) or _journal(tmp_path)
    bob = make_peer(
        "bob", port, [peer_port], tmp_path / "downloads", journal=journal, idle_timeout=3.0
    )
    await bob.files.start()
    await bob.node.start()
    return bob


async def _stop(peer: Peer) -> None:
    await peer.files.stop()
    await peer.node.stop()


def _listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


async def test_a_download_cut_by_a_restart_resumes_into_the_same_part(
    ports: list[int], tmp_path: Path
) -> None:
    body = os.urandom(200_000)
    # An ipmsg-tui sender that stalls after 3000 bytes, then serves the rest from the offset.
    sender = RawPeer(
        ports[0], version=b"1_ipmsg-tui 0.1.0", answers=[body[:3000], body[3000:]], hold_open=True
    )
    await sender.start()
    bob = await _bob(tmp_path, ports[1], ports[0])
    try:
        sender.offer(bob.addr, b"7:movie.bin:%x:0:1:\a" % len(body))
        offer = await bob.next_offer()
        (transfer,) = bob.files.download_all(offer)
        await bob.wait_for(lambda: transfer.done == 3000)
        await _stop(bob)  # ctrl+q mid-download
        downloads = tmp_path / "downloads"
        assert _listing(downloads) == ["movie.bin.part"]

        bob = await _bob(tmp_path, ports[1], ports[0])
        (earlier,) = bob.files.transfers  # listed again, retryable
        assert earlier.state == TransferState.FAILED and earlier.can_retry
        assert earlier.done == 3000 and earlier.name == "movie.bin"
        assert earlier.error is not None and "interrupted" in earlier.error
        assert bob.files.resume_interrupted() == [earlier]
        assert await earlier.wait() == TransferState.DONE, earlier.error
        assert earlier.offset == 3000
        # The second request asked from byte 3000 (hex bb8), and nothing was numbered.
        assert sender.requests[1].rstrip(b"\0").split(b":")[-2] == b"bb8"
        assert _listing(downloads) == ["movie.bin"]
        assert (downloads / "movie.bin").read_bytes() == body
    finally:
        await _stop(bob)
        await sender.stop()


async def test_accept_after_a_restart_continues_the_part_from_an_ipmsg_tui_sender(
    ports: list[int], tmp_path: Path
) -> None:
    alice = make_peer("alice", ports[0], [ports[1]], tmp_path / "alice-downloads")
    await alice.files.start()
    await alice.node.start()
    bob = await _bob(tmp_path, ports[1], ports[0])
    try:
        source = tmp_path / "outbox" / "video.bin"
        random_file(source, 3 * 1024 * 1024, seed=11)
        original = source.read_bytes()
        await alice.files.send([bob.addr], "", [source])
        offer = await bob.next_offer()
        source.write_bytes(original[:1_200_000])  # the first attempt breaks off mid-way
        (first,) = bob.files.download_all(offer)
        assert await first.wait() == TransferState.FAILED
        await _stop(bob)

        source.write_bytes(original)
        bob = await _bob(tmp_path, ports[1], ports[0])
        await bob.wait_for(lambda: bob.node.engine.peers.get(alice.addr) is not None)
        # Accept again, as the app does for an offer from an earlier session.
        (again,) = bob.files.download_all(offer)
        assert again is bob.files.transfers[0]  # the earlier one continues: no second row
        assert await again.wait() == TransferState.DONE, again.error
        assert again.offset == 1_200_000
        uploads = [t for t in alice.files.transfers if t.direction == Direction.OUT]
        assert [t.offset for t in uploads] == [0, 1_200_000]
        assert _listing(tmp_path / "downloads") == ["video.bin"]
        assert sha256(tmp_path / "downloads" / "video.bin") == sha256(source)
    finally:
        await _stop(bob)
        await _stop(alice)


async def test_a_sender_without_offsets_restarts_into_the_same_part(
    ports: list[int], tmp_path: Path
) -> None:
    body = bytes(range(256)) * 40
    iptux = RawPeer(ports[0], version=b"1_iptux 0.8.3", answers=[body[:3000], body])
    await iptux.start()
    bob = await _bob(tmp_path, ports[1], ports[0])
    try:
        iptux.offer(bob.addr, b"10000:t.bin:%x:0:1:\a" % len(body))
        offer = await bob.next_offer()
        (transfer,) = bob.files.download_all(offer)
        assert await transfer.wait() == TransferState.FAILED
        await _stop(bob)
        bob = await _bob(tmp_path, ports[1], ports[0])
        (again,) = bob.files.download_all(offer)
        assert await again.wait() == TransferState.DONE, again.error
        assert again.offset == 0  # asked from 0 both times ...
        assert [r.rstrip(b"\0").split(b":")[-2:] for r in iptux.requests] == [[b"0", b""]] * 2
        # ... and written over the same .part, not into "t.bin (1).part"
        assert _listing(tmp_path / "downloads") == ["t.bin"]
        assert (tmp_path / "downloads" / "t.bin").read_bytes() == body
    finally:
        await _stop(bob)
        await iptux.stop()


async def test_abandoned_parts_are_cleaned_up_and_nothing_else(
    ports: list[int], tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    theirs = downloads / "notes.txt.part"  # a .part we did not create: never touched
    theirs.write_text("mine")
    outside = tmp_path / "elsewhere.part"
    outside.write_text("outside")
    body = os.urandom(10_000)
    sender = RawPeer(ports[0], version=b"1_ipmsg-tui 0.1.0", answers=[body[:100]] * 3)
    await sender.start()
    bob = await _bob(tmp_path, ports[1], ports[0])
    try:
        offers = {}
        for name in (b"a.bin", b"b.bin", b"c.bin"):
            sender.offer(bob.addr, b"1:%s:%x:0:1:\a" % (name, len(body)))
            offer = await bob.next_offer()  # one at a time: it takes every offer heard
            offers[offer.packet_no] = offer
        declined, forgotten, old = offers
        transfers = {n: bob.files.download_all(offers[n])[0] for n in (declined, forgotten, old)}
        for transfer in transfers.values():
            assert await transfer.wait() == TransferState.FAILED
            assert transfer.failure is Failure.BROKEN
        assert _listing(downloads) == ["a.bin.part", "b.bin.part", "c.bin.part", "notes.txt.part"]
        bob.files.decline(offers[declined])
        bob.files.forget(transfers[forgotten])
        assert _listing(downloads) == ["c.bin.part", "notes.txt.part"]
        await _stop(bob)
        # A week later, c.bin.part has waited too long.
        later = _journal(tmp_path)
        later.clock = lambda: time.time() + 8 * 86400
        bob = await _bob(tmp_path, ports[1], ports[0], journal=later)
        assert bob.files.transfers == []
        assert _listing(downloads) == ["notes.txt.part"]
        assert theirs.read_text() == "mine" and outside.read_text() == "outside"
    finally:
        await _stop(bob)
        await sender.stop()


async def test_a_part_moved_or_replaced_by_a_link_is_left_alone(tmp_path: Path) -> None:
    from ipmsg_tui.net.saving import remove_part

    folder = tmp_path / "downloads"
    folder.mkdir()
    target = tmp_path / "precious"
    target.write_text("keep")
    link = folder / "x.part"
    link.symlink_to(target)
    assert not remove_part(link, folder)
    assert not remove_part(tmp_path / "precious", folder)  # outside the folder
    assert not remove_part(folder / "y.txt", folder)  # not a .part name
    assert link.is_symlink() and target.read_text() == "keep"


async def _until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def _heard_from(sender: RawPeer) -> None:
    udp = sender._udp
    assert udp is not None
    udp.settimeout(10)
    udp.recvfrom(65535)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else -1


async def test_listen_accept_files_killed_mid_download_resumes_when_started_again(
    ports: list[int], tmp_path: Path
) -> None:
    body = os.urandom(300_000)
    sender = RawPeer(
        ports[0], version=b"1_ipmsg-tui 0.1.0", answers=[body[:5000], body[5000:]], hold_open=True
    )
    await sender.start()
    inbox = tmp_path / "inbox"
    args = [
        *("--bind", "127.0.0.1", "--port", str(ports[1]), "--data-dir", str(tmp_path / "d")),
        *("--host", f"127.0.0.1:{ports[0]}", "--accept-files", "--save-dir", str(inbox)),
    ]
    try:
        with Listener(args) as first:
            await asyncio.to_thread(_heard_from, sender)  # its BR_ENTRY: it is up
            sender.offer(("127.0.0.1", ports[1]), b"9:big.bin:%x:0:1:\a" % len(body))
            await _until(lambda: _size(inbox / "big.bin.part") == 5000)
            await asyncio.to_thread(first.stop, signal.SIGKILL)  # not even a goodbye
        with Listener(args) as second:
            received = await asyncio.to_thread(
                second.wait_for, lambda e: e["event"] == "file_received", 20
            )
            assert received["name"] == "big.bin" and Path(received["path"]) == inbox / "big.bin"
            assert sorted(os.listdir(inbox)) == ["big.bin"]
            assert (inbox / "big.bin").read_bytes() == body
            # Asked again from byte 5000 (hex 1388): the same .part went on.
            assert sender.requests[1].rstrip(b"\0").split(b":")[-2] == b"1388"
            await asyncio.to_thread(second.stop)
    finally:
        await sender.stop()
