"""Two machines with one login and one host name on a LAN of network namespaces.

Every namespace shares this machine's host name, and USER/LOGNAME give two ``listen``
processes the same login: ``alice@<host>`` twice, as cloned office PCs would be. A third
host lists both, writes to each, keeps their messages apart, and a ``send`` to the shared
``user@host`` names both candidates instead of picking one.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.netlab import Lan, lan_of
from ..support.procs import Listener, run

ALICE = {"USER": "alice", "LOGNAME": "alice"}
CAROL = {"USER": "carol", "LOGNAME": "carol"}


@pytest.fixture
def lan() -> Iterator[Lan]:
    with lan_of("a", "b", "c", "d") as lan:
        yield lan


def data(tmp_path: Path, name: str) -> list[str]:
    return ["--data-dir", str(tmp_path / f"data-{name}")]


def test_two_machines_sharing_user_at_host_are_both_listed_and_reached(
    lan: Lan, tmp_path: Path
) -> None:
    shared = f"alice@{platform.node()}"
    a_ip, b_ip = lan["a"].ip, lan["b"].ip
    with (
        Listener(
            [*data(tmp_path, "a"), "--nick", "Alice"],
            netns=lan["a"].netns,
            env=ALICE,
            commands=True,
        ) as a,
        Listener(
            [*data(tmp_path, "b"), "--nick", "Alice"],
            netns=lan["b"].netns,
            env=ALICE,
            commands=True,
        ) as b,
        Listener([*data(tmp_path, "c"), "--nick", "Carol"], netns=lan["c"].netns, env=CAROL) as c,
    ):
        joined = {
            ip: c.wait_for(lambda e, ip=ip: e["event"] == "peer_joined" and e["ip"] == ip)
            for ip in (a_ip, b_ip)
        }
        # One keeps the plain user@host; the other is told apart by its address.
        keys = {joined[a_ip]["key"], joined[b_ip]["key"]}
        assert shared in keys
        twin_ip = a_ip if joined[a_ip]["key"] != shared else b_ip
        assert keys == {shared, f"{shared} ({twin_ip}:2425)"}

        # `who` lists both, each with its own identity.
        who = run(["who", "--json", *data(tmp_path, "d")], netns=lan["d"].netns, env=CAROL)
        assert who.returncode == 0, who.stderr
        listed = {p["ip"]: p["key"] for p in json.loads(who.stdout) if p["user"] == "alice"}
        assert set(listed) == {a_ip, b_ip}
        # Which one is heard first is each host's own: the other is named by its address.
        first = next(ip for ip, key in listed.items() if key == shared)
        other_ip = b_ip if first == a_ip else a_ip
        assert listed[other_ip] == f"{shared} ({other_ip}:2425)"

        # The shared user@host is ambiguous: both candidates are named, nothing is sent.
        ambiguous = run(["send", shared, "hi", *data(tmp_path, "d")], netns=lan["d"].netns)
        assert ambiguous.returncode == 1
        assert f"{a_ip}:2425" in ambiguous.stderr and f"{b_ip}:2425" in ambiguous.stderr
        assert "IP:PORT" in ambiguous.stderr
        # An address picks one; the twin's own identity names it too.
        for target, text in ((a_ip, "for a"), (f"{shared} ({twin_ip}:2425)", "for the twin")):
            sent = run(["send", target, text, *data(tmp_path, "d")], netns=lan["d"].netns)
            assert sent.returncode == 0, sent.stderr
        got_a = a.wait_for(lambda e: e["event"] == "message")
        assert got_a["text"] == "for a"
        twin = a if twin_ip == a_ip else b
        other = b if twin is a else a
        assert twin.wait_for(lambda e: e["event"] == "message" and e["text"] == "for the twin")
        assert all(e.get("text") != "for the twin" for e in other.collect(0.5))

        # Messages from each land in their own conversation in the third host's history.
        for listener, ip in ((a, a_ip), (b, b_ip)):
            listener.command(send=f"from {ip}", to=lan["c"].ip)
        c.wait_for_all(lambda e: e["event"] == "message", 2)
        history = run(["history", "--json", *data(tmp_path, "c")], netns=lan["c"].netns)
        assert history.returncode == 0, history.stderr
        by_ip = {m["peer"]["ip"]: m["peer"] for m in map(json.loads, history.stdout.splitlines())}
        assert {ip: p["key"] for ip, p in by_ip.items()} == {
            ip: joined[ip]["key"] for ip in (a_ip, b_ip)
        }
        assert {p["user"] for p in by_ip.values()} == {"alice"}
        assert {p["host"] for p in by_ip.values()} == {platform.node()}
