"""The thread that moves file bytes: it stops when told, gives up when stalled, and its
counters reach the loop (real sockets and files)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from pathlib import Path

import pytest

from ipmsg_tui.net import bulk
from ipmsg_tui.net.bulk import Pipe, Stalled, Stopped


def _pair() -> tuple[socket.socket, socket.socket]:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    return ours, theirs


async def test_a_cancel_stops_the_thread_before_it_returns() -> None:
    ours, theirs = _pair()
    pipe = Pipe(ours)
    started, ended = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def wait_for_data() -> int:
        started.set()
        try:
            return pipe.recv_into(memoryview(bytearray(16)))  # nothing ever comes
        except BaseException as error:
            outcome.append(error)
            raise
        finally:
            ended.set()

    task = asyncio.ensure_future(bulk.run(wait_for_data, pipe, lambda: None))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The thread has let go of the socket by the time the cancel is through: the caller may
    # close it now.
    assert ended.is_set()
    assert [type(error) for error in outcome] == [Stopped]
    ours.close()
    theirs.close()


async def test_a_silent_peer_is_a_stall_after_the_idle_timeout() -> None:
    ours, theirs = _pair()
    pipe = Pipe(ours, idle_timeout=0.2)
    with pytest.raises(Stalled):
        await bulk.run(lambda: pipe.recv_into(memoryview(bytearray(16))), pipe, lambda: None)
    ours.close()
    theirs.close()


async def test_every_byte_sent_is_counted_and_reported(tmp_path: Path) -> None:
    source = tmp_path / "data.bin"
    data = os.urandom(3 * 1024 * 1024 + 7)
    source.write_bytes(data)
    ours, theirs = _pair()
    pipe = Pipe(ours)
    received = bytearray()

    def drain() -> None:
        while chunk := theirs.recv(1 << 16):
            received.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    reported: list[int] = []
    fd = os.open(source, os.O_RDONLY)
    try:

        def send_all() -> int:
            sent = pipe.sendfile(fd, 0, len(data) + 100)  # asks for more than there is
            ours.shutdown(socket.SHUT_WR)
            return sent

        sent = await bulk.run(send_all, pipe, lambda: reported.append(pipe.moved))
    finally:
        os.close(fd)
    await asyncio.to_thread(reader.join, 10)
    assert sent == len(data)  # the file ended: fewer than asked, never an error
    assert reported[-1] == len(data)
    assert bytes(received) == data
    ours.close()
    theirs.close()
