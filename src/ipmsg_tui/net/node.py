"""Run the sans-IO engine on an asyncio loop: one UDP socket, one timer, ordered delivery.

Every engine step (an action, a datagram, the timer) ends in one :meth:`Node.transmit`: the
step's events go to the listeners *before* its datagrams leave, so a RECVMSG only goes out
once every listener (the history store first) has taken the message; then the timer is set.
A listener that raises makes the node retract that acknowledgement: the sender will
retransmit.

Listeners run in the order of ``listeners``; one returning False has fully handled the event
and the later ones do not see it. The messenger (:mod:`ipmsg_tui.service.messenger`) builds
the chain and writes its order down: history, subscribers, file service.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import socket
import struct
import termios
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

from ..keystore import KeyPair
from ..protocol import events as ev
from ..protocol.attachments import Attachment
from ..protocol.engine import Engine, OutgoingMessage
from ..protocol.engineconfig import EngineConfig
from ..protocol.peers import Addr, Peer
from .binding import SocketPlan, bind_as_planned

log = logging.getLogger(__name__)

# A listener returning False has fully handled the event: later listeners do not see it.
Listener = Callable[[ev.Event], object]
_T = TypeVar("_T")
# A presence storm (thousands of hosts starting together) arrives faster than any receiver
# drains it: the buffer must hold it. The kernel caps this at net.core.rmem_max.
_SO_RCVBUF = 4 << 20
_DROP_SUMMARY_EVERY = 10.0
_MAX_SEND_BACKLOG = 256 * 1024
_READ_BATCH = 64  # datagrams handled per wake-up, at most
_MAX_DATAGRAM_READ = 65536


def open_udp_socket(plan: SocketPlan) -> socket.socket:
    """A broadcast-capable UDP socket, or BindFailed (PortInUse) with a message for the user."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SO_RCVBUF)
        # No SO_REUSEADDR: on Linux it would let a second messenger share the port and
        # silently steal our unicast traffic. A busy port must be reported instead.
        bind_as_planned(sock, plan, "UDP")
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, node: Node) -> None:
        self._node = node

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._node._on_datagram(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and friends: the peer is gone; retries will tell.
        log.debug("UDP error: %s", exc)


class Node:
    """An engine on the event loop. Create it, ``await start()``, call actions, ``await stop()``."""

    def __init__(
        self,
        config: EngineConfig,
        socket_plan: SocketPlan,
        listeners: Sequence[Listener] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.socket_plan = socket_plan
        self.listeners: list[Listener] = list(listeners)
        self.clock = clock
        self.engine = Engine(config, clock())
        self._transport: asyncio.DatagramTransport | None = None
        self._socket: socket.socket | None = None
        self._sndbuf = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due: float | None = None  # the engine time self._timer was set for
        self._drops: Counter[str] = Counter()
        self._drops_logged_at = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._transport is not None

    async def start(self, announce: bool = True, sock: socket.socket | None = None) -> None:
        """Listen (on ``sock`` if given: the app binds before its screen takes over, so a busy
        port is reported on a normal terminal) and announce ourselves."""
        sock = sock or open_udp_socket(self.socket_plan)
        self._socket = sock
        self._sndbuf = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        self._loop = asyncio.get_running_loop()
        transport, _ = await self._loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self._transport = transport
        log.info("listening on UDP %s:%d", self.socket_plan.host, self.socket_plan.port)
        if announce:
            self._act(lambda now: self.engine.start(now))

    async def stop(self) -> None:
        """Say goodbye (BR_EXIT to every target and peer) and close the socket."""
        if self._transport is None:
            return
        self._act(lambda now: self.engine.stop(now))
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._log_drops(force=True)
        await asyncio.sleep(0)  # let the kernel take the BR_EXIT datagrams
        self._transport.close()
        self._transport = None

    def goodbye_from_another_thread(self) -> None:
        """BR_EXIT straight onto the socket, for a process whose event loop is stuck and must
        end (see ui/hangup.py): ``stop()`` cannot run there. Best effort, nothing else."""
        sock = self._socket
        if self._transport is None or sock is None:
            return  # stopped: the goodbye went out already
        self.engine.stop(self.clock())
        for datagram, addr in self.engine.datagrams_to_send():
            try:
                sock.sendto(datagram, addr)
            except OSError as error:
                log.debug("cannot send to %s:%d: %s", addr[0], addr[1], error)

    # ------------------------------------------------------------------ actions

    @property
    def peers(self) -> list[Peer]:
        return list(self.engine.peers)

    def peer(self, addr: Addr) -> Peer | None:
        return self.engine.peers.get(addr)

    @property
    def nick(self) -> str:
        return self.engine.nick

    @property
    def group(self) -> str:
        return self.engine.group

    @property
    def away(self) -> bool:
        return self.engine.away

    @property
    def away_text(self) -> str:
        return self.engine.away_text

    def fitting_name(self, name: str) -> str:
        """``name`` as peers receive it (IPMSG carries only so many bytes of it)."""
        return self.engine.fitting_name(name)

    def send_message(
        self,
        recipients: Sequence[Addr],
        text: str,
        *,
        sealed: bool = False,
        attachments: Sequence[Attachment] = (),
        multicast: bool | None = None,
    ) -> list[OutgoingMessage]:
        return self._act(
            lambda now: self.engine.send_message(
                recipients, text, now, sealed=sealed, attachments=attachments, multicast=multicast
            )
        )

    def broadcast_message(self, text: str) -> list[OutgoingMessage]:
        return self._act(lambda now: self.engine.broadcast_message(text, now))

    def open_sealed(self, addr: Addr, packet_no: int, read_check: bool) -> None:
        self._act(lambda now: self.engine.open_sealed(addr, packet_no, read_check, now))

    def request_info(self, addr: Addr, kind: str = "version") -> None:
        self._act(lambda now: self.engine.request_info(addr, now, kind))

    def release_files(self, addr: Addr, packet_no: int) -> None:
        self._act(lambda now: self.engine.release_files(addr, packet_no))

    def refresh(self) -> None:
        self._act(lambda now: self.engine.refresh(now))

    def set_presence(
        self,
        *,
        nick: str | None = None,
        group: str | None = None,
        away: bool | None = None,
        away_text: str | None = None,
    ) -> None:
        self._act(
            lambda now: self.engine.set_presence(
                now, nick=nick, group=group, away=away, away_text=away_text
            )
        )

    def add_target(self, addr: Addr, *, broadcast: bool = False) -> None:
        self._act(lambda now: self.engine.add_target(addr, broadcast=broadcast))

    def remove_target(self, addr: Addr, *, broadcast: bool = False) -> None:
        self._act(lambda now: self.engine.remove_target(addr, broadcast=broadcast))

    def set_keys(self, keys: KeyPair) -> None:
        """Our key pairs (from the key store): the node starts encrypting."""
        self._act(lambda now: self.engine.set_keys(keys.key_2048, keys.key_1024))

    def request_key(self, addr: Addr) -> None:
        self._act(lambda now: self.engine.request_key(addr, now))

    def set_peer_encoding(self, key: str, codec: str | None) -> None:
        self._act(lambda now: self.engine.set_peer_encoding(key, codec))

    def send_raw(self, datagram: bytes, addr: Addr) -> None:
        """Send bytes as they are (tests, diagnostics)."""
        self._send(datagram, addr)

    # ------------------------------------------------------------------ plumbing

    def _act(self, action: Callable[[float], _T]) -> _T:
        result = action(self.clock())
        self.transmit()
        return result

    def _on_datagram(self, data: bytes, addr: Addr) -> None:
        now = self.clock()
        self.engine.receive_datagram(data, addr, now)
        self._take_waiting_datagrams(now)
        self.transmit()

    def _take_waiting_datagrams(self, now: float) -> None:
        """Feed the engine the datagrams already queued behind this one, up to a batch.

        asyncio reads one datagram per turn of the loop; in a storm that turn, and the pump
        after it, would cost more than the engine's work. Events still reach the listeners
        before any datagram of the batch leaves.
        """
        sock = self._socket
        if sock is None:
            return
        for _ in range(_READ_BATCH - 1):
            try:
                data, addr = sock.recvfrom(_MAX_DATAGRAM_READ)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # an ICMP error for an earlier send
                log.debug("UDP error: %s", error)
                return
            self.engine.receive_datagram(data, (addr[0], addr[1]), now)

    def _on_timer(self) -> None:
        self._timer = None
        self.engine.handle_timer(self.clock(), answers_fit=not self._kernel_queue_crowded())
        self.transmit()

    def transmit(self) -> None:
        """The one way out after an engine step: events to the listeners, then the
        datagrams, then the timer for the next step."""
        for event in self.engine.events():
            if isinstance(event, ev.PacketDropped):
                self._note_drop(event)
                continue
            self.deliver(event)
        for datagram, addr in self.engine.datagrams_to_send():
            self._send(datagram, addr)
        self._schedule_timer()

    def deliver(self, event: ev.Event) -> None:
        """Hand ``event`` down the listener chain (as ``transmit`` does; tests feed
        recorded events this way)."""
        for listener in self.listeners:
            try:
                if listener(event) is False:
                    return
            except Exception:
                log.exception("listener failed on %s", type(event).__name__)
                if isinstance(event, ev.MessageReceived):
                    # Not kept, so not acknowledged: the sender will try again.
                    self.engine.retract(event)
                    return

    def _send(self, datagram: bytes, addr: Addr) -> None:
        if self._transport is None:
            return
        if self._send_backlog() > _MAX_SEND_BACKLOG:
            # The kernel's queue is full; UDP may lose it anyway: drop, do not queue forever.
            self._drops["send queue full"] += 1
            return
        if not self._important(addr) and self._kernel_queue_crowded():
            # Datagrams to hosts that never answer ARP (spoofed senders) wait in the kernel's
            # send queue for seconds. Keep half of it for the peers we know.
            self._drops["send queue crowded, answer to an unconfirmed sender"] += 1
            return
        try:
            self._transport.sendto(datagram, addr)
        except OSError as error:  # unreachable network, no route ...
            log.debug("cannot send to %s:%d: %s", addr[0], addr[1], error)

    def _important(self, addr: Addr) -> bool:
        """Confirmed peers and our presence targets: never shed under load."""
        peer = self.engine.peers.get(addr)
        if peer is not None and peer.confirmed:
            return True
        return addr in self.config.broadcast_targets or addr in self.config.unicast_targets

    def _kernel_queue_crowded(self) -> bool:
        if self._socket is None:
            return False
        try:
            queued = struct.unpack(
                "i", fcntl.ioctl(self._socket.fileno(), termios.TIOCOUTQ, b"\0" * 4)
            )[0]
        except OSError:
            return False
        return bool(queued > self._sndbuf // 2)

    def _send_backlog(self) -> int:
        # asyncio queues what the kernel would not take; DatagramTransport does not declare it.
        size: int = getattr(self._transport, "get_write_buffer_size", lambda: 0)()
        return size

    def _schedule_timer(self) -> None:
        when = self.engine.get_timer()
        if self._timer is not None:
            if when is not None and self._timer_due is not None and when >= self._timer_due:
                # Keep the earlier wake-up: an early handle_timer does nothing that is not
                # due, then sets the timer again. Each message sent would otherwise cancel
                # and re-create it (its retransmission is due a second later).
                return
            self._timer.cancel()
            self._timer = None
        self._timer_due = when
        if when is None or self._loop is None or self._transport is None:
            return
        delay = max(0.0, when - self.clock())
        self._timer = self._loop.call_later(delay, self._on_timer)

    def _note_drop(self, event: ev.PacketDropped) -> None:
        # A flood must not become a flood of log lines: count, and summarise now and then.
        if event.reason not in self._drops:
            log.debug("dropped packet from %s:%d: %s", event.addr[0], event.addr[1], event.reason)
        self._drops[event.reason] += 1
        self._log_drops()

    def _log_drops(self, force: bool = False) -> None:
        now = self.clock()
        if not self._drops or (not force and now - self._drops_logged_at < _DROP_SUMMARY_EVERY):
            return
        total = sum(self._drops.values())
        detail = ", ".join(f"{reason} ×{count}" for reason, count in self._drops.most_common(5))
        log.info("dropped %d packets since the last summary: %s", total, detail)
        self._drops.clear()
        self._drops_logged_at = now
