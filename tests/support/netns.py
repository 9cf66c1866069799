"""A virtual LAN of network namespaces, for the tests and the benchmarks alike.

Nothing touches the machine's main namespace: the hosts' links meet in a namespace of their
own, every host gets an address of the lab's network (10.77.0.0/24 by default, broadcast
10.77.0.255, plus a route for 255.255.255.255) on its ``eth0``, and there is no route
anywhere else. A plain LAN is a kernel bridge; an impaired one is :mod:`.lossy_switch`
(this kernel has no netem). Creating namespaces needs root.

This module does not import pytest: the benchmarks use it too. ``netlab.lan_of`` is the
tests' way in (it skips, or fails under CI=true, when no lab can be built).
"""

from __future__ import annotations

import asyncio
import ctypes
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_NETWORK = "10.77.0.0/24"
_CLONE_NEWNET = 0x40000000


class LabError(RuntimeError):
    pass


def ip(
    *args: str,
    check: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["ip", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )
    if check and result.returncode != 0:
        raise LabError(f"ip {' '.join(args[:8])}: {result.stderr.strip()}")
    return result


def enter_netns(netns: str) -> None:
    """Move the calling thread (a ``preexec_fn``: the new process) into ``netns``."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/var/run/netns/{netns}", os.O_RDONLY)
    try:
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {netns} failed")
    finally:
        os.close(fd)


def socket_in(netns: str, family: int, kind: int, proto: int = 0) -> socket.socket:
    """Create a socket inside ``netns``: a helper thread enters the namespace (setns affects
    only the calling thread), makes the socket and ends; the socket stays in that namespace."""
    made: list[socket.socket] = []
    failed: list[BaseException] = []

    def enter_and_make() -> None:
        try:
            enter_netns(netns)
            made.append(socket.socket(family, kind, proto))
        except BaseException as error:
            failed.append(error)

    worker = threading.Thread(target=enter_and_make, name=f"setns-{netns}")
    worker.start()
    worker.join()
    if failed:
        raise failed[0]
    return made[0]


def run_in(netns: str, program: Callable[[], Coroutine[Any, Any, T]], timeout: float = 180) -> T:
    """Run the asyncio ``program`` on a loop of its own in a thread that entered ``netns``:
    whatever it opens (an in-process app's UDP and TCP sockets, its interface list, the
    threads it starts) is that namespace's, while the test's own thread stays put. Its
    result is returned and its exception raised here."""
    results: list[T] = []
    failed: list[BaseException] = []

    def enter_and_run() -> None:
        try:
            enter_netns(netns)
            results.append(asyncio.run(program()))
        except BaseException as error:
            failed.append(error)

    worker = threading.Thread(target=enter_and_run, name=f"in-{netns}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise AssertionError(f"the program in {netns} still ran after {timeout:g} s")
    if failed:
        raise failed[0]
    return results[0]


@dataclass(frozen=True)
class Host:
    name: str
    netns: str
    ip: str
    prefix_bits: int = 24
    broadcast: str = "10.77.0.255"

    def command(self, *args: str) -> list[str]:
        """``args`` to run inside this host's namespace."""
        return ["ip", "netns", "exec", self.netns, *args]

    def run(
        self,
        *args: str,
        check: bool = True,
        env: dict[str, str] | None = None,
        timeout: float = 20,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in this host's namespace; ``env`` adds to the environment."""
        return ip("netns", "exec", self.netns, *args, check=check, env=env, timeout=timeout)

    def enter(self) -> None:
        """A ``preexec_fn`` that starts a program here without ``ip netns exec`` (whose own
        start would otherwise be timed too)."""
        enter_netns(self.netns)

    def socket(self, family: int, kind: int, proto: int = 0) -> socket.socket:
        """A socket that lives in this host's namespace (the calling process stays put)."""
        return socket_in(self.netns, family, kind, proto)

    def run_program(self, program: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run an asyncio program in-process on this host (see :func:`run_in`)."""
        return run_in(self.netns, program)

    def udp_bound(self, port: int) -> bool:
        """Whether a socket in this namespace listens on UDP ``port``."""
        table = self.run("cat", "/proc/net/udp").stdout.splitlines()[1:]
        return any(line.split()[1].endswith(f":{port:04X}") for line in table)

    def block_to(self, address: str) -> None:
        """Drop what this host sends to ``address`` (a blackhole route: no netem here).
        What ``address`` sends here still arrives."""
        self.run("ip", "route", "replace", "blackhole", f"{address}/32")

    def unblock_to(self, address: str) -> None:
        self.run("ip", "route", "del", "blackhole", f"{address}/32", check=False)

    def mac(self) -> str:
        out = ip("-n", self.netns, "-o", "link", "show", "eth0").stdout
        return out.split("link/ether", 1)[1].split()[0]

    def add_aliases(self, addresses: list[str]) -> None:
        """Extra addresses on ``eth0``, for peers that each need a source address."""
        batch = "".join(
            f"addr add {a}/{self.prefix_bits} brd {self.broadcast} dev eth0\n" for a in addresses
        )
        ip("-n", self.netns, "-batch", "-", stdin=batch)

    def add_static_neighbours(self, addresses: list[str], mac: str) -> None:
        """Permanent ARP entries: thousands of peers on one LAN would otherwise overflow the
        kernel's neighbour table (gc_thresh3 is 1024, and it is machine-wide)."""
        batch = "".join(
            f"neigh replace {a} lladdr {mac} dev eth0 nud permanent\n" for a in addresses
        )
        ip("-n", self.netns, "-batch", "-", stdin=batch)


@dataclass(frozen=True)
class Impairment:
    loss: float = 0.0
    duplicate: float = 0.0
    jitter_ms: float = 0.0  # a random delay per frame, which reorders them


class Lan:
    """Hosts on one link. ``create()``, use, ``destroy()`` (also on errors)."""

    def __init__(
        self,
        names: list[str],
        impairment: Impairment | None = None,
        network: str = DEFAULT_NETWORK,
        tag: str = "ipmt",
    ) -> None:
        self.impairment = impairment
        self.network = ipaddress.IPv4Network(network)
        unique = uuid.uuid4().hex[:6]
        self.link_ns = f"{tag}-{unique}-lan"
        self.hosts = {
            name: Host(
                name,
                f"{tag}-{unique}-{name}",
                str(self.network[index]),
                self.network.prefixlen,
                self.broadcast,
            )
            for index, name in enumerate(names, start=1)
        }
        self.switch: subprocess.Popen[str] | None = None
        self._made: list[str] = []

    @property
    def broadcast(self) -> str:
        return str(self.network.broadcast_address)

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def create(self) -> None:
        for name in [self.link_ns, *(h.netns for h in self.hosts.values())]:
            ip("netns", "add", name)
            self._made.append(name)
            ip("-n", name, "link", "set", "lo", "up")
        if self.impairment is None:
            self._wire_bridge()
        else:
            self._wire_lossy_switch(self.impairment)
        for host in self.hosts.values():
            ns = host.netns
            address = f"{host.ip}/{host.prefix_bits}"
            ip("-n", ns, "addr", "add", address, "brd", self.broadcast, "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "route", "add", "255.255.255.255/32", "dev", "eth0")

    def _wire_bridge(self) -> None:
        lan = self.link_ns
        ip("-n", lan, "link", "add", "br0", "type", "bridge", "stp_state", "0")
        ip("-n", lan, "link", "set", "br0", "up")
        for index, host in enumerate(self.hosts.values(), start=1):
            veth = f"veth{index}"
            ip("-n", lan, "link", "add", veth, "type", "veth", "peer", "name", "eth0")
            ip("-n", lan, "link", "set", "eth0", "netns", host.netns)
            ip("-n", lan, "link", "set", veth, "master", "br0", "up")

    def _wire_lossy_switch(self, impairment: Impairment) -> None:
        taps = [f"tap{index}" for index in range(1, len(self.hosts) + 1)]
        faults = [
            f"--loss={impairment.loss}",
            f"--duplicate={impairment.duplicate}",
            f"--jitter-ms={impairment.jitter_ms}",
        ]
        switch = [sys.executable, "-m", "tests.support.lossy_switch", *faults, *taps]
        self.switch = subprocess.Popen(
            ["ip", "netns", "exec", self.link_ns, *switch],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.switch.stdout is not None
        if self.switch.stdout.readline().strip() != "ready":
            raise LabError("the lossy switch did not start")
        for tap, host in zip(taps, self.hosts.values(), strict=True):
            ip("-n", self.link_ns, "link", "set", tap, "netns", host.netns)
            ip("-n", host.netns, "link", "set", tap, "name", "eth0")

    def stop_switch(self) -> dict[str, int]:
        """Stop the lossy switch; what it did: frames, lost, duplicated."""
        assert self.switch is not None and self.switch.stdout is not None
        self.switch.terminate()
        report, _ = self.switch.communicate(timeout=10)
        return {k: int(v) for k, v in (item.split("=") for item in report.split())}

    def destroy(self) -> None:
        if self.switch is not None and self.switch.poll() is None:
            self.switch.kill()
            self.switch.wait(5)
        for name in reversed(self._made):
            # Anything still running in it would keep its sockets: kill, then delete.
            for pid in ip("netns", "pids", name, check=False).stdout.split():
                with suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            ip("netns", "del", name, check=False)
        self._made.clear()


def unavailable_reason() -> str | None:
    """Why no lab can be built here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    return None
