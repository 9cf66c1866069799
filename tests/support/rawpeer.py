"""A scripted IPMSG peer on a lab host: it sends exactly the bytes it is given (recorded
packets of real clients) and keeps every datagram that reaches it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from .netlab import Host

Received = tuple[bytes, tuple[str, int]]


class RawPeer:
    def __init__(self, host: Host, port: int = 2425) -> None:
        self.host = host
        self.port = port
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._sock = host.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self._sock.bind(("0.0.0.0", port))  # inside the host's namespace: its address only
        self._sock.settimeout(0.2)
        self._running = True
        self._thread = threading.Thread(target=self._pump, daemon=True, name="raw-peer")
        self._thread.start()

    def _pump(self) -> None:
        while self._running:
            try:
                data, addr = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.received.append((data, (addr[0], addr[1])))

    def send(self, data: bytes, ip: str, port: int = 2425) -> None:
        self._sock.sendto(data, (ip, port))

    def matching(self, predicate: Callable[[bytes], bool]) -> list[Received]:
        with self._lock:
            return [r for r in self.received if predicate(r[0])]

    def wait_for(
        self, predicate: Callable[[bytes], bool], count: int = 1, timeout: float = 5.0
    ) -> list[Received]:
        """At least ``count`` datagrams received (so far or within ``timeout``) that match."""
        deadline = time.monotonic() + timeout
        while len(found := self.matching(predicate)) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(f"{len(found)} of {count} datagrams within {timeout} s")
            time.sleep(0.02)
        return found

    def close(self) -> None:
        self._running = False
        self._thread.join(2)
        self._sock.close()

    def __enter__(self) -> RawPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
