"""A virtual LAN of network namespaces for tests.

Nothing touches the machine's main namespace: the hosts' links meet in a namespace of their
own, every host gets 10.77.0.N/24 (broadcast 10.77.0.255, plus a route for
255.255.255.255) on its ``eth0``, and there is no route anywhere else. A plain LAN is a
kernel bridge; an impaired one is :mod:`.lossy_switch` (this kernel has no netem).

Creating namespaces needs root. Without it the tests are skipped, except under ``CI=true``,
where they fail loudly.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SUBNET = "10.77.0"
REPO_ROOT = Path(__file__).resolve().parents[2]
_CLONE_NEWNET = 0x40000000


class LabError(RuntimeError):
    pass


@dataclass(frozen=True)
class Host:
    name: str
    netns: str
    ip: str

    def run(
        self,
        *args: str,
        check: bool = True,
        env: dict[str, str] | None = None,
        timeout: float = 20,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in this host's namespace; ``env`` adds to the environment."""
        return _ip("netns", "exec", self.netns, *args, check=check, env=env, timeout=timeout)

    def udp_bound(self, port: int) -> bool:
        """Whether a socket in this namespace listens on UDP ``port``."""
        table = self.run("cat", "/proc/net/udp").stdout.splitlines()[1:]
        return any(line.split()[1].endswith(f":{port:04X}") for line in table)

    def block_to(self, ip: str) -> None:
        """Drop what this host sends to ``ip`` (a blackhole route; netem needs a kernel
        module that is not everywhere). What ``ip`` sends here still arrives."""
        self.run("ip", "route", "replace", "blackhole", f"{ip}/32")

    def unblock_to(self, ip: str) -> None:
        self.run("ip", "route", "del", "blackhole", f"{ip}/32", check=False)

    def socket(self, family: int, kind: int, proto: int = 0) -> socket.socket:
        """A socket that lives in this host's namespace (the test process stays where it is)."""
        return socket_in(self.netns, family, kind, proto)


@dataclass(frozen=True)
class Impairment:
    loss: float = 0.0
    duplicate: float = 0.0
    jitter_ms: float = 0.0  # a random delay per frame, which reorders them


def _ip(
    *args: str, check: bool = True, env: dict[str, str] | None = None, timeout: float = 20
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["ip", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )
    if check and result.returncode != 0:
        raise LabError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def socket_in(netns: str, family: int, kind: int, proto: int = 0) -> socket.socket:
    """Create a socket inside ``netns``: a helper thread enters the namespace (setns affects
    only the calling thread), makes the socket and ends; the socket stays in that namespace."""
    made: list[socket.socket] = []
    failed: list[BaseException] = []

    def enter_and_make() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            with open(f"/var/run/netns/{netns}", "rb") as handle:
                if libc.setns(handle.fileno(), _CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {netns} failed")
            made.append(socket.socket(family, kind, proto))
        except BaseException as error:
            failed.append(error)

    worker = threading.Thread(target=enter_and_make, name=f"setns-{netns}")
    worker.start()
    worker.join()
    if failed:
        raise failed[0]
    return made[0]


class Lan:
    def __init__(self, names: list[str], impairment: Impairment | None = None) -> None:
        tag = uuid.uuid4().hex[:6]
        self.impairment = impairment
        self.link_ns = f"ipmt-{tag}-lan"
        self.hosts = {
            name: Host(name, f"ipmt-{tag}-{name}", f"{SUBNET}.{index}")
            for index, name in enumerate(names, start=1)
        }
        self.switch: subprocess.Popen[str] | None = None
        self._made: list[str] = []

    @property
    def broadcast(self) -> str:
        return f"{SUBNET}.255"

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def create(self) -> None:
        for name in [self.link_ns, *(h.netns for h in self.hosts.values())]:
            _ip("netns", "add", name)
            self._made.append(name)
            _ip("-n", name, "link", "set", "lo", "up")
        if self.impairment is None:
            self._wire_bridge()
        else:
            self._wire_lossy_switch(self.impairment)
        for host in self.hosts.values():
            ns = host.netns
            _ip("-n", ns, "addr", "add", f"{host.ip}/24", "brd", self.broadcast, "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "route", "add", "255.255.255.255/32", "dev", "eth0")

    def _wire_bridge(self) -> None:
        lan = self.link_ns
        _ip("-n", lan, "link", "add", "br0", "type", "bridge", "stp_state", "0")
        _ip("-n", lan, "link", "set", "br0", "up")
        for index, host in enumerate(self.hosts.values(), start=1):
            veth = f"veth{index}"
            _ip("-n", lan, "link", "add", veth, "type", "veth", "peer", "name", "eth0")
            _ip("-n", lan, "link", "set", "eth0", "netns", host.netns)
            _ip("-n", lan, "link", "set", veth, "master", "br0", "up")

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
            _ip("-n", self.link_ns, "link", "set", tap, "netns", host.netns)
            _ip("-n", host.netns, "link", "set", tap, "name", "eth0")

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
            for pid in _ip("netns", "pids", name, check=False).stdout.split():
                subprocess.run(["kill", "-9", pid], capture_output=True)
            _ip("netns", "del", name, check=False)
        self._made.clear()


def lab_unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    return None


@contextmanager
def lan_of(*names: str, impairment: Impairment | None = None) -> Iterator[Lan]:
    """Build a LAN with the named hosts for the duration of the block.

    Skips the test when namespaces cannot be made here, but fails under CI=true.
    """
    reason = lab_unavailable_reason()
    lan = Lan(list(names), impairment)
    if reason is None:
        try:
            lan.create()
        except (LabError, OSError) as error:
            lan.destroy()
            reason = f"cannot create network namespaces: {error}"
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    try:
        yield lan
    finally:
        lan.destroy()
