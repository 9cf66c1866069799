"""The crowd of the UI benchmark: thousands of peers on IP aliases, and a stream of joins and
leaves while the app is measured.

Run inside the peers' namespace by ``bench.ui_load``. Every peer is a UDP socket on its own
address (10.77.1.1 upwards) and port 2425, and speaks with the packets of
:func:`bench.storm_peers.entry_packet` (IP Messenger for Windows, iptux and FeiQ in turn).
Commands:

* ``{"announce": true}``: the ``--crowd`` peers each send a BR_ENTRY to the app;
* ``{"churn": {"rate": R, "seconds": S}}``: ``--churn`` more peers take turns joining
  (BR_ENTRY) and leaving (BR_EXIT), R packets a second in all, for at most S seconds or
  until ``{"stop": true}``; answered with ``{"churned": packets}``.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time

from .channel import emit, read_command
from .lab import alias_addresses
from .storm_peers import BR_ENTRY, entry_packet, open_sockets

BR_EXIT = 0x02


class Crowd:
    def __init__(self, crowd: int, churn: int, target: str, port: int) -> None:
        self.crowd = crowd
        self.target = (target, port)
        self.sockets = open_sockets(alias_addresses(crowd + churn), port)
        self._stop = threading.Event()
        self._churner: threading.Thread | None = None
        self._packet_no = 1000

    def _send(self, index: int, mode: int) -> None:
        self._packet_no += 1
        # Answers from the app fill these sockets' buffers; nothing here needs them.
        with contextlib.suppress(BlockingIOError):
            self.sockets[index].sendto(entry_packet(index, mode, self._packet_no), self.target)

    def announce(self) -> None:
        for index in range(self.crowd):
            self._send(index, BR_ENTRY)
            if index % 500 == 499:
                time.sleep(0.005)  # a LAN's start-up spreads over a moment, not one burst
        emit(announced=self.crowd)

    def start_churn(self, rate: float, seconds: float) -> None:
        self._stop.clear()
        self._churner = threading.Thread(target=self._churn, args=(rate, seconds), daemon=True)
        self._churner.start()

    def _churn(self, rate: float, seconds: float) -> None:
        """Peer ``crowd + k`` joins, later leaves, and so on round the pool, at ``rate``."""
        pool = range(self.crowd, len(self.sockets))
        online: set[int] = set()
        sent = 0
        started = time.monotonic()
        while not self._stop.is_set() and time.monotonic() - started < seconds:
            index = pool[sent % len(pool)]
            leaving = index in online
            self._send(index, BR_EXIT if leaving else BR_ENTRY)
            (online.discard if leaving else online.add)(index)
            sent += 1
            delay = started + sent / rate - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
        for index in online:  # leave the crowd as it was
            self._send(index, BR_EXIT)
        emit(churned=sent)

    def stop_churn(self) -> None:
        self._stop.set()
        if self._churner is not None:
            self._churner.join(10)
            self._churner = None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crowd", type=int, required=True)
    parser.add_argument("--churn", type=int, required=True, help="peers that join and leave")
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, default=2425)
    args = parser.parse_args()
    crowd = Crowd(args.crowd, args.churn, args.target, args.port)
    emit(ready=args.crowd + args.churn)
    while "quit" not in (command := read_command()):
        if "announce" in command:
            crowd.announce()
        elif "churn" in command:
            crowd.start_churn(float(command["churn"]["rate"]), float(command["churn"]["seconds"]))
        elif "stop" in command:
            crowd.stop_churn()
    crowd.stop_churn()
    for sock in crowd.sockets:
        sock.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
