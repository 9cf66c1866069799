"""What the toasts about conversations say, and where a click on one leads, without an app."""

from __future__ import annotations

from ipmsg_tui.store import Flag, MessageState, Recipient, StoredMessage
from ipmsg_tui.ui.model.roster import Contact
from ipmsg_tui.ui.model.toasts import ToastTargets, not_delivered, while_away


def test_a_toast_leads_to_its_conversation_while_it_is_remembered() -> None:
    targets = ToastTargets(keep=2)
    targets.remember("t1", "bob@pc")
    targets.remember("t2", "carol@pc")
    assert targets.key_of("t1") == "bob@pc"
    assert targets.key_of("unknown") is None  # a toast not about a conversation
    targets.remember("t3", "dave@pc")  # the oldest is forgotten
    assert targets.key_of("t1") is None
    assert (targets.key_of("t2"), targets.key_of("t3")) == ("carol@pc", "dave@pc")


def test_messages_kept_unread_are_told_once_and_lead_to_the_first() -> None:
    assert while_away([Contact("bob@pc", nick="Bob")]) is None
    contacts = [
        Contact("bob@pc", nick="Bob"),
        Contact("carol@pc", nick="Carol", unread=2),
        Contact("dave@pc", nick="Dave", unread=1),
    ]
    assert while_away(contacts) == ("carol@pc", "3 unread from Carol, Dave")
    many = [Contact(f"p{n}@pc", nick=f"P{n}", unread=1) for n in range(5)]
    assert while_away(many) == ("p0@pc", "5 unread from P0, P1, P2 …")


def failed(**fields: object) -> StoredMessage:
    values: dict[str, object] = {
        "id": 1,
        "conversation": "bob@pc",
        "direction": "out",
        "ts": 0.0,
        "packet_no": 1,
        "ip": "127.0.1.1",
        "port": 2425,
        "sender": "me",
        "text": "lunch?",
        "flags": Flag(0),
        "state": MessageState.FAILED,
    }
    values.update(fields)
    return StoredMessage(**values)  # type: ignore[arg-type]


def test_a_failed_message_names_who_did_not_get_it() -> None:
    assert not_delivered(failed(), Contact("bob@pc", nick="Bob")) == "Not delivered to Bob: lunch?"
    assert not_delivered(failed(), None) == "Not delivered to bob@pc: lunch?"

    def to(nick: str, state: MessageState) -> Recipient:
        return Recipient(f"{nick}@pc", nick, "127.0.1.9", 2425, 7, state)

    several = failed(
        flags=Flag.MULTICAST,
        recipients=(to("Ann", MessageState.DELIVERED), to("Carol", MessageState.FAILED)),
    )
    assert not_delivered(several, None) == "Not delivered to Carol: lunch?"
