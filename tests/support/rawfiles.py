"""A scripted file server on a lab host: it answers each TCP request (GETFILEDATA,
GETDIRFILES) with the bytes a test chose for it, as a real client's sender would, and keeps
every request it got."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from .netlab import Host

MAX_REQUEST = 2048


class RawFileServer:
    def __init__(self, host: Host, answer: Callable[[bytes], bytes], port: int = 2425) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        self._sock = host.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("0.0.0.0", port))  # inside the host's namespace: its address only
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True, name="raw-files")
        self._thread.start()

    def _accept(self) -> None:
        while self._running:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        request = b""
        try:
            while b"\0" not in request and len(request) < MAX_REQUEST:
                chunk = conn.recv(MAX_REQUEST)
                if not chunk:
                    break
                request += chunk
            with self._lock:
                self.requests.append(request)
            conn.sendall(self.answer(request))
        except (OSError, LookupError, ValueError):
            return  # a request it has no answer for: the connection just closes

    def received(self) -> list[bytes]:
        with self._lock:
            return list(self.requests)

    def close(self) -> None:
        self._running = False
        self._thread.join(2)
        self._sock.close()

    def __enter__(self) -> RawFileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
