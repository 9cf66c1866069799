"""This machine's IPv4 interfaces: our own addresses and where to broadcast."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import ifaddr

from ..i18n import _


class InterfaceError(Exception):
    """A user-facing problem with the chosen address; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    ip: str
    prefix: int

    @property
    def is_loopback(self) -> bool:
        return ipaddress.IPv4Address(self.ip).is_loopback

    @property
    def broadcast(self) -> str | None:
        """The directed broadcast address, or None for point-to-point (/31, /32) links."""
        if self.prefix >= 31:
            return None
        network = ipaddress.IPv4Network(f"{self.ip}/{self.prefix}", strict=False)
        return str(network.broadcast_address)


def ipv4_interfaces() -> list[Interface]:
    found: list[Interface] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):  # IPv6 entries are tuples
                found.append(Interface(str(adapter.name), ip.ip, int(ip.network_prefix)))
    return found


def local_ips(interfaces: list[Interface]) -> frozenset[str]:
    return frozenset({"127.0.0.1", *(i.ip for i in interfaces)})


def interface_for(bind: str, interfaces: list[Interface]) -> Interface:
    for interface in interfaces:
        if interface.ip == bind:
            return interface
    raise InterfaceError(
        _("{address} is not an address of this machine; use --bind with one of: {choices}").format(
            address=bind, choices=", ".join(i.ip for i in interfaces)
        )
    )


def broadcast_addresses(bind: str | None, interfaces: list[Interface]) -> list[str]:
    """Directed broadcasts: of the bound interface, or of every non-loopback interface."""
    if bind:
        chosen = [interface_for(bind, interfaces)]
    else:
        chosen = [i for i in interfaces if not i.is_loopback]
    return list(dict.fromkeys(b for i in chosen if (b := i.broadcast) is not None))
