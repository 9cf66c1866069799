"""What an engine is told when it is made: who we are, whom we announce to, and the limits
that keep a flood of peers or packets bounded.

A module of its own so that the engine's parts (the encryption mixin in keyexchange.py) and
the layers above can name it without importing the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from . import text as wire_text
from .keyring import Policy
from .liveness import ANSWER_WITHIN, SILENT_AFTER
from .peers import Addr


@dataclass(frozen=True, slots=True)
class EngineConfig:
    user: str
    host: str
    nick: str
    group: str = ""
    port: int = 2425
    legacy_codec: str = wire_text.DEFAULT_LEGACY_CODEC
    retry_interval: float = 1.0
    retry_count: int = 5  # sends in all, the first included
    version_field: str = "1"
    info_text: str = "ipmsg-tui"
    broadcast_targets: tuple[Addr, ...] = ()
    unicast_targets: tuple[Addr, ...] = ()
    local_ips: frozenset[str] = frozenset()
    peer_encodings: Mapping[str, str] = field(default_factory=dict)
    auto_reply: bool = True
    away: bool = False
    away_text: str = ""
    max_peers: int = 10_000
    dedup_size: int = 8192
    dedup_ttl: float = 600.0
    max_pending: int = 4096
    rebroadcast_after: float = 5.0
    refresh_window: float = 6.0
    probe_interval: float = 30.0
    # Peers silent this long are asked whether they are still there, dropped if they do
    # not answer within probe_answer_within (see liveness.py).
    silent_after: float = SILENT_AFTER
    probe_answer_within: float = ANSWER_WITHIN
    # Messages from senders that never announced themselves, per second (burst: twice
    # that). Beyond it a first copy is dropped unacknowledged and remembered; its
    # retransmission is taken. A real sender retries; a flood of spoofed senders does not,
    # so it cannot fill the history.
    stranger_message_rate: float = 100.0
    # Answers (ANSENTRY, RECVMSG, ...) per second to senders heard from only once; entry
    # answers beyond it wait in a queue of this size.
    unconfirmed_answer_rate: float = 500.0
    max_owed_answers: int = 4096
    sender_memory: int = 65_536  # senders remembered (a few MB), to confirm them
    encryption: Policy = "auto"  # takes effect once keys are given (set_keys)
    unconfirmed_decrypt_rate: float = 20.0  # RSA decryptions per second for strangers
