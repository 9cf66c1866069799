"""Turn settings into a running node: engine configuration, socket and interfaces."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from . import __version__
from .config import Settings
from .net.binding import SocketPlan
from .net.interfaces import (
    InterfaceError,
    broadcast_addresses,
    interface_for,
    ipv4_interfaces,
    local_ips,
)
from .net.node import Listener, Node
from .net.nodekeys import provide_keys
from .protocol.engineconfig import EngineConfig
from .protocol.keyring import Policy

if TYPE_CHECKING:  # the transfer modules load when a file service is built
    from .net.files import FileService

log = logging.getLogger(__name__)

# The version field names the client family ("1_iptux 0.8.3" does the same); peers read
# only the leading "1".
VERSION_FIELD = f"1_ipmsg-tui {__version__}"


def _system_name() -> str:
    """platform.system()'s answer; on POSIX without importing platform (a command's start)."""
    if hasattr(os, "uname"):
        return os.uname().sysname
    import platform

    return platform.system()


INFO_TEXT = (
    f"ipmsg-tui {__version__} (Python {sys.version_info.major}.{sys.version_info.minor}, "
    f"{_system_name() or 'unknown OS'})"
)


def engine_config(settings: Settings) -> tuple[EngineConfig, SocketPlan]:
    """The engine's configuration and where its socket listens; InterfaceError if unusable."""
    interfaces = ipv4_interfaces()
    device = interface_for(settings.bind, interfaces).name if settings.bind else None
    broadcasts = [
        (address, settings.port) for address in broadcast_addresses(settings.bind, interfaces)
    ]
    broadcasts += settings.broadcast_targets()
    unicasts = settings.unicast_targets()
    if not broadcasts and not unicasts:
        problem = (
            f"the interface of {settings.bind} has no broadcast address"
            if settings.bind
            else "no network interface has a broadcast address"
        )
        raise InterfaceError(
            f"{problem}, so nobody would hear us; "
            "add peers with --host ADDR or a broadcast address with --broadcast ADDR"
        )
    config = EngineConfig(
        user=settings.user,
        host=settings.host,
        nick=settings.display_nick,
        group=settings.group,
        port=settings.port,
        legacy_codec=settings.encoding,
        retry_interval=settings.retry_interval,
        retry_count=settings.retry_count,
        version_field=VERSION_FIELD,
        info_text=INFO_TEXT,
        broadcast_targets=tuple(dict.fromkeys(broadcasts)),
        unicast_targets=tuple(dict.fromkeys(unicasts)),
        local_ips=local_ips(interfaces),
        peer_encodings=dict(settings.peer_encodings),
        auto_reply=settings.auto_reply,
        away_text=settings.away_text,
        encryption=cast(Policy, settings.encryption),
    )
    plan = SocketPlan(host=settings.bind or "0.0.0.0", port=settings.port, device=device)
    return config, plan


def build_node(settings: Settings, listeners: Sequence[Listener] = ()) -> Node:
    """A node for ``settings``; its keys come from the data folder (see nodekeys.py), so
    it must be built on the running event loop."""
    config, plan = engine_config(settings)
    node = Node(config, plan, listeners)
    provide_keys(node, settings.data_dir)
    return node


def build_file_service(
    settings: Settings, node: Node, *, checksum: bool = False, remember: bool = True
) -> FileService:
    """File transfers for ``node``: downloads to ``download_dir``, offers live ``offer_ttl``;
    with ``checksum``, every downloaded file's SHA-256 is computed. With ``remember``,
    downloads are remembered in the history database (a retry or Accept after a restart
    continues their ``.part``); a service that only sends needs no memory."""
    from .net.files import FileService
    from .net.resumes import Journal
    from .transferlog import TransferLog, TransferLogError

    transfer_log: TransferLog | None = None
    try:
        transfer_log = TransferLog(settings.history_path) if remember else None
    except TransferLogError as error:  # the history store reports its own failure to open
        log.warning("%s", error)
    journal = None
    if transfer_log is not None:
        journal = Journal(transfer_log, time.time, max_age=settings.part_max_age * 86400)
    return FileService(
        node,
        download_dir=settings.download_dir,
        offer_ttl=settings.offer_ttl,
        checksum=checksum,
        journal=journal,
    )
