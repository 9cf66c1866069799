"""A virtual LAN of network namespaces for the benchmarks.

Every host sits on one kernel bridge (in a namespace of its own) with ``10.77.0.N/16`` on
its ``eth0``, broadcast ``10.77.255.255`` and no route anywhere else, so nothing leaves the
lab. A host may carry thousands of extra addresses (IP aliases, ``10.77.1.1`` upwards) for
peers that each need their own source address.

This is separate from ``tests/support/netlab.py`` on purpose: the storm needs a /16, aliases
and static neighbours, and the benchmarks must not import pytest.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

PREFIX = "10.77"
NETMASK_BITS = 16
BROADCAST = f"{PREFIX}.255.255"
_FIRST_ALIAS = ipaddress.IPv4Address(f"{PREFIX}.1.1")
_CLONE_NEWNET = 0x40000000


class LabError(RuntimeError):
    pass


def _ip(*args: str, stdin: str | None = None) -> str:
    result = subprocess.run(["ip", *args], input=stdin, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise LabError(f"ip {' '.join(args[:6])}: {result.stderr.strip()}")
    return result.stdout


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
    if out and ipaddress.IPv4Address(out[-1]) >= ipaddress.IPv4Address(BROADCAST):
        raise LabError(f"{count} aliases do not fit in {PREFIX}.0.0/{NETMASK_BITS}")
    return out


@dataclass(frozen=True)
class Host:
    name: str
    netns: str
    ip: str

    def command(self, *args: str) -> list[str]:
        """``args`` run inside this host's namespace."""
        return ["ip", "netns", "exec", self.netns, *args]

    def enter(self) -> None:
        """Move the calling process into this host's namespace: a ``preexec_fn`` that starts
        a program there without ``ip netns exec`` (whose own start would be timed too)."""
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(f"/var/run/netns/{self.netns}", os.O_RDONLY)
        try:
            if libc.setns(fd, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {self.netns} failed")
        finally:
            os.close(fd)

    def mac(self) -> str:
        out = _ip("-n", self.netns, "-o", "link", "show", "eth0")
        return out.split("link/ether", 1)[1].split()[0]

    def add_aliases(self, addresses: list[str]) -> None:
        batch = "".join(
            f"addr add {a}/{NETMASK_BITS} brd {BROADCAST} dev eth0\n" for a in addresses
        )
        _ip("-n", self.netns, "-batch", "-", stdin=batch)

    def add_static_neighbours(self, addresses: list[str], mac: str) -> None:
        """Permanent ARP entries: thousands of peers on one LAN would otherwise overflow the
        kernel's neighbour table (gc_thresh3 is 1024, and it is machine-wide)."""
        batch = "".join(
            f"neigh replace {a} lladdr {mac} dev eth0 nud permanent\n" for a in addresses
        )
        _ip("-n", self.netns, "-batch", "-", stdin=batch)


class Lan:
    """Hosts on one bridge. ``create()``, use, ``destroy()`` (also on errors and signals)."""

    def __init__(self, names: list[str]) -> None:
        tag = uuid.uuid4().hex[:6]
        self.link_ns = f"ipmb-{tag}-lan"
        self.hosts = {
            name: Host(name, f"ipmb-{tag}-{name}", f"{PREFIX}.0.{index}")
            for index, name in enumerate(names, start=1)
        }
        self._made: list[str] = []

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def create(self) -> None:
        for name in [self.link_ns, *(h.netns for h in self.hosts.values())]:
            _ip("netns", "add", name)
            self._made.append(name)
            _ip("-n", name, "link", "set", "lo", "up")
        lan = self.link_ns
        _ip("-n", lan, "link", "add", "br0", "type", "bridge", "stp_state", "0")
        _ip("-n", lan, "link", "set", "br0", "up")
        for index, host in enumerate(self.hosts.values(), start=1):
            veth = f"veth{index}"
            _ip("-n", lan, "link", "add", veth, "type", "veth", "peer", "name", "eth0")
            _ip("-n", lan, "link", "set", "eth0", "netns", host.netns)
            _ip("-n", lan, "link", "set", veth, "master", "br0", "up")
        for host in self.hosts.values():
            ns = host.netns
            address = f"{host.ip}/{NETMASK_BITS}"
            _ip("-n", ns, "addr", "add", address, "brd", BROADCAST, "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "route", "add", "255.255.255.255/32", "dev", "eth0")

    def destroy(self) -> None:
        for name in reversed(self._made):
            # Anything still running in it keeps its sockets: kill it, then delete.
            pids = subprocess.run(
                ["ip", "netns", "pids", name], capture_output=True, text=True, timeout=20
            ).stdout.split()
            for pid in pids:
                with suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=20)
        self._made.clear()


def unavailable_reason() -> str | None:
    """Why a lab cannot be built here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root (run with sudo)"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    return None


@contextmanager
def lan_of(*names: str) -> Iterator[Lan]:
    """A LAN with the named hosts for the duration of the block; always torn down."""
    reason = unavailable_reason()
    if reason is not None:
        raise LabError(reason)
    lan = Lan(list(names))
    try:
        lan.create()
        yield lan
    finally:
        lan.destroy()
