"""``ipmsg-tui send A TEXT --to B --to C`` on a virtual LAN of network namespaces: one
message to three real listeners (one packet number, MULTICASTOPT), the exit status saying
whether every one of them got it, and a line for each one that did not."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.netlab import Lan, lan_of
from ..support.procs import Listener, run
from .test_three_hosts import host_args

NICKS = {"a": "甲", "b": "乙", "c": "丙"}


@pytest.fixture
def lan() -> Iterator[Lan]:
    with lan_of("a", "b", "c", "d") as lan:
        yield lan


def test_one_message_to_three_listeners_and_one_of_them_down(lan: Lan, tmp_path: Path) -> None:
    listeners = {
        name: Listener([*host_args(tmp_path, name), "--nick", nick], netns=lan[name].netns)
        for name, nick in NICKS.items()
    }
    sender = [*host_args(tmp_path, "d"), "--nick", "丁"]
    try:
        for listener in listeners.values():  # each one up, seeing the others
            listener.wait_for(lambda e: e["event"] == "peer_joined")
        # By nick, by IP and by user@host: one message to all three.
        text = "站会 5 分钟后开始 ☕"
        sent = run(
            ["send", "甲", text, "--to", lan["b"].ip, "--to", "userc@lan-c", *sender],
            netns=lan["d"].netns,
        )
        assert sent.returncode == 0, sent.stderr
        assert sent.stderr == ""
        got = {
            name: listener.wait_for(lambda e: e["event"] == "message")
            for name, listener in listeners.items()
        }
        assert {(m["text"], m["nick"], m["multicast"]) for m in got.values()} == {
            (text, "丁", True)
        }
        assert len({m["packet_no"] for m in got.values()}) == 1  # one packet number

        # A single recipient is no multicast.
        alone = run(["send", "乙", "只给你", *sender], netns=lan["d"].netns)
        assert alone.returncode == 0, alone.stderr
        message = listeners["b"].wait_for(
            lambda e: e["event"] == "message" and e["text"] == "只给你"
        )
        assert message["multicast"] is False

        # 丙 leaves: the same send reaches the two others and says who did not get it.
        assert listeners["c"].stop(signal.SIGTERM) == 0
        listeners["a"].wait_for(lambda e: e["event"] == "peer_left")
        again = run(
            [
                "send",
                "甲",
                "再说一次",
                "--to",
                "乙",
                "--to",
                lan["c"].ip,
                "--timeout",
                "4",
                *sender,
            ],
            netns=lan["d"].netns,
        )
        assert again.returncode == 1
        assert again.stderr.splitlines() == [
            f"ipmsg-tui: {lan['c'].ip}:2425 did not acknowledge the message "
            "(offline, or UDP port 2425 blocked)"
        ]
        for name in ("a", "b"):
            message = listeners[name].wait_for(
                lambda e: e["event"] == "message" and e["text"] == "再说一次"
            )
            assert message["multicast"] is True

        # The sender's history: each message once, with its recipients' delivery.
        history = run(["history", "--json", *sender], netns=lan["d"].netns)
        assert history.returncode == 0, history.stderr
        records = [json.loads(line) for line in history.stdout.splitlines()]
        assert [r["text"] for r in records] == [text, "只给你", "再说一次"]
        first, single, last = records
        assert first["multicast"] and [r["state"] for r in first["recipients"]] == ["delivered"] * 3
        assert not single["multicast"] and single["recipients"] == []
        assert last["state"] == "sending"  # --timeout 4 gave up before the fifth send
        states = {r["ip"]: r["state"] for r in last["recipients"]}
        assert states == {
            lan["a"].ip: "delivered",
            lan["b"].ip: "delivered",
            lan["c"].ip: "sending",
        }
    finally:
        for listener in listeners.values():
            listener.__exit__()


def test_a_name_nobody_answers_to_gets_its_line_and_the_others_the_message(
    lan: Lan, tmp_path: Path
) -> None:
    with Listener([*host_args(tmp_path, "a"), "--nick", "甲"], netns=lan["a"].netns) as a:
        deadline = time.monotonic() + 10
        while not lan["a"].udp_bound(2425):  # listening (it has nobody to see join)
            assert time.monotonic() < deadline, a.stderr_text()
            time.sleep(0.1)
        result = run(
            ["send", "甲", "hello", "--to", "nobody", *host_args(tmp_path, "d")],
            netns=lan["d"].netns,
        )
        assert result.returncode == 1
        (line,) = result.stderr.splitlines()
        assert line.startswith("ipmsg-tui: no peer named 'nobody' answered")
        message = a.wait_for(lambda e: e["event"] == "message")
        assert message["text"] == "hello" and message["multicast"] is False


def test_files_to_two_listeners_each_fetch_them(lan: Lan, tmp_path: Path) -> None:
    report = tmp_path / "报告.txt"
    report.write_text("第三季度\n" * 5000)
    inboxes = {name: tmp_path / f"inbox-{name}" for name in ("a", "b")}
    receivers = {
        name: Listener(
            [*host_args(tmp_path, name), "--accept-files", "--save-dir", str(inbox)],
            netns=lan[name].netns,
        )
        for name, inbox in inboxes.items()
    }
    try:
        for receiver in receivers.values():
            receiver.wait_for(lambda e: e["event"] == "peer_joined")
        sent = run(
            [
                *("send", lan["a"].ip, "报告", "--to", lan["b"].ip, "--file", str(report)),
                *("--timeout", "30", *host_args(tmp_path, "d")),
            ],
            netns=lan["d"].netns,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stderr
        for name, receiver in receivers.items():
            message = receiver.wait_for(lambda e: e["event"] == "message")
            assert message["multicast"] is True
            assert [a["name"] for a in message["attachments"]] == [report.name]
            receiver.wait_for(lambda e: e["event"] == "file_received", timeout=20)
            assert (inboxes[name] / report.name).read_bytes() == report.read_bytes()
    finally:
        for receiver in receivers.values():
            receiver.__exit__()
