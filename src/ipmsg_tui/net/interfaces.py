"""This machine's IPv4 interfaces: our own addresses and where to broadcast."""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass

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
    """Every IPv4 address of this machine, named as ``getifaddrs`` names it (the address's
    label: ``eth0``, ``eth0:1``)."""
    if hasattr(socket, "AF_NETLINK"):
        try:
            return _netlink_ipv4()
        except OSError:
            pass  # a kernel without rtnetlink: ask getifaddrs as elsewhere
    return _getifaddrs_ipv4()


def _getifaddrs_ipv4() -> list[Interface]:
    import ifaddr  # ctypes, and an `ldconfig -p` run to find libc: 50 ms of a command here

    found: list[Interface] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):  # IPv6 entries are tuples
                found.append(Interface(str(adapter.name), ip.ip, int(ip.network_prefix)))
    return found


# Linux rtnetlink (see rtnetlink(7), netlink(7)): what glibc's getifaddrs asks the kernel.
_RTM_NEWADDR, _RTM_GETADDR = 20, 22
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_IFA_ADDRESS, _IFA_LOCAL, _IFA_LABEL = 1, 2, 3
_NLMSGHDR = struct.Struct("=LHHLL")  # length, type, flags, sequence, port id
_IFADDRMSG = struct.Struct("=BBBBL")  # family, prefix length, flags, scope, interface index
_RTATTR = struct.Struct("=HH")  # length, type


def _netlink_ipv4() -> list[Interface]:
    """The IPv4 addresses from one RTM_GETADDR dump: each address (IFA_LOCAL, else
    IFA_ADDRESS), its prefix length, and its label (else its interface's name)."""
    request = _IFADDRMSG.pack(socket.AF_INET, 0, 0, 0, 0)
    header = _NLMSGHDR.pack(
        _NLMSGHDR.size + len(request), _RTM_GETADDR, _NLM_F_REQUEST | _NLM_F_DUMP, 1, 0
    )
    found: list[Interface] = []
    names = dict(socket.if_nameindex())
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.settimeout(2.0)
        sock.sendto(header + request, (0, 0))
        while True:
            data = sock.recv(1 << 16)
            offset = 0
            while offset + _NLMSGHDR.size <= len(data):
                length, kind = _NLMSGHDR.unpack_from(data, offset)[:2]
                if length < _NLMSGHDR.size or offset + length > len(data):
                    raise OSError("a malformed netlink answer")
                if kind == _NLMSG_DONE:
                    return _grouped_by_name(found)
                if kind == _NLMSG_ERROR:
                    raise OSError("netlink refused the address dump")
                if kind == _RTM_NEWADDR:
                    body = data[offset + _NLMSGHDR.size : offset + length]
                    family, prefix, _, _, index = _IFADDRMSG.unpack_from(body)
                    attrs = _attributes(body[_IFADDRMSG.size :])
                    address = attrs.get(_IFA_LOCAL) or attrs.get(_IFA_ADDRESS)
                    if family == socket.AF_INET and address is not None and len(address) == 4:
                        label = attrs.get(_IFA_LABEL)
                        if label is not None:
                            name = label.split(b"\0", 1)[0].decode(errors="replace")
                        else:
                            name = names.get(index, str(index))
                        found.append(Interface(name, socket.inet_ntoa(address), prefix))
                offset += (length + 3) & ~3


def _grouped_by_name(found: list[Interface]) -> list[Interface]:
    """In the order ifaddr lists them: grouped by name, each name where it first came."""
    order: dict[str, int] = {}
    for interface in found:
        order.setdefault(interface.name, len(order))
    return sorted(found, key=lambda interface: order[interface.name])  # stable within a name


def _attributes(data: bytes) -> dict[int, bytes]:
    """The routing attributes (type -> payload) that follow a netlink message's header."""
    attrs: dict[int, bytes] = {}
    offset = 0
    while offset + _RTATTR.size <= len(data):
        length, kind = _RTATTR.unpack_from(data, offset)
        if length < _RTATTR.size:
            break
        attrs.setdefault(kind, data[offset + _RTATTR.size : offset + length])
        offset += (length + 3) & ~3
    return attrs


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
