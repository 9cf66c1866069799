"""`send`, `who` and `history` beside a running messenger: real processes, real sockets.

The running side is a Messenger with its ControlServer (what `run_app` starts) on
127.0.0.1; the commands are real `ipmsg-tui` processes with the same port and account.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ipmsg_tui.config import Settings, load_settings
from ipmsg_tui.net.files import OfferReceived
from ipmsg_tui.service import Messenger
from ipmsg_tui.service import events as news
from ipmsg_tui.service.control import ControlServer
from ipmsg_tui.store import MessageState

from ..support.procs import child_env, command, run_beside

WAIT = 8.0


def settings_of(tmp_path: Path, name: str, port: int, *knows: int, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "nick": name,
        "user": name.lower(),
        "host": f"{name.lower()}-pc",
        "bind": "127.0.0.1",
        "port": port,
        "hosts": [f"127.0.0.1:{other}" for other in knows],
        "data_dir": tmp_path / name,
        "retry_interval": 0.2,
        "retry_count": 3,
        **extra,
    }
    return load_settings(tmp_path / f"{name}.toml", **values)


async def until(predicate: Any, timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {predicate}"
        await asyncio.sleep(0.02)


@dataclass
class Running:
    """Ann runs (messenger + control server, as the app); Bob is a peer on the LAN."""

    ann: Messenger
    bob: Messenger
    control: ControlServer
    heard_by_bob: list[news.News]
    told_ann: list[news.News]

    def args(self) -> list[str]:
        """The options that make a command Ann's: her port, address and history."""
        s = self.ann.settings
        return ["--bind", "127.0.0.1", "--port", str(s.port), "--data-dir", str(s.data_dir)]

    def texts_bob_got(self) -> list[str]:
        return [e.row.text for e in self.heard_by_bob if isinstance(e, news.MessageArrived)]


@pytest.fixture
async def running(tmp_path: Path, ports: list[int]) -> AsyncIterator[Running]:
    ann = Messenger.keeping_history(settings_of(tmp_path, "Ann", ports[0], ports[1]))
    bob = Messenger(settings_of(tmp_path, "Bob", ports[1], ports[0]))
    heard: list[news.News] = []
    told: list[news.News] = []
    bob.subscribe(heard.append)
    ann.subscribe(told.append)
    await bob.start()
    await ann.start()
    control = ControlServer(ann)
    assert await control.start()
    try:
        await until(lambda: any(p.nick == "Bob" for p in ann.peers))
        yield Running(ann, bob, control, heard, told)
    finally:
        await control.stop()
        await ann.stop()
        await bob.stop()
        ann.close()
        bob.close()


async def test_send_goes_through_the_running_messenger_and_is_kept(running: Running) -> None:
    status, out, err = await run_beside("send", "Bob", "从脚本发来 hello", *running.args())
    assert (status, out, err) == (0, "", "")
    assert running.texts_bob_got() == ["从脚本发来 hello"]
    # Sent by the running messenger (its port), kept in its history, told to its front end.
    (arrived,) = [e for e in running.heard_by_bob if isinstance(e, news.MessageArrived)]
    assert arrived.peer.port == running.ann.port and arrived.peer.nick == "Ann"
    (sent,) = [e for e in running.told_ann if isinstance(e, news.MessagesSent)]
    assert [row.text for row in sent.rows] == ["从脚本发来 hello"]
    assert running.ann.store.message(sent.rows[0].id).state is MessageState.DELIVERED


async def test_send_by_address_sealed_and_without_waiting(running: Running) -> None:
    bob = f"127.0.0.1:{running.bob.port}"
    result = await run_beside("send", bob, "sealed one", "--sealed", *running.args())
    assert result == (0, "", "")
    result = await run_beside("send", bob, "no wait", "--timeout", "0", *running.args())
    assert result == (0, "", "")
    await until(lambda: len(running.texts_bob_got()) == 2)
    arrived = [e for e in running.heard_by_bob if isinstance(e, news.MessageArrived)]
    assert [(e.row.text, e.source.sealed) for e in arrived] == [
        ("sealed one", True),
        ("no wait", False),
    ]


async def test_send_failures_exit_as_they_do_without_the_app(
    running: Running, ports: list[int]
) -> None:
    status, out, err = await run_beside("send", "nobody-here", "hi", *running.args())
    assert status == 1 and out == ""
    assert err.startswith("ipmsg-tui: no peer named 'nobody-here'") and err.count("\n") == 1
    silent = f"127.0.0.1:{ports[5]}"  # nobody listens there
    status, out, err = await run_beside("send", silent, "hi", "--timeout", "1", *running.args())
    assert status == 1
    assert err == (
        f"ipmsg-tui: {silent} did not acknowledge the message "
        f"(offline, or UDP port {ports[5]} blocked)\n"
    )
    status, out, err = await run_beside(
        "send", "Bob", "", "--file", str(Path(__file__).parent / "missing.txt"), *running.args()
    )
    assert status == 2 and "missing.txt" in err and err.count("\n") == 1


async def test_files_are_served_by_the_running_messenger_until_fetched(
    running: Running, tmp_path: Path
) -> None:
    attachment = tmp_path / "report.txt"
    attachment.write_bytes(b"quarterly numbers\n" * 1000)
    downloads = tmp_path / "bob-downloads"
    downloads.mkdir()

    def accept(event: news.News) -> None:
        if isinstance(event, OfferReceived):
            running.bob.accept(event.offer, downloads)

    running.bob.subscribe(accept)
    result = await run_beside(
        "send", "Bob", "the report", "--file", str(attachment), *running.args()
    )
    assert result == (0, "", "")
    assert (downloads / "report.txt").read_bytes() == attachment.read_bytes()
    (sent,) = [e for e in running.told_ann if isinstance(e, news.MessagesSent)]
    assert [a.name for a in sent.rows[0].attachments] == ["report.txt"]


async def test_declined_files_fail_as_without_the_app(running: Running, tmp_path: Path) -> None:
    attachment = tmp_path / "unwanted.bin"
    attachment.write_bytes(b"x" * 100)

    def decline(event: news.News) -> None:
        if isinstance(event, OfferReceived):
            running.bob.decline(event.offer)

    running.bob.subscribe(decline)
    result = await run_beside("send", "Bob", "take it", "--file", str(attachment), *running.args())
    assert result == (1, "", "ipmsg-tui: Bob declined the files\n")


async def test_several_recipients_one_line_for_each_that_missed_it(
    running: Running, ports: list[int]
) -> None:
    silent = f"127.0.0.1:{ports[5]}"
    result = await run_beside(
        "send",
        "Bob",
        "to you both",
        "--to",
        silent,
        "--to",
        "nobody-here",
        "--timeout",
        "1",
        *running.args(),
    )
    assert result == (
        1,
        "",
        "ipmsg-tui: no peer named 'nobody-here' answered within 2 s; see `ipmsg-tui who`, "
        "or give its IP address\n"
        f"ipmsg-tui: {silent} did not acknowledge the message "
        f"(offline, or UDP port {ports[5]} blocked)\n",
    )
    (arrived,) = [e for e in running.heard_by_bob if isinstance(e, news.MessageArrived)]
    assert arrived.row.text == "to you both" and arrived.source.multicast


async def test_ctrl_c_ends_the_wait_and_the_running_messenger_goes_on(
    running: Running, ports: list[int]
) -> None:
    silent = f"127.0.0.1:{ports[5]}"  # nobody answers: the command waits for the receipt
    proc = await asyncio.create_subprocess_exec(
        *command("send", silent, "never acknowledged", *running.args()),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(),
    )
    await until(lambda: any(isinstance(e, news.MessagesSent) for e in running.told_ann))
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert (proc.returncode, out, err) == (
        130,
        b"",
        b"ipmsg-tui: interrupted before the receipt came\n",
    )
    # The running side dropped the request and still serves the next one.
    result = await run_beside("send", "Bob", "still here", *running.args())
    assert result == (0, "", "")


async def test_who_answers_the_running_list_at_once(running: Running) -> None:
    status, out, err = await run_beside(
        "who", "--json", "--wait", "60", *running.args(), timeout=20
    )
    assert (status, err) == (0, "")
    (peer,) = json.loads(out)
    assert (peer["nick"], peer["user"], peer["host"], peer["port"], peer["away"]) == (
        "Bob",
        "bob",
        "bob-pc",
        running.bob.port,
        False,
    )
    assert set(peer) >= {"key", "encryption", "fingerprint", "version", "announced"}
    status, out, err = await run_beside("who", *running.args())
    assert status == 0
    head, row = out.splitlines()
    assert head.split() == ["NICK", "GROUP", "USER@HOST", "ADDRESS", "AWAY"]
    assert row.split() == ["Bob", "bob@bob-pc", f"127.0.0.1:{running.bob.port}"]


async def test_history_reads_the_running_messengers_database(running: Running) -> None:
    assert (await run_beside("send", "Bob", "kept while running", *running.args()))[0] == 0
    status, out, err = await run_beside("history", "--json", *running.args())
    assert (status, err) == (0, "")
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["text"] == "kept while running" and record["direction"] == "out"


async def test_without_a_running_messenger_the_command_works_alone(
    tmp_path: Path, ports: list[int]
) -> None:
    bob = Messenger(settings_of(tmp_path, "Bob", ports[1], ports[0]))
    heard: list[news.News] = []
    bob.subscribe(heard.append)
    await bob.start()
    try:
        result = await run_beside(
            "send",
            f"127.0.0.1:{ports[1]}",
            "on its own",
            "--bind",
            "127.0.0.1",
            "--port",
            str(ports[0]),
            "--data-dir",
            str(tmp_path / "alone"),
        )
        assert result == (0, "", "")
        assert [e.row.text for e in heard if isinstance(e, news.MessageArrived)] == ["on its own"]
    finally:
        await bob.stop()
        bob.close()


async def test_files_sent_beside_a_running_listen_are_served_by_it(
    tmp_path: Path, ports: list[int]
) -> None:
    """`listen` answers `send` beside it too, files included: it must serve what it offers
    (it once started without its TCP server, so the peer's fetch was refused)."""
    bob = Messenger(settings_of(tmp_path, "Bob", ports[1], ports[0]))
    downloads = tmp_path / "bob-downloads"
    downloads.mkdir()

    def accept(event: news.News) -> None:
        if isinstance(event, OfferReceived):
            bob.accept(event.offer, downloads)

    bob.subscribe(accept)
    await bob.start()
    ann_args = ["--bind", "127.0.0.1", "--port", str(ports[0])]
    ann_args += ["--data-dir", str(tmp_path / "Ann"), "--host", f"127.0.0.1:{ports[1]}"]
    listen = await asyncio.create_subprocess_exec(
        *command("listen", "--json", *ann_args),
        stdout=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env=child_env({"USER": "ann", "LOGNAME": "ann"}),
    )
    try:
        assert listen.stdout is not None
        while b'"peer_joined"' not in await asyncio.wait_for(listen.stdout.readline(), WAIT):
            pass
        attachment = tmp_path / "report.txt"
        attachment.write_bytes(b"quarterly numbers\n" * 1000)
        result = await run_beside("send", "Bob", "the report", "--file", str(attachment), *ann_args)
        assert result == (0, "", "")
        assert (downloads / "report.txt").read_bytes() == attachment.read_bytes()
    finally:
        listen.send_signal(signal.SIGTERM)
        await asyncio.wait_for(listen.wait(), WAIT)
        await bob.stop()
        bob.close()
