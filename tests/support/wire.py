"""Engines wired together in memory: no sockets, a fake clock, and a lossy switch."""

from __future__ import annotations

from collections.abc import Callable

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.engine import Engine
from ipmsg_tui.protocol.engineconfig import EngineConfig
from ipmsg_tui.protocol.peers import Addr

BROADCAST = "10.77.0.255"


def make_engine(ip: str, nick: str, now: float, port: int = 2425, **config: object) -> Engine:
    defaults: dict[str, object] = {
        "user": nick.lower(),
        "host": f"host-{ip.rsplit('.', 1)[-1]}",
        "nick": nick,
        "port": port,
        "broadcast_targets": ((BROADCAST, port),),
        "local_ips": frozenset({ip}),
        "version_field": "1_ipmsg-tui test",
    }
    defaults.update(config)
    return Engine(EngineConfig(**defaults), now)  # type: ignore[arg-type]


class Switch:
    """Carries datagrams between engines by address; ``drop`` decides which get lost."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.engines: dict[Addr, Engine] = {}
        self.events: dict[Addr, list[ev.Event]] = {}
        self.drop: Callable[[bytes, Addr, Addr], bool] = lambda data, src, dst: False
        self.duplicate: Callable[[bytes, Addr, Addr], bool] = lambda data, src, dst: False
        self.sent: list[tuple[Addr, Addr, bytes]] = []

    def add(self, ip: str, nick: str, port: int = 2425, **config: object) -> Engine:
        engine = make_engine(ip, nick, self.now, port, **config)
        self.engines[(ip, port)] = engine
        self.events[(ip, port)] = []
        return engine

    def addr_of(self, engine: Engine) -> Addr:
        return next(a for a, e in self.engines.items() if e is engine)

    def deliver(self, rounds: int = 50) -> None:
        """Move datagrams until nothing is left in flight."""
        for _ in range(rounds):
            moved = False
            for src, engine in list(self.engines.items()):
                self.events[src].extend(engine.events())
                for data, dst in engine.datagrams_to_send():
                    moved = True
                    self.sent.append((src, dst, data))
                    if self.drop(data, src, dst):
                        continue
                    copies = 2 if self.duplicate(data, src, dst) else 1
                    for target_addr in self._targets(dst):
                        for _ in range(copies):
                            self.engines[target_addr].receive_datagram(data, src, self.now)
            if not moved:
                break
        for src, engine in self.engines.items():
            self.events[src].extend(engine.events())

    def _targets(self, dst: Addr) -> list[Addr]:
        if dst[0] == BROADCAST:  # every engine on that port hears it, the sender too
            return [a for a in self.engines if a[1] == dst[1]]
        return [dst] if dst in self.engines else []

    def advance(self, seconds: float, step: float = 0.05) -> None:
        """Let time pass, firing timers and moving datagrams as they come."""
        end = self.now + seconds
        while self.now < end:
            self.now = min(end, self.now + step)
            for engine in self.engines.values():
                timer = engine.get_timer()
                if timer is not None and timer <= self.now:
                    engine.handle_timer(self.now)
            self.deliver()

    def of(self, engine: Engine, kind: type[ev.Event]) -> list[ev.Event]:
        return [e for e in self.events[self.addr_of(engine)] if isinstance(e, kind)]
