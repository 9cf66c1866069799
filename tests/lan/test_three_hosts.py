"""Three real ``ipmsg-tui listen`` processes on a virtual LAN of network namespaces.

They find each other by broadcast alone (no --host), take messages sent with
``ipmsg-tui send`` from a fourth host, and see one another leave.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.netlab import Lan, lan_of
from ..support.procs import Listener, run

NICKS = {"a": "甲", "b": "乙", "c": "丙"}


@pytest.fixture
def lan() -> Iterator[Lan]:
    with lan_of("a", "b", "c", "d") as lan:
        yield lan


def host_args(tmp_path: Path, name: str) -> list[str]:
    """Each host has its own name and data dir, as separate machines would."""
    config = tmp_path / f"{name}.toml"
    config.write_text(f'host = "lan-{name}"\nuser = "user{name}"\n')
    return ["--config", str(config), "--data-dir", str(tmp_path / f"data-{name}")]


def test_three_listeners_find_each_other_chat_and_leave(lan: Lan, tmp_path: Path) -> None:
    listeners = {
        name: Listener([*host_args(tmp_path, name), "--nick", nick], netns=lan[name].netns)
        for name, nick in NICKS.items()
    }
    try:
        # Discovery by broadcast: each one lists the two others.
        for name, listener in listeners.items():
            others = {lan[o].ip for o in NICKS if o != name}
            for ip in others:
                joined = listener.wait_for(
                    lambda e, ip=ip: e["event"] == "peer_joined" and e["ip"] == ip
                )
                assert joined["nick"] in NICKS.values() and joined["port"] == 2425

        sender = [*host_args(tmp_path, "d"), "--nick", "丁"]
        texts = {"a": "你好，甲！👋", "b": "乙，开会了 📅", "c": "丙 🍜 吃饭？"}
        targets = {"a": "甲", "b": lan["b"].ip, "c": "userc@lan-c"}  # by nick, IP, user@host
        for name, text in texts.items():
            sent = run(["send", targets[name], text, *sender], netns=lan["d"].netns)
            assert sent.returncode == 0, sent.stderr
            message = listeners[name].wait_for(lambda e: e["event"] == "message")
            assert (message["text"], message["nick"], message["ip"]) == (text, "丁", lan["d"].ip)

        # Leaving: SIGTERM and SIGINT both say goodbye by BR_EXIT.
        assert listeners["c"].stop(signal.SIGTERM) == 0
        for name in ("a", "b"):
            listeners[name].wait_for(lambda e: e["event"] == "peer_left" and e["ip"] == lan["c"].ip)
        assert listeners["b"].stop(signal.SIGINT) == 0
        left = listeners["a"].wait_for(
            lambda e: e["event"] == "peer_left" and e["ip"] == lan["b"].ip
        )
        assert left["reason"] == "exit" and left["nick"] == "乙"
    finally:
        for listener in listeners.values():
            listener.__exit__()


def test_who_on_the_lan_lists_everyone_by_broadcast(lan: Lan, tmp_path: Path) -> None:
    with (
        Listener(
            [*host_args(tmp_path, "a"), "--nick", "甲", "--group", "研发"], netns=lan["a"].netns
        ) as a,
        Listener([*host_args(tmp_path, "b"), "--nick", "乙"], netns=lan["b"].netns) as b,
    ):
        a.wait_for(lambda e: e["event"] == "peer_joined")
        result = run(["who", *host_args(tmp_path, "d")], netns=lan["d"].netns)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].split() == ["NICK", "GROUP", "USER@HOST", "ADDRESS", "AWAY"]
        rows = sorted(line.split() for line in lines[1:])
        assert rows == [
            ["乙", "userb@lan-b", f"{lan['b'].ip}:2425"],
            ["甲", "研发", "usera@lan-a", f"{lan['a'].ip}:2425"],
        ]
        b.wait_for(lambda e: e["event"] == "peer_left" and e["ip"] == lan["d"].ip)
