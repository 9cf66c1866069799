"""Where the sockets listen (one plan for UDP and TCP: IPMSG uses one port number for both)
and what a failure to listen tells the user."""

from __future__ import annotations

import errno
import logging
import socket
from dataclasses import dataclass

from ..i18n import _

log = logging.getLogger(__name__)


class BindFailed(Exception):
    """The socket cannot listen; the message says why and what to do, in one line."""


class PortInUse(BindFailed):
    def __init__(self, kind: str, port: int, bind: str, consequence: str = "") -> None:
        super().__init__(
            _(
                "{kind} port {port} on {bind} is already in use (is another IP Messenger "
                "running?){consequence}. Quit it, or pick another port with --port."
            ).format(kind=kind, port=port, bind=bind, consequence=consequence)
        )
        self.port = port


@dataclass(frozen=True, slots=True)
class SocketPlan:
    """Where the sockets listen: an address, and optionally one device only."""

    host: str = "0.0.0.0"
    port: int = 2425
    device: str | None = None


def bind_as_planned(sock: socket.socket, plan: SocketPlan, kind: str) -> None:
    """Bind ``sock`` (``kind``: "UDP" or "TCP") as ``plan`` says, or raise BindFailed."""
    host = plan.host
    if plan.device:
        try:  # 0.0.0.0 of one device: its unicast *and* its subnet's broadcasts
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, plan.device.encode())
            host = "0.0.0.0"
        except OSError as error:  # the bound address alone decides then
            log.warning(
                "cannot bind to device %s (%s); broadcasts may be missed", plan.device, error
            )
    try:
        sock.bind((host, plan.port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            consequence = _("; files could not be sent") if kind == "TCP" else ""
            raise PortInUse(kind, plan.port, plan.host, consequence) from None
        if error.errno == errno.EACCES:
            raise BindFailed(
                _(
                    "not allowed to use {kind} port {port}; pick a port above 1023 with --port"
                ).format(kind=kind, port=plan.port)
            ) from None
        raise BindFailed(
            _("cannot listen on {kind} {addr}: {error}").format(
                kind=kind, addr=f"{plan.host}:{plan.port}", error=error.strerror
            )
        ) from None
