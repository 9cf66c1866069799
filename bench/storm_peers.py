"""The storm's peers: one UDP socket per IP alias, all announcing and answering at once.

Run inside the peers' namespace by ``bench.presence_storm``. Each peer is a real socket on
its own address and port 2425, so the receiver sees N distinct senders and its answers
travel back to N distinct sockets. On ``{"go": ...}`` every peer sends its BR_ENTRY
(broadcast) and its ANSENTRY to the receiver (the answer to the receiver's own start-up
announcement), as a LAN does when everyone starts together. The peers then count the
receiver's ANSENTRY answers, and answer any later BR_ENTRY it broadcasts, as real clients
do; its first one in a round is the start-up announcement the storm already answers.

The packets imitate the three families found on Chinese LANs: IP Messenger for Windows
(GBK names plus a UTF-8 trailer), iptux (UTF-8, icon and encoding fields) and FeiQ (GBK,
its MAC in the version field).
"""

from __future__ import annotations

import argparse
import resource
import selectors
import socket
import time

from .channel import emit, read_command
from .lab import BROADCAST, alias_addresses

BR_ENTRY, ANSENTRY = 0x01, 0x03
_WINDOWS_OPTS = 0x01400000  # CAPUTF8OPT | ENCRYPTOPT
_FEIQ_OPTS = 0x00600000  # FILEATTACHOPT | ENCRYPTOPT


def entry_packet(index: int, mode: int, packet_no: int) -> bytes:
    """Peer ``index``'s BR_ENTRY or ANSENTRY, in the style of one of three client families."""
    style = index % 3
    if style == 0:  # IP Messenger for Windows
        nick, group = f"同事{index}", "研发部"
        trailer = f"\nUN:user{index}\nHN:PC{index:04}\nNN:{nick}\nGN:{group}\nVS:00010002:4:9:9"
        return (
            b"1:%d:user%d:PC%04d:%d:" % (packet_no, index, index, mode | _WINDOWS_OPTS)
            + nick.encode("gbk") + b"\0" + group.encode("gbk") + b"\0" + trailer.encode()
        )  # fmt: skip
    if style == 1:  # iptux
        return b"1_iptux 0.8.3:%d:user%d:tux%04d:%d:tux-%d\0lab\0icon-tux.png\0utf-8\0" % (
            packet_no, index, index, mode | 0x100, index,
        )  # fmt: skip
    mac = b"%012X" % (0x74E6E2000000 + index)  # FeiQ
    return (
        b"1_lbt6_0#128#%s#0#0#0#4001#9:%d:zhang%d:ZHANG-%d:%d:" % (
            mac, packet_no, index, index, mode | _FEIQ_OPTS,
        )
        + f"张{index}".encode("gbk") + b"\0" + "市场部".encode("gbk") + b"\0"
    )  # fmt: skip


def open_sockets(addresses: list[str], port: int) -> list[socket.socket]:
    wanted = len(addresses) + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))
    sockets = []
    for address in addresses:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def open_broadcast_ear(port: int) -> socket.socket:
    """Sockets bound to one address do not get broadcasts; this one hears them for all."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("", port))
    sock.setblocking(False)
    return sock


class Storm:
    def __init__(self, count: int, target: str, port: int) -> None:
        self.target = (target, port)
        self.port = port
        self.addresses = alias_addresses(count)
        self.sockets = open_sockets(self.addresses, port)
        self.ear = open_broadcast_ear(port)
        self.selector = selectors.DefaultSelector()
        for index, sock in enumerate(self.sockets):
            self.selector.register(sock, selectors.EVENT_READ, index)
        self.selector.register(self.ear, selectors.EVENT_READ, -1)
        self.round = 0

    def drain(self) -> None:
        """Forget what arrived between rounds (a receiver's BR_EXIT, its start-up BR_ENTRY)."""
        for sock in [*self.sockets, self.ear]:
            while True:
                try:
                    sock.recv(65536)
                except BlockingIOError:
                    break

    def go(self, answers_wanted: int, wait: float) -> None:
        self.round += 1
        self.drain()
        base = self.round * 1000
        announces = [entry_packet(i, BR_ENTRY, base + 1) for i in range(len(self.sockets))]
        answers = [entry_packet(i, ANSENTRY, base + 2) for i in range(len(self.sockets))]
        broadcast = (BROADCAST, self.port)
        # The storm leaves from sockets of its own, closed once it is sent: a datagram still
        # tied to a live local socket costs whoever frees it extra kernel work (wake-ups on
        # the sender's side) that no datagram from another machine would.
        senders = open_sockets(self.addresses, self.port)
        started = time.monotonic()
        for sock, announce, answer in zip(senders, announces, answers, strict=True):
            sock.sendto(announce, broadcast)
            sock.sendto(answer, self.target)
        finished = time.monotonic()
        for sock in senders:
            sock.close()
        emit(sent=2 * len(senders), started=started, finished=finished)
        answered, last = self.collect_answers(answers, answers_wanted, started + wait)
        emit(answered=answered, last_answer=last)

    def collect_answers(
        self, answers: list[bytes], wanted: int, deadline: float
    ) -> tuple[int, float | None]:
        """Count the peers that got an ANSENTRY; answer the receiver's re-announcements."""
        answered: set[int] = set()
        last = None
        announcements = 0
        while len(answered) < wanted and (remaining := deadline - time.monotonic()) > 0:
            for key, _ in self.selector.select(remaining):
                index, sock = key.data, key.fileobj
                assert isinstance(sock, socket.socket)
                while True:
                    try:
                        data, sender = sock.recvfrom(65536)
                    except BlockingIOError:
                        break
                    mode = _mode(data)
                    if index >= 0 and mode == ANSENTRY and sender == self.target:
                        answered.add(index)
                        last = time.monotonic()
                    elif index < 0 and mode == BR_ENTRY and sender == self.target:
                        announcements += 1
                        if announcements > 1:
                            for peer, answer in zip(self.sockets, answers, strict=True):
                                peer.sendto(answer, self.target)
        return len(answered), last


def _mode(data: bytes) -> int:
    fields = data.split(b":", 5)
    try:
        return int(fields[4]) & 0xFF if len(fields) >= 5 else -1
    except ValueError:
        return -1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, default=2425)
    args = parser.parse_args()
    storm = Storm(args.count, args.target, args.port)
    emit(ready=args.count)
    while "quit" not in (command := read_command()):
        if "go" in command:
            storm.go(int(command["answers"]), float(command["wait"]))


if __name__ == "__main__":
    main()
