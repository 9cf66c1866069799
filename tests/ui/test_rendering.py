"""Wide characters: CJK and emoji take two cells; nothing may spill past its pane."""

from __future__ import annotations

from dataclasses import replace

from rich.cells import cell_len

from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.store import Flag, MessageState, Recipient, StoredMessage
from ipmsg_tui.ui.chatlog import ChatLog
from ipmsg_tui.ui.chatrender import message_lines
from ipmsg_tui.ui.model.roster import Contact
from ipmsg_tui.ui.sidebar import contact_prompt

from .conftest import Lan
from .driver import Ui

TEXT = "午饭去吗？🍜 今天食堂有拉面，我们十二点在门口见吧 👍 OK? Ｆｕｌｌ－ｗｉｄｔｈ too."


def message(text: str, **fields: object) -> StoredMessage:
    values: dict[str, object] = {
        "id": 1,
        "conversation": "aming@pc-01",
        "direction": "in",
        "ts": 1_714_737_600.0,
        "packet_no": 1,
        "ip": "127.0.1.1",
        "port": 2425,
        "sender": "阿明",
        "text": text,
        "flags": Flag(0),
        "state": MessageState.RECEIVED,
    }
    values.update(fields)
    return StoredMessage(**values)  # type: ignore[arg-type]


def test_wrapped_lines_never_pass_the_width() -> None:
    files = (Attachment(0, "很长的文件名-" * 5 + ".pdf", 123_456_789, 0, 1),)
    row = message(TEXT * 3, attachments=files)
    for width in (20, 33, 57, 80):
        lines = [line.plain for line in message_lines(row, width)]
        assert all(cell_len(line) <= width for line in lines), width
        files_at = next(i for i, line in enumerate(lines) if line.startswith("  📎"))
        body = "".join(line.strip() for line in lines[1:files_at])
        assert body.replace(" ", "") == (TEXT * 3).replace(" ", "")  # nothing lost
        assert "".join(lines[files_at:]).replace(" ", "").endswith("117.7MB")


def test_a_failed_message_header_wraps_instead_of_overflowing() -> None:
    row = message("x", direction="out", sender="Lin", state=MessageState.FAILED)
    lines = message_lines(row, 24)
    assert len(lines) > 2 and all(cell_len(line.plain) <= 24 for line in lines)


def test_sidebar_prompts_keep_badges_ahead_of_details() -> None:
    contact = Contact("aming@pc-01", nick="阿明🐼", unread=12)
    plain = contact_prompt(contact).plain
    assert plain.index("12") < plain.index("pc-01")


async def test_wide_text_in_the_chat_pane_lines_up_and_can_be_selected(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",), nick="鲍勃🎸")
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=(60, 20)) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await pilot.press("down")
        bob.node.send_message([ui.addr], TEXT)
        await ui.until(lambda: len(ui.rows()) == 1)
        log = ui.chat_pane
        width = log.scrollable_content_region.width
        too_wide = [line for line in log.plain_lines() if cell_len(line) > width]
        assert not too_wide, (width, too_wide)
        # Drag across the message body: the selection is the text under the mouse.
        body_y = log.plain_lines().index(next(x for x in log.plain_lines() if "午饭" in x))
        await pilot.mouse_down(ChatLog, offset=(3, body_y))
        await pilot.hover(ChatLog, offset=(12, body_y))
        await pilot.mouse_up(ChatLog, offset=(12, body_y))
        selected = ui.screen.get_selected_text()
        assert selected and selected in TEXT


def test_a_message_to_several_shows_its_recipients_and_who_did_not_get_it() -> None:
    def to(nick: str, state: MessageState) -> Recipient:
        return Recipient(f"{nick}@pc", nick, "127.0.1.9", 2425, 7, state)

    recipients = (
        to("阿明", MessageState.DELIVERED),
        to("Bob", MessageState.OPENED),
        to("Carol", MessageState.FAILED),
    )
    row = message(
        "站会",
        direction="out",
        sender="Lin",
        flags=Flag.MULTICAST,
        state=MessageState.FAILED,
        recipients=recipients,
    )
    plain = " ".join(line.plain for line in message_lines(row, 200))
    assert "to 阿明, Bob, Carol" in plain and "✗ 2/3 · not to Carol" in plain
    delivered = replace(
        row,
        state=MessageState.DELIVERED,
        recipients=(*recipients[:2], to("Carol", MessageState.DELIVERED)),
    )
    assert "✓ 3/3 · 1 opened" in message_lines(delivered, 200)[0].plain
    for width in (20, 33):
        assert all(cell_len(line.plain) <= width for line in message_lines(row, width))
    received = message("站会", flags=Flag.MULTICAST)
    assert "to you and others" in message_lines(received, 80)[0].plain
