"""A packet tap on one lab host's ``eth0``: every UDP datagram it sends or receives.

It is the wire-level oracle of the tests (how many copies of a message arrived, whether a
READMSG was ever sent) and needs nothing but a raw AF_PACKET socket, so no tcpdump.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .netlab import Host

_ETH_P_ALL = 0x0003
_ETH_P_IP = 0x0800
_IPPROTO_UDP = 17


@dataclass(frozen=True)
class Datagram:
    at: float  # time.monotonic() when the tap saw it
    src: tuple[str, int]
    dst: tuple[str, int]
    payload: bytes

    def _field(self, index: int) -> int:
        # "version:packet_no:user:host:command:extension", read independently of our codec.
        parts = self.payload.split(b":", 5)
        return int(parts[index]) if len(parts) > 5 and parts[index].isdigit() else -1

    @property
    def packet_no(self) -> int:
        return self._field(1)

    @property
    def command(self) -> int:
        return self._field(4)

    @property
    def mode(self) -> int:
        """The command without its option bits (BR_ENTRY 1, SENDMSG 0x20, RECVMSG 0x21 ...)."""
        return self.command & 0xFF if self.command >= 0 else -1

    @property
    def extension(self) -> bytes:
        parts = self.payload.split(b":", 5)
        return parts[5] if len(parts) > 5 else b""


def parse_frame(frame: bytes) -> tuple[tuple[str, int], tuple[str, int], bytes] | None:
    """(src, dst, payload) of an Ethernet frame carrying IPv4/UDP, else None."""
    if len(frame) < 14 + 20 + 8 or struct.unpack("!H", frame[12:14])[0] != _ETH_P_IP:
        return None
    ip = frame[14:]
    header_len = (ip[0] & 0x0F) * 4
    total_len = struct.unpack("!H", ip[2:4])[0]
    fragment = struct.unpack("!H", ip[6:8])[0] & 0x3FFF
    if ip[9] != _IPPROTO_UDP or fragment:  # fragments: lab datagrams are far below the MTU
        return None
    src_ip, dst_ip = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    udp = ip[header_len:total_len]
    src_port, dst_port, length = struct.unpack("!HHH", udp[:6])
    return (src_ip, src_port), (dst_ip, dst_port), udp[8:length]


class Sniffer:
    """Collects the UDP datagrams on ``port`` seen on a host's eth0 until closed."""

    def __init__(self, host: Host, port: int = 2425) -> None:
        self.port = port
        self.datagrams: list[Datagram] = []
        self._lock = threading.Lock()
        self._sock = host.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        self._sock.bind(("eth0", 0))
        self._sock.settimeout(0.2)
        self._running = True
        self._thread = threading.Thread(target=self._pump, daemon=True, name="sniffer")
        self._thread.start()

    def _pump(self) -> None:
        while self._running:
            try:
                frame = self._sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            parsed = parse_frame(frame)
            if parsed is None or self.port not in (parsed[0][1], parsed[1][1]):
                continue
            with self._lock:
                self.datagrams.append(Datagram(time.monotonic(), *parsed))

    def matching(self, predicate: Callable[[Datagram], bool]) -> list[Datagram]:
        with self._lock:
            return [d for d in self.datagrams if predicate(d)]

    def wait_for(
        self, predicate: Callable[[Datagram], bool], count: int = 1, timeout: float = 10.0
    ) -> list[Datagram]:
        """At least ``count`` matching datagrams, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while len(found := self.matching(predicate)) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{len(found)} of {count} expected datagrams within {timeout} s; "
                    f"saw {[(d.src, d.dst, d.payload[:80]) for d in self.datagrams]}"
                )
            time.sleep(0.05)
        return found

    def close(self) -> None:
        self._running = False
        self._thread.join(2)
        self._sock.close()

    def __enter__(self) -> Sniffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
