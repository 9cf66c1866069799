"""``ipmsg-tui history``: real processes reading a real history database."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from ipmsg_tui.net.binding import SocketPlan
from ipmsg_tui.net.node import open_udp_socket
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.events import MessageReceived
from ipmsg_tui.protocol.peers import Peer
from ipmsg_tui.store import HistoryStore

from ..support.procs import run

DAY1 = datetime(2026, 3, 1, 9, 0).timestamp()  # local time, as --since reads it
DAY2 = datetime(2026, 3, 2, 9, 0).timestamp()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    store = HistoryStore(tmp_path / "history.sqlite3")
    taro = Peer(("127.0.0.1", 2426), "taro", "pc1", nick="太郎")
    wang = Peer(("127.0.0.1", 2427), "wang", "pc2", nick="小王")
    store.record_incoming(MessageReceived(taro, 1, "Lunch at noon?", DAY1))
    store.record_outgoing(
        taro.key,
        taro.addr,
        2,
        "OK, lunch it is",
        DAY1 + 60,
        sender="me",
        peer=taro,
        attachments=(Attachment(0, "menu.pdf", 1234, 1_700_000_000, 1),),
    )
    store.record_incoming(MessageReceived(wang, 3, "今天午饭吃什么", DAY2))
    store.record_incoming(MessageReceived(wang, 4, "午饭 secret", DAY2 + 60, sealed=True))
    store.close()
    return tmp_path


def history(data: Path, *args: str) -> tuple[int, list[str], str]:
    result = run(["history", "--data-dir", str(data), *args])
    return result.returncode, result.stdout.splitlines(), result.stderr


def test_json_lines_oldest_first_with_every_field(data: Path) -> None:
    status, lines, _ = history(data, "--json")
    assert status == 0
    records = [json.loads(line) for line in lines]
    assert [r["packet_no"] for r in records] == [1, 2, 3, 4]
    first = records[1]
    assert first["direction"] == "out" and first["text"] == "OK, lunch it is"
    assert first["peer"] == {
        "key": "taro@pc1",
        "user": "taro",
        "host": "pc1",
        "nick": "太郎",
        "ip": "127.0.0.1",
    }
    assert first["files"] == [
        {"name": "menu.pdf", "size": 1234, "mtime": 1_700_000_000, "dir": False}
    ]
    assert first["sealed"] is False and first["state"] == "sending"
    assert datetime.fromisoformat(first["time"]).timestamp() == DAY1 + 60
    sealed = records[3]  # not opened: its text stays out of the output
    assert (sealed["sealed"], sealed["state"], sealed["text"]) == (True, "sealed", None)


def test_search_peer_since_and_limit(data: Path) -> None:
    status, lines, _ = history(data, "--search", "LUNCH", "--json")
    assert status == 0 and [json.loads(x)["packet_no"] for x in lines] == [1, 2]
    _, lines, _ = history(data, "--search", "午饭", "--json")  # the sealed one is not found
    assert [json.loads(x)["text"] for x in lines] == ["今天午饭吃什么"]
    _, lines, _ = history(data, "小王", "--json")
    assert [json.loads(x)["packet_no"] for x in lines] == [3, 4]
    _, lines, _ = history(data, "taro", "--limit", "1", "--json")
    assert [json.loads(x)["packet_no"] for x in lines] == [2]
    _, lines, _ = history(data, "--since", "2026-03-02", "--json")
    assert [json.loads(x)["packet_no"] for x in lines] == [3, 4]
    _, lines, _ = history(data, "--since", "2026-03-01 09:01", "--search", "lunch", "--json")
    assert [json.loads(x)["packet_no"] for x in lines] == [2]


def test_readable_lines(data: Path) -> None:
    status, lines, _ = history(data, "taro@pc1")
    assert status == 0
    assert lines[0].endswith("from 太郎 [received]: Lunch at noon?")
    assert lines[1].endswith("to 太郎 [sending]: OK, lunch it is")
    assert lines[2] == "    [file] menu.pdf (1234 bytes)"
    _, lines, _ = history(data, "wang")
    assert lines[-1].endswith("from 小王 [sealed]: [sealed, not opened yet]")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "ipmsg-tui: no conversation with 'nobody' in the history"),
        (["--since", "2026-13-01"], "ipmsg-tui: --since '2026-13-01' is not a date"),
        (["--since", "yesterday"], "ipmsg-tui: --since 'yesterday' is not a date"),
        (["--search", " "], "ipmsg-tui: --search: the search text is empty"),
    ],
)
def test_bad_input_exits_2_with_one_line(data: Path, args: list[str], message: str) -> None:
    status, lines, err = history(data, *args)
    assert status == 2 and lines == []
    assert err.startswith(message) and err.count("\n") == 1


def test_bad_limit_is_a_usage_error(data: Path) -> None:
    status, _, err = history(data, "--limit", "0")
    assert status == 2 and "not a positive whole number" in err


def test_an_ambiguous_peer_names_the_candidates(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    for n, host in enumerate(("pc1", "pc2")):
        peer = Peer(("127.0.0.1", 2426 + n), "taro", host, nick="taro")
        store.record_incoming(MessageReceived(peer, 1, "hi", DAY1))
    store.close()
    status, _, err = history(tmp_path, "taro")
    assert status == 2 and "taro@pc1, taro@pc2" in err and err.count("\n") == 1


def test_runs_beside_a_process_holding_the_port(data: Path, ports: list[int]) -> None:
    # the running app holds its port: history binds nothing, so it does not care
    holder = open_udp_socket(SocketPlan("127.0.0.1", ports[0]))
    try:
        status, lines, err = history(data, "--bind", "127.0.0.1", "--port", str(ports[0]))
    finally:
        holder.close()
    assert (status, len(lines), err) == (0, 5, "")
