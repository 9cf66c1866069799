"""The engine's encryption bookkeeping: our keys, peers' keys, pins and key requests.

No packets here: the engine asks "whose key do I have, whom did I ask, what waits for a
key?" and this answers. Peers' keys are cached by address (that is where a key answer comes
from); pins are by identity ``user@host`` and come from the layer above (the store), which
hears of every new key through the engine's events.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

# cryptography is imported inside the functions that use it: a command or an app start
# that never meets an encrypting peer does not pay for importing it (benchmarks 5 and 9).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

from .peers import Addr
from .pubkey import PeerKey, fingerprint

Policy = Literal["auto", "required", "off"]
POLICIES: tuple[Policy, ...] = ("auto", "required", "off")
# A key request is sent this many times, this far apart, before the peer counts as silent.
KEY_REQUEST_TRIES = 3
KEY_REQUEST_INTERVAL = 1.0
_MAX_WAITING = 256  # messages (each way) waiting for a key, in all


def public_der(key: rsa.RSAPublicKey) -> bytes:
    """The form a pin is kept in (SubjectPublicKeyInfo DER)."""
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(slots=True)
class KeyRequest:
    sent: int
    due: float


@dataclass(slots=True)
class WaitingSend:
    """A message part for ``addr`` that goes out once its key is here (or is given up)."""

    addr: Addr
    packet_no: int
    command: int
    text: bytes
    attachments: bytes | None
    codec: str


@dataclass(slots=True)
class WaitingReceive:
    """A signed message whose sender's key we asked for before showing it."""

    addr: Addr
    packet_no: int
    payload: object  # what the engine needs to finish it


@dataclass(slots=True)
class KeyRing:
    policy: Policy = "off"
    key_2048: rsa.RSAPrivateKey | None = None
    key_1024: rsa.RSAPrivateKey | None = None
    peer_keys: OrderedDict[Addr, PeerKey] = field(default_factory=OrderedDict)
    pins: dict[str, bytes] = field(default_factory=dict)  # identity -> public DER
    changed: set[str] = field(default_factory=set)  # identities whose key differs from the pin
    requests: dict[Addr, KeyRequest] = field(default_factory=dict)
    silent: set[Addr] = field(default_factory=set)  # never answered: send to them in clear
    reasked: dict[Addr, float] = field(default_factory=dict)  # when a cached key was re-asked
    sends: list[WaitingSend] = field(default_factory=list)
    receives: list[WaitingReceive] = field(default_factory=list)
    max_peers: int = 10_000

    @property
    def ready(self) -> bool:
        """We can encrypt and decrypt (keys made, policy not off)."""
        return self.policy != "off" and self.key_2048 is not None and self.key_1024 is not None

    def our_fingerprint(self) -> str | None:
        return fingerprint(self.key_2048.public_key()) if self.key_2048 is not None else None

    def remember(self, addr: Addr, key: PeerKey) -> None:
        self.peer_keys[addr] = key
        self.peer_keys.move_to_end(addr)
        self.silent.discard(addr)
        while len(self.peer_keys) > self.max_peers:
            self.peer_keys.popitem(last=False)

    def accept(self, identity: str, der: bytes) -> None:
        """The user accepted the key ``der`` for ``identity``: it is the pin from now on."""
        self.pins[identity] = der
        self.changed.discard(identity)

    def wait_send(self, item: WaitingSend) -> bool:
        if len(self.sends) >= _MAX_WAITING:
            return False
        self.sends.append(item)
        return True

    def take_sends(self, addr: Addr) -> list[WaitingSend]:
        mine = [item for item in self.sends if item.addr == addr]
        self.sends = [item for item in self.sends if item.addr != addr]
        return mine

    def wait_receive(self, item: WaitingReceive) -> bool:
        if len(self.receives) >= _MAX_WAITING:
            return False
        if any(w.addr == item.addr and w.packet_no == item.packet_no for w in self.receives):
            return True  # a retransmission of one already waiting
        self.receives.append(item)
        return True

    def is_waiting(self, addr: Addr, packet_no: int) -> bool:
        return any(w.addr == addr and w.packet_no == packet_no for w in self.receives)

    def take_receives(self, addr: Addr) -> list[WaitingReceive]:
        mine = [item for item in self.receives if item.addr == addr]
        self.receives = [item for item in self.receives if item.addr != addr]
        return mine

    def next_due(self) -> float | None:
        return min((r.due for r in self.requests.values()), default=None)
