"""The headless commands as a script would use them: real processes on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import pytest

from ipmsg_tui.net.binding import SocketPlan
from ipmsg_tui.net.node import open_udp_socket

from ..support.procs import Listener, run


def common(port: int, *peers: int, data: Path) -> list[str]:
    args = ["--bind", "127.0.0.1", "--port", str(port), "--data-dir", str(data)]
    for peer in peers:
        args += ["--host", f"127.0.0.1:{peer}"]
    return args


def test_send_who_and_listen_round_trip(ports: list[int], tmp_path: Path) -> None:
    with Listener(
        [*common(ports[0], ports[1], data=tmp_path / "a"), "--nick", "阿明", "--group", "开发部"]
    ) as alice:
        sent = run(
            [
                "send",
                f"127.0.0.1:{ports[0]}",
                "你好，世界 🌏",
                *common(ports[1], data=tmp_path / "b"),
                "--nick",
                "bob",
            ]
        )
        assert sent.returncode == 0, sent.stderr
        message = alice.wait_for(lambda e: e["event"] == "message")
        assert (
            message["text"] == "你好，世界 🌏"
            and message["port"] == ports[1]
            and not message["sealed"]
        )
        assert message["nick"] == "bob"

        who = run(
            ["who", "--json", "--wait", "1", *common(ports[2], ports[0], data=tmp_path / "c")]
        )
        assert who.returncode == 0, who.stderr
        (peer,) = json.loads(who.stdout)
        assert (peer["nick"], peer["group"], peer["port"], peer["away"]) == (
            "阿明",
            "开发部",
            ports[0],
            False,
        )

        # Each command said goodbye: alice saw bob and the who-runner leave again.
        left = alice.wait_for(lambda e: e["event"] == "peer_left" and e["port"] == ports[2])
        assert left["reason"] == "exit"
        assert alice.stop() == 0


def test_send_by_nick_sealed(ports: list[int], tmp_path: Path) -> None:
    with Listener([*common(ports[0], ports[1], data=tmp_path / "a"), "--nick", "taro"]) as taro:
        sent = run(
            [
                "send",
                "taro",
                "sealed note",
                "--sealed",
                *common(ports[1], ports[0], data=tmp_path / "b"),
            ]
        )
        assert sent.returncode == 0, sent.stderr
        message = taro.wait_for(lambda e: e["event"] == "message")
        assert message["sealed"] and message["text"] == "sealed note"


def test_listen_keeps_messages_in_the_history(ports: list[int], tmp_path: Path) -> None:
    with Listener(common(ports[0], data=tmp_path / "a")) as alice:
        for text in ("one", "two"):
            assert (
                run(
                    ["send", f"127.0.0.1:{ports[0]}", text, *common(ports[1], data=tmp_path / "b")]
                ).returncode
                == 0
            )
        alice.wait_for(lambda e: e.get("text") == "two")
    with sqlite3.connect(tmp_path / "a" / "history.sqlite3") as db:
        assert [
            r[0] for r in db.execute("SELECT text FROM messages WHERE direction='in' ORDER BY id")
        ] == ["one", "two"]
    with sqlite3.connect(tmp_path / "b" / "history.sqlite3") as db:
        rows = db.execute(
            "SELECT text, state FROM messages WHERE direction='out' ORDER BY id"
        ).fetchall()
        assert rows == [("one", "delivered"), ("two", "delivered")]


def test_text_from_stdin(ports: list[int], tmp_path: Path) -> None:
    with Listener(common(ports[0], data=tmp_path / "a")) as alice:
        sent = run(
            ["send", f"127.0.0.1:{ports[0]}", "-", *common(ports[1], data=tmp_path / "b")],
            input="line 1\nline 2\n",
        )
        assert sent.returncode == 0, sent.stderr
        assert alice.wait_for(lambda e: e["event"] == "message")["text"] == "line 1\nline 2\n"


def test_send_to_nobody_fails_with_one_line(ports: list[int], tmp_path: Path) -> None:
    sent = run(
        [
            "send",
            f"127.0.0.1:{ports[0]}",
            "hello?",
            "--timeout",
            "1.5",
            *common(ports[1], data=tmp_path),
        ]
    )
    assert sent.returncode == 1
    assert sent.stderr.strip().count("\n") == 0
    assert f"127.0.0.1:{ports[0]} did not acknowledge the message" in sent.stderr


def test_send_to_an_unknown_nick_fails(ports: list[int], tmp_path: Path) -> None:
    sent = run(["send", "nobody-here", "hello?", *common(ports[1], data=tmp_path)])
    assert sent.returncode == 1
    assert "no peer named 'nobody-here'" in sent.stderr


def test_listen_says_goodbye_on_sigint_and_sigterm(ports: list[int], tmp_path: Path) -> None:
    with Listener(common(ports[0], ports[1], data=tmp_path / "a")) as watcher:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with Listener(common(ports[1], ports[0], data=tmp_path / "b")) as other:
                watcher.wait_for(lambda e: e["event"] == "peer_joined" and e["port"] == ports[1])
                assert other.stop(sig) == 0
            watcher.wait_for(lambda e: e["event"] == "peer_left" and e["port"] == ports[1])
            watcher.events.clear()


def test_busy_port_exits_2_with_one_clear_line(ports: list[int], tmp_path: Path) -> None:
    holder = open_udp_socket(SocketPlan("127.0.0.1", ports[0]))
    try:
        result = run(["listen", *common(ports[0], data=tmp_path)])
    finally:
        holder.close()
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"ipmsg-tui: UDP port {ports[0]} on 127.0.0.1 is already in use (is another IP Messenger "
        "running?). Quit it, or pick another port with --port."
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nick = [unclosed", "is not valid TOML"),
        ("nick = 5", "'nick' has the wrong type"),
        ("colour = 'red'", "unknown setting 'colour'"),
        ("encoding = 'klingon'", "unknown encoding"),
        ("hosts = ['not-an-ip']", "is not an IPv4 address"),
    ],
)
def test_bad_config_exits_2_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    result = run(["who", "--config", str(config), "--bind", "127.0.0.1"])
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_unreadable_config_exits_2(tmp_path: Path) -> None:
    result = run(["who", "--config", str(tmp_path), "--bind", "127.0.0.1"])
    assert result.returncode == 2 and "is a directory" in result.stderr


def test_bind_to_a_foreign_address_exits_2(tmp_path: Path) -> None:
    result = run(["who", "--bind", "203.0.113.9", "--data-dir", str(tmp_path)])
    assert result.returncode == 2
    assert "203.0.113.9 is not an address of this machine" in result.stderr


def test_bad_flags_and_version() -> None:
    assert run(["--port", "99999", "who"]).returncode == 2
    version = run(["--version"])
    assert version.returncode == 0 and version.stdout.startswith("ipmsg-tui ")


def test_listen_takes_commands_on_stdin(ports: list[int], tmp_path: Path) -> None:
    with (
        Listener(
            [*common(ports[0], ports[1], data=tmp_path / "a"), "--nick", "bot"], commands=True
        ) as bot,
        Listener([*common(ports[1], ports[0], data=tmp_path / "b"), "--nick", "human"]) as human,
    ):
        bot.wait_for(lambda e: e["event"] == "peer_joined" and e["nick"] == "human")
        bot.command(send="build #42 is green ✅", to="human", id="b42")
        sent = bot.wait_for(lambda e: e["event"] == "sent")
        assert sent["id"] == "b42" and sent["port"] == ports[1]
        delivered = bot.wait_for(lambda e: e["event"] == "message_delivered")
        assert delivered["packet_no"] == sent["packet_no"]
        assert human.wait_for(lambda e: e["event"] == "message")["text"] == "build #42 is green ✅"

        bot.command(away="in a meeting")
        changed = human.wait_for(lambda e: e["event"] == "peer_changed" and e["away"])
        assert changed["nick"] == "bot"
        bot.command(send="hi", to="nobody")
        error = bot.wait_for(lambda e: e["event"] == "error")
        assert "no peer named 'nobody'" in error["error"]
        bot.command(frobnicate=1)
        assert (
            "unknown command"
            in bot.wait_for(lambda e: e["event"] == "error" and e is not error)["error"]
        )


def test_listen_commands_send_to_a_list_of_recipients(ports: list[int], tmp_path: Path) -> None:
    with (
        Listener(
            [*common(ports[0], ports[1], ports[2], data=tmp_path / "a"), "--nick", "bot"],
            commands=True,
        ) as bot,
        Listener([*common(ports[1], ports[0], data=tmp_path / "b"), "--nick", "taro"]) as taro,
        Listener([*common(ports[2], ports[0], data=tmp_path / "c"), "--nick", "hanako"]) as hanako,
    ):
        for nick in ("taro", "hanako"):
            bot.wait_for(lambda e, n=nick: e["event"] == "peer_joined" and e["nick"] == n)
        # taro twice (by nick and by address): one copy each, as with send --to.
        bot.command(send="stand-up", to=["taro", "hanako", f"127.0.0.1:{ports[1]}"], id=5)
        sent = bot.wait_for(lambda e: e["event"] == "sent" and e["id"] == 5)
        assert sorted(r["port"] for r in sent["recipients"]) == sorted([ports[1], ports[2]])
        delivered = {
            bot.wait_for(lambda e, p=port: e["event"] == "message_delivered" and e["port"] == p)[
                "packet_no"
            ]
            for port in (ports[1], ports[2])
        }
        assert delivered == {sent["packet_no"]}
        for peer in (taro, hanako):
            got = peer.wait_for(lambda e: e["event"] == "message")
            assert got["text"] == "stand-up" and got["multicast"] is True

        for number, bad in enumerate(([], ["taro", 7], "", ["taro"] * 300, {"taro": 1})):
            bot.command(send="x", to=bad, id=number)
            error = bot.wait_for(lambda e, n=number: e["event"] == "error" and e.get("id") == n)
            assert '"to"' in error["error"]
        bot.command(send="x", to=["taro", "nobody"], id="who")
        unknown = bot.wait_for(lambda e: e["event"] == "error" and e.get("id") == "who")
        assert "no peer named 'nobody'" in unknown["error"]


LONG_NICK = "长" * 40  # 120 bytes in UTF-8: IPMSG carries 79 of a name


def test_a_nick_shortened_for_the_wire_is_warned_about(ports: list[int], tmp_path: Path) -> None:
    who = run(["who", "--wait", "0.3", *common(ports[0], data=tmp_path / "w"), "--nick", LONG_NICK])
    assert who.returncode == 0, who.stderr
    assert "warning: nick too long for IP Messenger" in who.stderr
    assert f"others see you as {'长' * 26}\n" in who.stderr  # 26 × 3 bytes fit in 79
    short = run(["who", "--wait", "0.3", *common(ports[0], data=tmp_path / "w"), "--nick", "ok"])
    assert "warning" not in short.stderr
    with Listener(
        [*common(ports[1], data=tmp_path / "l"), "--nick", LONG_NICK], commands=True
    ) as bot:
        first = bot.wait_for(lambda e: e["event"] == "warning")
        assert first["nick"] == "长" * 26 and "others see you as" in first["warning"]
        bot.command(nick="x" * 100, id=7)
        warned = bot.wait_for(lambda e: e["event"] == "warning" and e.get("id") == 7)
        assert warned["nick"] == "x" * 79
        bot.command(nick="fits", id=8)
        bot.command(frobnicate=1, id=9)  # answered after the nick: no warning came between
        bot.wait_for(lambda e: e["event"] == "error" and e.get("id") == 9)
        assert [e.get("id") for e in bot.events if e["event"] == "warning"] == [None, 7]


def test_send_and_who_beside_a_running_listen_go_through_it(
    ports: list[int], tmp_path: Path
) -> None:
    # listen holds ports[0]; commands with the same port and account ask it instead.
    with (
        Listener([*common(ports[1], ports[0], data=tmp_path / "b"), "--nick", "bob"]) as bob,
        Listener([*common(ports[0], ports[1], data=tmp_path / "a"), "--nick", "ann"]) as ann,
    ):
        ann.wait_for(lambda e: e["event"] == "peer_joined" and e["nick"] == "bob")
        mine = common(ports[0], data=tmp_path / "a")
        sent = run(["send", "bob", "through listen", *mine])
        assert (sent.returncode, sent.stdout, sent.stderr) == (0, "", "")
        message = bob.wait_for(lambda e: e["event"] == "message")
        assert (message["text"], message["port"], message["nick"]) == (
            "through listen",
            ports[0],
            "ann",
        )
        who = run(["who", "--json", *mine])
        assert who.returncode == 0, who.stderr
        assert [p["nick"] for p in json.loads(who.stdout)] == ["bob"]
        assert ann.stop() == 0 and bob.stop() == 0


def test_the_json_of_listen_commands_stays_english_in_any_language(
    ports: list[int], tmp_path: Path
) -> None:
    with Listener(
        [*common(ports[0], data=tmp_path / "a"), "--nick", LONG_NICK],
        commands=True,
        env={"LANGUAGE": "zh_CN", "LANG": "zh_CN.UTF-8"},
    ) as bot:
        first = bot.wait_for(lambda e: e["event"] == "warning")
        assert "others see you as" in first["warning"]
        bot.command(send="hi", to="nobody", id=1)
        unknown = bot.wait_for(lambda e: e["event"] == "error" and e.get("id") == 1)
        assert "no peer named 'nobody'" in unknown["error"]
        bot.command(frobnicate=1, id=2)
        assert "unknown command" in bot.wait_for(lambda e: e.get("id") == 2)["error"]
