"""A file transfer's failure reads in the chosen language on screen, while ``Transfer.error``,
the transfer log and the ``file_failed`` JSON of ``listen``/``send`` keep it in English."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from ipmsg_tui import i18n
from ipmsg_tui.headless.output import event_line, file_record
from ipmsg_tui.net.fileevents import TransferEnded
from ipmsg_tui.net.tcp import TcpUnreachable, connect
from ipmsg_tui.net.transfers import Direction, Failure, Transfer, TransferState
from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.reasons import Reason, read_back, why
from ipmsg_tui.ui.model.transfertext import error_text, state_text

PLAN = Attachment(file_id=1, name="plan.txt", size=500, mtime=0)


@pytest.fixture
def english_after() -> Iterator[None]:
    yield
    i18n.install(i18n.ENGLISH)


def _closed_port() -> int:
    with socket.socket() as probe:  # bound, never listening: a connect is refused
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _unreachable_download() -> Transfer:
    """A download whose sender's TCP port is closed, failed as the file service fails it."""
    addr = ("127.0.0.1", _closed_port())
    with pytest.raises(TcpUnreachable) as caught:
        await connect(addr, timeout=5)
    transfer = Transfer(Direction.IN, addr, "Sam", PLAN, 7)
    transfer.begin()
    transfer.end(TransferState.FAILED, why(caught.value), Failure.UNREACHABLE)
    return transfer


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("zh_CN", "UDP 正常，但无法连接 127.0.0.1 的 TCP {port}（连接被拒绝）"),
        ("ja", "UDP は通じますが 127.0.0.1 の TCP {port} に接続できません（接続が拒否されました）"),
    ],
)
async def test_a_failed_download_reads_translated_but_stays_english_for_scripts(
    language: str, shown: str, english_after: None
) -> None:
    transfer = await _unreachable_download()
    port = transfer.addr[1]
    english = (
        f"UDP works but TCP {port} is not reachable on 127.0.0.1 (connection refused); "
        f"a firewall on the sender's side may block TCP port {port}"
    )
    i18n.install(language)
    text, style = state_text(transfer)
    assert text.startswith("✗ " + shown.format(port=port)) and style == "$text-error"
    assert "firewall" not in text and "connection refused" not in text
    line = event_line(TransferEnded(transfer), 0)
    assert line is not None and shown.format(port=port) in line  # listen's line for people
    # What scripts read never changes with the language.
    assert transfer.error == english
    record = file_record(TransferEnded(transfer))
    assert record is not None
    assert json.loads(json.dumps(record))["error"] == english
    with i18n.english():
        assert error_text(transfer) == english


def test_an_os_error_stays_as_the_os_said_inside_the_translated_text(
    english_after: None,
) -> None:
    cannot = Reason(i18n.N_("cannot save: {error}"), {"error": "No space left on device"})
    transfer = Transfer(Direction.IN, ("10.77.0.2", 2425), "Sam", PLAN, 7)
    transfer.end(TransferState.FAILED, cannot, Failure.SAVE)
    i18n.install("zh_CN")
    assert error_text(transfer) == "无法保存：No space left on device"
    i18n.install("ja")
    assert error_text(transfer) == "保存できません: No space left on device"
    assert transfer.error == "cannot save: No space left on device"


def test_a_known_english_error_from_the_transfer_log_still_translates(
    english_after: None,
) -> None:
    transfer = Transfer(Direction.IN, ("10.77.0.2", 2425), "Sam", PLAN, 7)
    transfer.fail_because("interrupted: ipmsg-tui quit", Failure.BROKEN)  # as the log kept it
    transfer.state = TransferState.FAILED
    i18n.install("ja")
    assert state_text(transfer)[0] == "✗ 中断: ipmsg-tui が終了しました"
    assert transfer.error == "interrupted: ipmsg-tui quit"


@pytest.mark.parametrize("language", ["zh_CN", "ja"])
async def test_an_english_failure_read_back_from_the_transfer_log_translates_the_same(
    language: str, english_after: None
) -> None:
    transfer = await _unreachable_download()
    assert transfer.error is not None and transfer.why is not None
    again = read_back(transfer.error)  # what an earlier run left in the log, restored
    assert str(again) == transfer.error
    i18n.install(language)
    assert again.text() == transfer.why.text() != transfer.error
    assert read_back("[Errno 28] No space left on device").text() == (
        "[Errno 28] No space left on device"  # unknown words stay as they are
    )
