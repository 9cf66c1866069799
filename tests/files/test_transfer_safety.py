"""What a hostile or broken peer cannot do: read what was not offered, write outside the folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ipmsg_tui.net.files import FileService, OfferEnd, OfferEnded, RequestRefused
from ipmsg_tui.net.transfers import Direction, Failure, TransferState
from ipmsg_tui.protocol.constants import Command, FileType
from ipmsg_tui.protocol.dirstream import format_dir_header, format_retparent

from ..support.trees import random_file, sha256
from .conftest import Peer, make_peer
from .hostile import RawPeer


async def _request(port: int, packet: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(packet)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return data


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


async def test_requests_for_what_was_not_offered_or_by_someone_else_are_refused(
    pair: tuple[Peer, Peer], tmp_path: Path
) -> None:
    alice, bob = pair
    secret = random_file(tmp_path / "outbox" / "secret.bin", 1000, seed=1)
    shared = random_file(tmp_path / "outbox" / "shared.bin", 1000, seed=2)
    sent = await alice.files.send([bob.addr], "", [shared])
    file_id = sent.attachments[0].file_id
    port = alice.addr[1]
    good = b"1:9:bob:bob-box:%d:%x:%x:0:\0" % (Command.GETFILEDATA, sent.packet_no, file_id)
    assert await _request(port, good) == shared.read_bytes()
    refused = [
        b"1:9:bob:bob-box:96:%x:%x:0:\0" % (sent.packet_no + 1, file_id),  # guessed packet
        b"1:9:bob:bob-box:96:%x:%x:0:\0" % (sent.packet_no, file_id + 1),  # guessed file id
        b"1:9:mallory:bob-box:96:%x:%x:0:\0" % (sent.packet_no, file_id),  # another user
        b"1:9:bob:other-box:96:%x:%x:0:\0" % (sent.packet_no, file_id),  # another host
        b"1:9:bob:bob-box:98:%x:%x:\0" % (sent.packet_no, file_id),  # a file as a folder
        b"1:9:bob:bob-box:96:%x:%x:ffff:\0" % (sent.packet_no, file_id),  # beyond the end
        b"1:9:bob:bob-box:32:hello\0",  # not a request
        b"\xff" * 100,
    ]
    for packet in refused:
        assert await _request(port, packet) == b"", packet
    reasons = [e.reason for e in alice.events if isinstance(e, RequestRefused)]
    assert len(reasons) == len(refused)
    assert any("no offer" in r for r in reasons) and any("no file" in r for r in reasons)
    assert sum("not made to" in r for r in reasons) == 2
    assert not any(secret.name in r for r in reasons)


async def test_a_third_peer_on_the_same_machine_is_refused(
    pair: tuple[Peer, Peer], ports: list[int], tmp_path: Path
) -> None:
    alice, bob = pair
    shared = random_file(tmp_path / "outbox" / "for-bob.bin", 5000)
    sent = await alice.files.send([bob.addr], "", [shared])
    offer = await bob.next_offer()
    carol = make_peer("carol", ports[2], [alice.addr[1]], tmp_path / "carol-downloads")
    await carol.files.start()
    await carol.node.start()
    try:
        # carol saw bob's offer (same packet number and file id) and asks with her names
        transfer = carol.files.download(offer, offer.attachments[0])
        assert await transfer.wait() == TransferState.FAILED
        assert "refused" in (transfer.error or "") and transfer.failure is Failure.REFUSED
        assert not (tmp_path / "carol-downloads" / "for-bob.bin").exists()
        assert any(isinstance(e, RequestRefused) and "carol" in e.reason for e in alice.events), (
            alice.events
        )
        assert sent.offer.fetched == {}
    finally:
        await carol.files.stop()
        await carol.node.stop()


HOSTILE_NAMES = [
    "../../escaped.txt",
    "/tmp/absolute.txt",
    "C:\\Windows\\evil.dll",
    "..\\..\\back.txt",
    "ctl\x1b[2J\x01\x7f.txt",  # (NUL and BEL cannot be in a list: they end parts/entries)
    "..\u2215..\u2215lookalike.txt",
    "\uff0e\uff0e\uff0fwide.txt",
    "..",
]


async def _receiver(tmp_path: Path, port: int, peer_port: int) -> Peer:
    bob = make_peer("bob", port, [peer_port], tmp_path / "downloads", idle_timeout=3.0)
    await bob.files.start()
    await bob.node.start()
    return bob


async def test_hostile_attachment_names_stay_inside_the_folder(
    ports: list[int], tmp_path: Path
) -> None:
    evil = RawPeer(ports[0], answers=[b"x" * 4 for _ in HOSTILE_NAMES])
    await evil.start()
    bob = await _receiver(tmp_path, ports[1], ports[0])
    try:
        entries = b"".join(
            b"%d:%s:4:0:1:\a" % (i + 1, name.replace(":", "::").encode())
            for i, name in enumerate(HOSTILE_NAMES)
        )
        evil.offer(bob.addr, entries)
        offer = await bob.next_offer()
        assert len(offer.attachments) == len(HOSTILE_NAMES)
        transfers = bob.files.download_all(offer)
        for transfer in transfers:
            assert await transfer.wait() == TransferState.DONE, transfer.error
        downloads = (tmp_path / "downloads").resolve()
        saved = _all_files(tmp_path)
        assert all(p.is_relative_to(downloads) for p in saved if p.name != "downloads")
        assert len(list(downloads.iterdir())) == len(HOSTILE_NAMES)
        for transfer in transfers:
            assert transfer.path is not None and transfer.path.parent == downloads
            assert transfer.path.read_bytes() == b"xxxx"
        assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/absolute.txt").exists()
    finally:
        await bob.files.stop()
        await bob.node.stop()
        await evil.stop()


def _dir(name: str) -> bytes:
    return format_dir_header(name, 0, FileType.DIR, [(0x14, 1)], "utf-8")


def _file(name: str, body: bytes) -> bytes:
    return format_dir_header(name, len(body), FileType.REGULAR, [(0x14, 1)], "utf-8") + body


UP = format_retparent([(0x14, 1)], "utf-8")


async def test_hostile_folder_streams_cannot_escape(ports: list[int], tmp_path: Path) -> None:
    escaping = (
        _dir("../../top")
        + _file("../../../escape-1.txt", b"1")
        + _file("/etc/escape-2.txt", b"2")
        + _file("nul\0/../byte", b"8")
        + _dir("..")
        + _file("..\\..\\escape-3.txt", b"3")
        + UP
        + _dir("/abs")
        + _file("x", b"4")
        + UP
        + _file("dup", b"5")
        + _file("dup", b"6")
        + _file("DUP", b"7")
        + UP
    )
    evil = RawPeer(ports[0], answers=[escaping])
    await evil.start()
    bob = await _receiver(tmp_path, ports[1], ports[0])
    try:
        evil.offer(bob.addr, b"1:../../top:9:0:2:\a")
        offer = await bob.next_offer()
        (transfer,) = bob.files.download_all(offer)
        assert await transfer.wait() == TransferState.DONE, transfer.error
        downloads = (tmp_path / "downloads").resolve()
        assert transfer.path == downloads / ".._.._top"
        inside = sorted(str(p.relative_to(transfer.path)) for p in transfer.path.rglob("*"))
        assert inside == sorted(
            [
                ".._.._.._escape-1.txt",
                "_etc_escape-2.txt",
                "nul_.._byte",
                "unnamed",
                "unnamed/.._.._escape-3.txt",
                "_abs",
                "_abs/x",
                "dup",
                "dup (1)",
                "DUP (2)",
            ]
        )
        assert {p.read_bytes() for p in transfer.path.rglob("dup*")} == {b"5", b"6"}
        assert all(
            p.resolve().is_relative_to(downloads) for p in _all_files(tmp_path / "downloads")
        )
        assert not list(tmp_path.glob("escape-*")) and not Path("/etc/escape-2.txt").exists()
        assert evil.requests[0].split(b":")[4] in (
            b"%d" % Command.GETDIRFILES,
            b"%d" % (Command.GETDIRFILES | 0x800000),
        )
    finally:
        await bob.files.stop()
        await bob.node.stop()
        await evil.stop()


async def test_short_long_and_broken_streams_leave_only_a_part(
    ports: list[int], tmp_path: Path
) -> None:
    good_folder = _dir("d") + _file("a", b"abc") + UP
    answers = [
        b"12345",  # file: 5 of 10 bytes, then close
        b"0123456789EXTRA",  # file: longer than offered
        good_folder[:-5],  # folder: cut inside the last header
        good_folder + b"more",  # folder: bytes after the end
        _dir("d") + b"0009:zz:\x00:",  # folder: garbage header
        _dir("d") + _dir("e") + UP + UP + UP,  # folder: one RETPARENT too many
    ]
    evil = RawPeer(ports[0], answers=answers)
    await evil.start()
    bob = await _receiver(tmp_path, ports[1], ports[0])
    try:
        entries = b"1:short:a:0:1:\a2:long:a:0:1:\a3:cut:3:0:2:\a4:over:3:0:2:\a"
        entries += b"5:garbage:3:0:2:\a6:updown:0:0:2:\a"
        evil.offer(bob.addr, entries)
        offer = await bob.next_offer()
        results = []
        for attachment in offer.attachments:  # one by one: the answers come in order
            transfer = bob.files.download(offer, attachment)
            results.append((await transfer.wait(), transfer.error))
        assert [state for state, _ in results] == [TransferState.FAILED] * 6, results
        errors = [error or "" for _, error in results]
        assert "before the end" in errors[0]
        assert "more than it offered" in errors[1]
        assert "ended" in errors[2]
        assert "after the end" in errors[3] or "more than" in errors[3]
        assert "bad folder stream" in errors[4]
        names = sorted(p.name for p in (tmp_path / "downloads").iterdir())
        assert names == sorted(
            ["short.part", "long.part", "cut.part", "over.part", "garbage.part", "updown.part"]
        )
        assert (tmp_path / "downloads" / "short.part").read_bytes() == b"12345"
    finally:
        await bob.files.stop()
        await bob.node.stop()
        await evil.stop()


async def test_closed_tcp_port_is_reported_clearly(ports: list[int], tmp_path: Path) -> None:
    udp_only = RawPeer(ports[0])
    await udp_only.start(tcp=False)
    bob = await _receiver(tmp_path, ports[1], ports[0])
    try:
        udp_only.offer(bob.addr, b"1:report.pdf:10:0:1:\a")
        offer = await bob.next_offer()
        (transfer,) = bob.files.download_all(offer)
        assert await asyncio.wait_for(transfer.wait(), 15) == TransferState.FAILED
        assert f"UDP works but TCP {ports[0]} is not reachable on 127.0.0.1" in (
            transfer.error or ""
        )
        assert transfer.failure is Failure.UNREACHABLE and transfer.can_retry
    finally:
        await bob.files.stop()
        await bob.node.stop()
        await udp_only.stop()


async def test_offers_expire(ports: list[int], tmp_path: Path) -> None:
    alice = make_peer("alice", ports[0], [ports[1]], tmp_path / "a", offer_ttl=0.5)
    bob = make_peer("bob", ports[1], [ports[0]], tmp_path / "b")
    for peer in (alice, bob):
        await peer.files.start()
        await peer.node.start()
    try:
        await alice.wait_for(lambda: alice.node.engine.peers.get(bob.addr) is not None)
        source = random_file(tmp_path / "x.bin", 10)
        sent = await alice.files.send([bob.addr], "", [source])
        offer = await bob.next_offer()
        await alice.wait_for(lambda: alice.files.offers.get(sent.packet_no) is None, 5)
        (transfer,) = bob.files.download_all(offer)
        assert await transfer.wait() == TransferState.FAILED
        assert transfer.failure is Failure.REFUSED
        ended = [(e.reason, e.offer.packet_no) for e in alice.events if isinstance(e, OfferEnded)]
        assert ended == [(OfferEnd.EXPIRED, sent.packet_no)]
    finally:
        for peer in (alice, bob):
            await peer.files.stop()
            await peer.node.stop()


async def test_busy_tcp_port_is_one_clear_error(ports: list[int], tmp_path: Path) -> None:
    import socket

    from ipmsg_tui.net.binding import PortInUse, SocketPlan
    from ipmsg_tui.net.node import Node
    from ipmsg_tui.protocol.engineconfig import EngineConfig

    blocker = socket.socket()
    blocker.bind(("127.0.0.1", ports[0]))
    blocker.listen()
    try:
        node = Node(EngineConfig("u", "h", "n", port=ports[0]), SocketPlan("127.0.0.1", ports[0]))
        service = FileService(node, download_dir=tmp_path)
        try:
            await service.start()
        except PortInUse as error:
            assert f"TCP port {ports[0]}" in str(error) and "in use" in str(error)
        else:
            raise AssertionError("a busy TCP port must be reported")
        await service.stop()
    finally:
        blocker.close()


async def test_retry_resumes_from_the_part_between_ipmsg_tui_peers(
    pair: tuple[Peer, Peer], tmp_path: Path
) -> None:
    alice, bob = pair
    bob.files.checksum = True  # the digest must cover the part kept from the first attempt
    source = tmp_path / "outbox" / "video.bin"
    random_file(source, 4 * 1024 * 1024, seed=7)
    original = source.read_bytes()
    sent = await alice.files.send([bob.addr], "", [source])
    offer = await bob.next_offer()
    assert offer.resumable
    source.write_bytes(original[:1_500_000])  # the sender's copy breaks mid-way ...
    (transfer,) = bob.files.download_all(offer)
    assert await transfer.wait() == TransferState.FAILED
    part = tmp_path / "bob-downloads" / "video.bin.part"
    assert (
        part.stat().st_size == 1_500_000 and not (tmp_path / "bob-downloads" / "video.bin").exists()
    )
    source.write_bytes(original)  # ... and is whole again
    transfer.retry()
    assert await transfer.wait() == TransferState.DONE, transfer.error
    assert transfer.offset == 1_500_000
    uploads = [t for t in alice.files.transfers if t.direction == Direction.OUT]
    assert [t.offset for t in uploads] == [0, 1_500_000]  # the request asked from the offset
    assert transfer.path is not None and sha256(transfer.path) == sha256(source)
    assert transfer.sha256 == sha256(source) and not part.exists()
    assert sent.offer.fetched


async def test_retry_restarts_at_zero_with_other_clients(ports: list[int], tmp_path: Path) -> None:
    body = bytes(range(256)) * 40
    evil = RawPeer(ports[0], version=b"1_iptux 0.8.3", answers=[body[:3000], body])
    await evil.start()
    bob = await _receiver(tmp_path, ports[1], ports[0])
    try:
        evil.offer(bob.addr, b"10000:t.bin:%x:0:1:\a" % len(body))
        offer = await bob.next_offer()
        assert not offer.resumable
        (transfer,) = bob.files.download_all(offer)
        assert await transfer.wait() == TransferState.FAILED
        transfer.retry()
        assert await transfer.wait() == TransferState.DONE, transfer.error
        assert transfer.offset == 0
        assert [r.rstrip(b"\0").split(b":")[-2:] for r in evil.requests] == [[b"0", b""]] * 2
        assert transfer.path is not None and transfer.path.read_bytes() == body
    finally:
        await bob.files.stop()
        await bob.node.stop()
        await evil.stop()


async def test_cancel_both_ways(pair: tuple[Peer, Peer], ports: list[int], tmp_path: Path) -> None:
    alice, bob = pair
    # The receiver cancels a download from a sender that stalls mid-way.
    staller = RawPeer(ports[2], answers=[b"x" * 1000], hold_open=True)
    await staller.start()
    try:
        staller.offer(bob.addr, b"1:slow.bin:100000:0:1:\a")
        offer = await bob.next_offer()
        (transfer,) = bob.files.download_all(offer)
        await bob.wait_for(lambda: transfer.done == 1000)
        transfer.cancel()
        assert await transfer.wait() == TransferState.CANCELLED
        assert (tmp_path / "bob-downloads" / "slow.bin.part").stat().st_size == 1000
    finally:
        await staller.stop()
    # The sender cancels an upload to a receiver that does not read.
    big = random_file(tmp_path / "outbox" / "big.bin", 64 * 1024 * 1024, seed=3)
    sent = await alice.files.send([bob.addr], "", [big])
    await bob.next_offer()  # bob does not download it himself
    reader, writer = await asyncio.open_connection("127.0.0.1", alice.addr[1])
    writer.write(b"1:9:bob:bob-box:96:%x:%x:0:\0" % (sent.packet_no, sent.attachments[0].file_id))
    await alice.wait_for(lambda: any(t.direction == Direction.OUT for t in alice.files.transfers))
    (upload,) = [t for t in alice.files.transfers if t.direction == Direction.OUT]
    upload.cancel()
    assert await upload.wait() == TransferState.CANCELLED
    received = await asyncio.wait_for(reader.read(), 10)  # the connection closes: no hang
    assert len(received) < big.stat().st_size
    writer.close()
    # Both sides still work afterwards.
    small = random_file(tmp_path / "outbox" / "small.bin", 1234)
    await alice.files.send([bob.addr], "", [small])
    (after,) = bob.files.download_all(await bob.next_offer())
    assert await after.wait() == TransferState.DONE and after.path is not None
    assert sha256(after.path) == sha256(small)


async def test_a_download_that_never_waits_for_data_can_still_be_cancelled(
    ports: list[int], tmp_path: Path
) -> None:
    """Every read completes at once on a fast stream; the cancel must not get lost there."""
    size = 64 * 1024 * 1024
    flowing = RawPeer(ports[0], answers=[b"z" * size])
    await flowing.start()
    bob = await _receiver(tmp_path, ports[1], ports[0])
    try:
        flowing.offer(bob.addr, b"1:stream.bin:%x:0:1:\a" % size)
        offer = await bob.next_offer()
        (transfer,) = bob.files.download_all(offer)
        await bob.wait_for(lambda: transfer.done > 0)
        transfer.cancel()
        assert await asyncio.wait_for(transfer.wait(), 10) == TransferState.CANCELLED
        assert transfer.done < size
        assert not (tmp_path / "downloads" / "stream.bin").exists()
    finally:
        await bob.files.stop()
        await bob.node.stop()
        await flowing.stop()


async def test_bytes_beyond_a_large_file_are_refused_not_written(
    ports: list[int], tmp_path: Path
) -> None:
    size = 5 * 1024 * 1024 + 10  # more than the receiver's buffers: they are reused
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    evil = RawPeer(ports[0], answers=[body + b"EXTRA"])
    await evil.start()
    bob = await _receiver(tmp_path, ports[1], ports[0])
    try:
        evil.offer(bob.addr, b"1:big:%x:0:1:\a" % size)
        offer = await bob.next_offer()
        (transfer,) = bob.files.download_all(offer)
        assert await transfer.wait() == TransferState.FAILED
        assert "more than it offered" in (transfer.error or ""), transfer.error
        assert transfer.failure is Failure.BROKEN
        assert (tmp_path / "downloads" / "big.part").read_bytes() == body
    finally:
        await bob.files.stop()
        await bob.node.stop()
        await evil.stop()
