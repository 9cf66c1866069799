"""Give a node our key pairs without slowing its start.

Saved keys are read at once (a few milliseconds). Missing ones are made in a background
thread (RSA-2048 takes a noticeable fraction of a second) and handed to the node on its
event loop when ready; until then it advertises no encryption and sends in clear (policy
"required" refuses to send meanwhile). A key store that cannot be used is logged as an
error and the node stays without encryption: never a crash, never a silently new key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from ..keystore import KeyPair, KeyStoreError, load_keys, start_key_thread
from .node import Node

log = logging.getLogger(__name__)


def provide_keys(node: Node, data_dir: Path) -> None:
    if node.engine.encryption_policy == "off":
        return
    try:
        keys = load_keys(data_dir)
    except KeyStoreError as error:
        log.error("encryption unavailable: %s", error)
        return
    if keys is not None:
        node.set_keys(keys)
        return
    loop = asyncio.get_running_loop()

    def ready(made: KeyPair) -> None:
        log.info("made our encryption keys under %s", data_dir)
        # RuntimeError: the command ended first; the keys are saved for next time.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(node.set_keys, made)

    def failed(error: Exception) -> None:
        log.error("encryption unavailable: cannot make keys: %s", error)

    start_key_thread(data_dir, ready, failed)
