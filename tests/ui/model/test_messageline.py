"""What a message line says, without Textual: its marks, its body, its toast preview."""

from __future__ import annotations

from ipmsg_tui.protocol.attachments import Attachment
from ipmsg_tui.protocol.constants import FileType
from ipmsg_tui.store import Flag, MessageState, Recipient, StoredMessage
from ipmsg_tui.ui.model.messageline import (
    PREVIEW,
    SEALED_BODY,
    attachment_parts,
    body_text,
    header_marks,
    preview,
    recipients_line,
    security_label,
    state_label,
    unopened,
)


def message(text: str = "hi", *, out: bool = False, **fields: object) -> StoredMessage:
    values: dict[str, object] = {
        "id": 1,
        "conversation": "bob@pc",
        "direction": "out" if out else "in",
        "ts": 1_714_737_600.0,
        "packet_no": 1,
        "ip": "127.0.1.1",
        "port": 2425,
        "sender": "me" if out else "Bob",
        "text": text,
        "flags": Flag(0),
        "state": MessageState.DELIVERED if out else MessageState.RECEIVED,
    }
    values.update(fields)
    return StoredMessage(**values)  # type: ignore[arg-type]


def texts(marks: list[tuple[str, str]]) -> list[str]:
    return [text for text, _style in marks]


def test_a_sent_message_says_how_far_it_got() -> None:
    assert state_label(message(out=True, state=MessageState.SENDING)) == (
        "… sending",
        "$text-muted",
    )
    assert state_label(message(out=True)) == ("✓ delivered", "$success")
    sealed = message(out=True, flags=Flag.SEALED, state=MessageState.OPENED)
    assert state_label(sealed) == ("🔒 ✓✓ opened", "bold $success")
    failed = state_label(message(out=True, state=MessageState.FAILED))
    assert failed == ("✗ not delivered · Enter or click to resend", "bold $error")
    assert state_label(message(out=True, flags=Flag.BROADCAST))[0] == "→ everyone"


def test_a_received_message_says_how_it_came() -> None:
    assert state_label(message()) == ("", "$text-muted")
    sealed = message(flags=Flag.SEALED, state=MessageState.SEALED)
    assert state_label(sealed) == ("🔒 sealed · Enter or click to open", "bold $warning")
    opened = message(flags=Flag.SEALED | Flag.AUTO_REPLY | Flag.MULTICAST)
    assert state_label(opened)[0] == "🔓 opened · auto-reply · to you and others"


def test_encryption_is_marked_only_where_it_tells_something() -> None:
    assert security_label(message()) is None
    assert security_label(message(flags=Flag.ENCRYPTED | Flag.DECRYPTED | Flag.SIGNED)) == (
        "🔐 encrypted",
        "$success",
    )
    unsigned = security_label(message(flags=Flag.ENCRYPTED | Flag.DECRYPTED))
    assert unsigned == ("🔐 encrypted · unsigned", "$warning")
    changed = message(flags=Flag.DECRYPTED | Flag.SIGNED | Flag.KEY_CHANGED)
    assert security_label(changed) == ("🔐 ⚠ key changed, unverified", "bold $error")
    clear = security_label(message(out=True, flags=Flag.NO_KEY), "Bob")
    assert clear == ("⚠ sent unencrypted: no key from Bob", "bold $warning")
    refused = message(out=True, flags=Flag.NO_KEY, state=MessageState.FAILED)
    assert security_label(refused, "Bob") == (
        "not sent: no key from Bob (encryption required)",
        "bold $error",
    )


def test_the_header_puts_how_it_travelled_before_its_state() -> None:
    row = message(out=True, flags=Flag.ENCRYPTED)
    assert texts(header_marks(row)) == ["🔐 encrypted", "✓ delivered"]
    assert header_marks(message()) == []  # nothing to say of a plain received message


def test_a_narrow_pane_keeps_the_symbols_of_the_usual_marks_and_the_words_of_warnings() -> None:
    row = message(out=True, flags=Flag.ENCRYPTED)
    assert texts(header_marks(row, short=True)) == ["🔐", "✓"]
    sealed = message(out=True, flags=Flag.SEALED, state=MessageState.OPENED)
    assert texts(header_marks(sealed, short=True)) == ["🔒✓✓"]
    unsigned = message(flags=Flag.DECRYPTED)
    assert texts(header_marks(unsigned, short=True)) == ["🔐 encrypted · unsigned"]
    failed = message(out=True, state=MessageState.FAILED)
    assert texts(header_marks(failed, short=True)) == texts(header_marks(failed))


def test_a_message_to_several_names_them_and_counts_receipts() -> None:
    def to(nick: str, state: MessageState) -> Recipient:
        return Recipient(f"{nick}@pc", nick, "127.0.1.9", 2425, 7, state)

    row = message(
        out=True,
        flags=Flag.MULTICAST,
        state=MessageState.FAILED,
        recipients=(to("Ann", MessageState.DELIVERED), to("Carol", MessageState.FAILED)),
    )
    assert recipients_line(row) == "to Ann, Carol"
    assert texts(header_marks(row)) == ["✗ 1/2 · not to Carol · Enter or click to resend to them"]
    assert recipients_line(message()) == ""


def test_the_body_hides_an_unopened_sealed_message_and_mutes_auto_replies() -> None:
    sealed = message("secret", flags=Flag.SEALED, state=MessageState.SEALED)
    assert unopened(sealed)
    assert body_text(sealed) == [(SEALED_BODY, "italic $text-warning")]
    assert not unopened(message(out=True, flags=Flag.SEALED))
    assert body_text(message("one\ntwo")) == [("one", ""), ("two", "")]
    away = body_text(message("not here", flags=Flag.AUTO_REPLY))
    assert away == [("not here", "italic $text-muted")]
    unreadable = body_text(message("(could not decrypt)", flags=Flag.ENCRYPTED))
    assert unreadable == [("(could not decrypt)", "italic $text-muted")]
    assert body_text(message("")) == []


def test_an_attachment_reads_as_icon_name_and_size() -> None:
    report = Attachment(file_id=1, name="report.pdf", size=2_400_000, mtime=0)
    assert attachment_parts(report) == ("📎 ", "report.pdf", "2.3 MB")
    folder = Attachment(file_id=2, name="photos", size=1, mtime=0, attr=FileType.DIR)
    assert attachment_parts(folder) == ("📁 ", "photos/", "folder")


def test_a_toast_preview_is_one_short_line_and_keeps_a_seal() -> None:
    assert preview(message("line one\n  line   two")) == "line one line two"
    long = preview(message("x" * 200))
    assert len(long) == PREVIEW and long.endswith("…")
    secret = message("the secret", flags=Flag.SEALED, state=MessageState.SEALED)
    assert preview(secret) == "sent you a sealed message"
