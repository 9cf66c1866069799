"""A node gets our keys without waiting for them, and a broken key store is reported."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from ipmsg_tui.keystore import key_folder, load_or_create_keys
from ipmsg_tui.net.binding import SocketPlan
from ipmsg_tui.net.node import Node
from ipmsg_tui.net.nodekeys import provide_keys
from ipmsg_tui.protocol.engineconfig import EngineConfig


def _node(policy: str = "auto") -> Node:
    config = EngineConfig(user="me", host="pc", nick="me", encryption=policy)  # type: ignore[arg-type]
    return Node(config, SocketPlan(host="127.0.0.1", port=1))


async def test_saved_keys_are_given_at_once(tmp_path: Path) -> None:
    saved = load_or_create_keys(tmp_path)
    node = _node()
    provide_keys(node, tmp_path)
    assert node.engine.encryption_ready
    assert node.engine.our_fingerprint() is not None
    assert saved.key_2048.key_size == 2048


async def test_missing_keys_arrive_later_from_a_thread(tmp_path: Path) -> None:
    node = _node()
    provide_keys(node, tmp_path)
    assert not node.engine.encryption_ready  # nothing made on the start-up path
    for _ in range(400):
        if node.engine.encryption_ready:
            break
        await asyncio.sleep(0.05)
    assert node.engine.encryption_ready
    assert (key_folder(tmp_path) / "rsa2048.pem").exists()


async def test_policy_off_reads_and_makes_nothing(tmp_path: Path) -> None:
    node = _node("off")
    provide_keys(node, tmp_path)
    await asyncio.sleep(0.2)
    assert not node.engine.encryption_ready and not key_folder(tmp_path).exists()


async def test_a_broken_key_store_is_logged_not_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load_or_create_keys(tmp_path)
    (key_folder(tmp_path) / "rsa2048.pem").write_text("garbage")
    node = _node()
    with caplog.at_level(logging.ERROR):
        provide_keys(node, tmp_path)
    assert not node.engine.encryption_ready
    assert "encryption unavailable" in caplog.text and "rsa2048.pem" in caplog.text
    assert (key_folder(tmp_path) / "rsa2048.pem").read_text() == "garbage"
