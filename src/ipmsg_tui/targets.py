"""Naming a peer on the command line: IP, IP:PORT, nick, user, user@host or the identity
``user@host (ip:port)`` of one of two machines that share a user@host."""

from __future__ import annotations

import re

from .config import ConfigError, parse_target
from .i18n import _
from .protocol.peers import Addr, PeerTable


class TargetError(Exception):
    pass


class UnknownTarget(TargetError):
    pass


class AmbiguousTarget(TargetError):
    pass


class BadAddress(TargetError):
    pass


# Digits and dots, maybe a ":PORT": meant as an address, never as a nick to look up.
_ADDRESS_LIKE = re.compile(r"[0-9]+(\.[0-9]*)+(:.*)?")


def check_target(target: str) -> None:
    """BadAddress when TARGET looks like an address but is not a valid one."""
    if _ADDRESS_LIKE.fullmatch(target.strip()):
        try:
            parse_target(target, 1)
        except ConfigError as error:
            raise BadAddress(str(error)) from None


def is_address(target: str) -> bool:
    try:
        parse_target(target, 1)
    except ConfigError:
        return False
    return True


def resolve_target(peers: PeerTable, target: str, default_port: int) -> Addr:
    """The address TARGET names; a bare IP prefers the one peer known there, whatever its port."""
    try:
        addr = parse_target(target, default_port)
    except ConfigError:
        matches = peers.find(target)
        if not matches:
            raise UnknownTarget(
                _("no peer named {name} is online").format(name=repr(target))
            ) from None
        if len(matches) > 1:
            # Two machines may share a nick or even user@host: their addresses tell them apart.
            listing = ", ".join(
                _("{identity} at {addr}").format(identity=p.base_key, addr=f"{p.ip}:{p.port}")
                for p in matches
            )
            raise AmbiguousTarget(
                _("{name} matches several peers ({listing}); give IP:PORT").format(
                    name=repr(target), listing=listing
                )
            ) from None
        return matches[0].addr
    if ":" not in target:
        known = [p for p in peers if p.ip == addr[0]]
        if len(known) == 1:
            return known[0].addr
    return addr
