"""The benchmarks' LAN: the tests' namespace builder (tests/support/netns.py) on a /16.

Every host has ``10.77.0.N/16`` on its ``eth0``, broadcast ``10.77.255.255``, no route
anywhere else. A host may carry thousands of extra addresses (IP aliases, ``10.77.1.1``
upwards) for peers that each need their own source address. Unlike the tests' ``lan_of``,
this one never skips: a benchmark that cannot build its lab says why and stops.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.netns import Host, LabError, Lan, unavailable_reason

__all__ = [
    "BROADCAST",
    "Host",
    "LabError",
    "Lan",
    "alias_addresses",
    "lan_of",
    "unavailable_reason",
]

NETWORK = ipaddress.IPv4Network("10.77.0.0/16")
BROADCAST = str(NETWORK.broadcast_address)
_FIRST_ALIAS = ipaddress.IPv4Address("10.77.1.1")


def alias_addresses(count: int) -> list[str]:
    """``count`` addresses from 10.77.1.1 on, skipping each /24's .0 and .255 so that no
    address looks like a network or broadcast address to anyone."""
    out: list[str] = []
    address = _FIRST_ALIAS
    while len(out) < count:
        if str(address).endswith((".0", ".255")):
            address += 1
            continue
        out.append(str(address))
        address += 1
    if out and ipaddress.IPv4Address(out[-1]) >= NETWORK.broadcast_address:
        raise LabError(f"{count} aliases do not fit in {NETWORK}")
    return out


@contextmanager
def lan_of(*names: str) -> Iterator[Lan]:
    """A LAN with the named hosts for the duration of the block; always torn down."""
    reason = unavailable_reason()
    if reason is not None:
        raise LabError(f"{reason} (run with sudo)")
    lan = Lan(list(names), network=str(NETWORK), tag="ipmb")
    try:
        lan.create()
        yield lan
    finally:
        lan.destroy()
