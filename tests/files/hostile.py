"""A hand-written peer on raw sockets: it offers what it likes and answers what it likes."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field

from ipmsg_tui.protocol.constants import Command, SendOpt


@dataclass
class RawPeer:
    """UDP and TCP on one loopback port; ``answers`` are sent in turn to TCP requests."""

    port: int
    version: bytes = b"1"
    user: bytes = b"mallory"
    answers: list[bytes] = field(default_factory=list)
    hold_open: bool = False  # keep connections open after answering (a stalling sender)
    requests: list[bytes] = field(default_factory=list)
    _udp: socket.socket | None = None
    _server: asyncio.Server | None = None
    _packet_no: int = 1000

    async def start(self, tcp: bool = True) -> None:
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind(("127.0.0.1", self.port))
        if tcp:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._server is not None:
            self._server.close()

    def offer(self, to: tuple[str, int], entries: bytes, text: bytes = b"take this") -> int:
        """SENDMSG|FILEATTACHOPT (no receipt asked, like iptux); returns its packet number."""
        assert self._udp is not None
        self._packet_no += 1
        command = Command.SENDMSG | SendOpt.FILEATTACHOPT
        datagram = b"%s:%d:%s:evilbox:%d:%s\0%s\0" % (
            self.version,
            self._packet_no,
            self.user,
            command,
            text,
            entries,
        )
        self._udp.sendto(datagram, to)
        return self._packet_no

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            self.requests.append(await reader.readuntil(b"\0"))
            answer = self.answers.pop(0) if self.answers else b""
            writer.write(answer)
            await writer.drain()
            if self.hold_open:
                await asyncio.sleep(3600)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
