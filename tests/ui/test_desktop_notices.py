"""Desktop notices while the terminal is in the background: the decision (alerts.py, no
Textual), the escape sequence written through the driver, and a real notify command."""

from __future__ import annotations

import sys
from pathlib import Path

from ipmsg_tui.store import Direction, Flag, MessageState, StoredMessage
from ipmsg_tui.ui.desktop import command_line, escape_kind, escape_sequence
from ipmsg_tui.ui.model.alerts import SEALED_BODY, UNVERIFIED_BODY, DesktopNotice, desktop_notice

from .conftest import Lan, wait_for
from .driver import Ui
from .test_story import SIZE


def row(text: str, *, sealed: bool = False, incoming: bool = True) -> StoredMessage:
    return StoredMessage(
        id=1,
        conversation="bob@pc",
        direction=Direction.IN if incoming else Direction.OUT,
        ts=1.0,
        packet_no=1,
        ip="127.0.0.1",
        port=2425,
        sender="Bob",
        text=text,
        flags=Flag.SEALED if sealed else Flag(0),
        state=MessageState.SEALED if sealed else MessageState.RECEIVED,
    )


def test_only_while_blurred_enabled_and_from_others() -> None:
    hi = row("hi")
    assert desktop_notice("Bob", hi, "hi", focused=True, enabled=True) is None
    assert desktop_notice("Bob", hi, "hi", focused=False, enabled=False) is None
    assert desktop_notice("Bob", row("x", incoming=False), "x", focused=False, enabled=True) is None
    assert desktop_notice("Bob", hi, "hi", focused=False, enabled=True) == DesktopNotice(
        "Bob", "hi"
    )


def test_a_sealed_message_or_a_changed_key_never_shows_the_text() -> None:
    secret = row("the secret", sealed=True)
    notice = desktop_notice("Bob", secret, "the secret", focused=False, enabled=True)
    assert notice == DesktopNotice("Bob", SEALED_BODY)
    changed = desktop_notice("Bob", row("hi"), "hi", focused=False, enabled=True, key_changed=True)
    assert changed is not None and changed.body == UNVERIFIED_BODY


def test_control_characters_never_reach_the_escape_or_the_command() -> None:
    evil = row("x")
    notice = desktop_notice(
        "B\x1bob;", evil, "a\x07b\x1b]52;c\x9cd\ne", focused=False, enabled=True
    )
    assert notice is not None
    assert escape_sequence(notice, "osc777") == "\x1b]777;notify;B ob,;a b ]52;c d e\x07"
    assert escape_sequence(notice, "osc9") == "\x1b]9;B ob;: a b ]52;c d e\x07"
    assert command_line(["n", "{title} {body}", "{x}"], DesktopNotice("T", "{body}")) == [
        "n",
        "T {body}",
        "{x}",
    ]
    assert escape_kind("auto", {"TERM_PROGRAM": "iTerm.app"}) == "osc9"
    assert escape_kind("auto", {"TERM": "xterm-256color"}) == "osc777"
    assert escape_kind("off", {}) == "off"


WRITER = (
    "import sys; "
    "open(sys.argv[1], 'a', encoding='utf-8').write(sys.argv[2] + '|' + sys.argv[3] + '\\n')"
)


async def test_blurred_a_message_writes_the_escape_and_runs_the_command(
    lan: Lan, tmp_path: Path
) -> None:
    out = tmp_path / "notices.txt"
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app(
        "Ann",
        knows=("Bob",),
        notify_escape="osc777",
        notify_command=(sys.executable, "-c", WRITER, str(out), "{title}", "{body}"),
    )
    ann = ("127.0.0.1", lan.port_of("Ann"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        written = ui.record_terminal()
        escapes = lambda: [w for w in written if w.startswith("\x1b]777;")]  # noqa: E731
        await ui.until_listed("bob@bob-pc")
        bob.node.send_message([ann], "seen in the app")  # focused: nothing outside
        await ui.until(lambda: ui.contact("bob@bob-pc").unread == 1)
        await ui.to_background()
        bob.node.send_message([ann], "lunch? 午饭")
        await wait_for(pilot, lambda: out.exists() and "lunch" in out.read_text("utf-8"))
        assert escapes() == ["\x1b]777;notify;Bob;lunch? 午饭\x07"]
        bob.node.send_message([ann], "for your eyes only", sealed=True)
        await wait_for(pilot, lambda: len(out.read_text("utf-8").splitlines()) == 2)
        text = out.read_text("utf-8")
        assert text.splitlines() == ["Bob|lunch? 午饭", f"Bob|{SEALED_BODY}"]
        assert "eyes" not in "".join(written)
        await ui.to_foreground()
        bob.node.send_message([ann], "back at the desk")
        await ui.until(lambda: ui.contact("bob@bob-pc").unread == 4)
        await ui.desktop_notices_done()
        assert len(escapes()) == 2
        assert len(out.read_text("utf-8").splitlines()) == 2


async def test_notifications_off_write_nothing(lan: Lan, tmp_path: Path) -> None:
    out = tmp_path / "notices.txt"
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app(
        "Ann",
        knows=("Bob",),
        notifications=False,
        notify_command=(sys.executable, "-c", WRITER, str(out), "{title}", "{body}"),
    )
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        written = ui.record_terminal()
        await ui.until_listed("bob@bob-pc")
        await ui.to_background()
        bob.node.send_message([ui.addr], "hello")
        await ui.until(lambda: ui.contact("bob@bob-pc").unread == 1)
        await ui.desktop_notices_done()
        assert not [w for w in written if w.startswith("\x1b]")]
        assert not out.exists()
