"""TCP sockets for file transfers: the listening socket beside the UDP one, and connecting out.

IPMSG serves file data on the TCP port with the same number as the UDP port. The app binds
it before its screen starts (like the UDP socket) so that a busy port is one clear error.
Connecting to a peer that answered over UDP but whose TCP port is firewalled is the classic
IPMSG support case; the error says exactly that instead of hanging.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..i18n import N_
from ..protocol.peers import Addr
from ..reasons import Param, Reason, known
from .binding import SocketPlan, bind_as_planned

CONNECT_TIMEOUT = 10.0
_T = TypeVar("_T")
_P = TypeVar("_P", bound=asyncio.BaseProtocol)
_BACKLOG = 64
UNREACHABLE = known(
    N_(
        "UDP works but TCP {port} is not reachable on {host} ({reason}); "
        "a firewall on the sender's side may block TCP port {port}"
    )
)
NO_ANSWER = known(N_("no answer within {seconds} s"))
REFUSED = known(N_("connection refused"))


class TcpUnreachable(ConnectionError):
    """We could talk to the peer over UDP, but not open a TCP connection to it."""

    def __init__(self, addr: Addr, reason: Reason) -> None:
        params: dict[str, Param] = {"port": addr[1], "host": addr[0], "reason": reason}
        self.why = Reason(UNREACHABLE, params)
        super().__init__(str(self.why))
        self.addr = addr
        self.reason = str(reason)


def open_tcp_socket(plan: SocketPlan) -> socket.socket:
    """A listening TCP socket on the UDP socket's address and port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # SO_REUSEADDR: restart at once despite TIME_WAIT connections; on Linux it does not
        # let a second listener share the port, so a busy port is still reported.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bind_as_planned(sock, plan, "TCP")
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


async def connect(
    addr: Addr, timeout: float = CONNECT_TIMEOUT, local_host: str | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a TCP connection to a peer; TcpUnreachable with a clear reason otherwise."""
    opening = asyncio.open_connection(addr[0], addr[1], local_addr=_local(local_host))
    return await _reach(addr, timeout, opening)


async def connect_protocol(
    addr: Addr,
    protocol_factory: Callable[[], _P],
    timeout: float = CONNECT_TIMEOUT,
    local_host: str | None = None,
) -> tuple[asyncio.Transport, _P]:
    """Like :func:`connect`, for a protocol of our own instead of streams."""
    loop = asyncio.get_running_loop()
    opening = loop.create_connection(
        protocol_factory, addr[0], addr[1], local_addr=_local(local_host)
    )
    return await _reach(addr, timeout, opening)


async def connect_socket(
    addr: Addr, timeout: float = CONNECT_TIMEOUT, local_host: str | None = None
) -> socket.socket:
    """Like :func:`connect`, for a plain non-blocking socket a thread moves bulk data on."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)

    async def opening() -> None:
        local = _local(local_host)
        if local is not None:
            sock.bind(local)
        await loop.sock_connect(sock, addr)

    try:
        await _reach(addr, timeout, opening())
    except BaseException:
        sock.close()
        raise
    return sock


def _local(local_host: str | None) -> tuple[str, int] | None:
    return (local_host, 0) if local_host and local_host != "0.0.0.0" else None


async def _reach(addr: Addr, timeout: float, opening: Awaitable[_T]) -> _T:
    try:
        return await asyncio.wait_for(opening, timeout)
    except TimeoutError:
        no_answer = Reason(NO_ANSWER, {"seconds": f"{timeout:g}"})
        raise TcpUnreachable(addr, no_answer) from None
    except ConnectionRefusedError:
        raise TcpUnreachable(addr, Reason(REFUSED)) from None
    except OSError as error:
        raise TcpUnreachable(addr, Reason.plain(error.strerror or str(error))) from None
