"""Windows' TO: list inside an encrypted message to several: the other recipients are read,
and a list that is not one (hostile, oversized, broken) is dropped without harm."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipmsg_tui.protocol import events as ev
from ipmsg_tui.protocol.constants import Command, EntryOpt, SendOpt
from ipmsg_tui.protocol.engine import Engine
from ipmsg_tui.protocol.packet import format_packet
from ipmsg_tui.protocol.tolist import (
    MAX_LIST_BYTES,
    MAX_NAMES,
    inner_list,
    others_named,
    parse_to_list,
)

from ..support import wincrypto as win
from .test_engine_encryption import (
    NOW,
    SCHEMES,
    WIN,
    _acks,
    _answer_key_requests,
    _bob_with_windows_peer,
    keys,
)

UTF8 = "utf-8"


def test_a_windows_list_is_read_in_order_each_once() -> None:
    raw = "TO:taro:WINPC\a花子:HANAKO-PC\ajiro:JIRO\ataro:WINPC\a".encode()
    assert parse_to_list(raw, UTF8) == (("taro", "WINPC"), ("花子", "HANAKO-PC"), ("jiro", "JIRO"))
    assert parse_to_list(b"TO:", UTF8) == ()
    assert parse_to_list("TO:太郎:PC\a".encode("cp932"), "cp932") == (("太郎", "PC"),)


def test_the_list_follows_the_text_and_the_attachments() -> None:
    assert inner_list(b"hi\0\0TO:a:b\a\0") == b"TO:a:b\a"
    assert inner_list(b"hi\x000:f:1:1:1:\a\0TO:a:b\a\0") == b"TO:a:b\a"
    assert inner_list(b"hi\0") is None
    assert inner_list(b"hi\0files\0") is None


def test_we_and_the_sender_are_not_among_the_others() -> None:
    listed = (("bob", "host-2"), ("taro", "WINPC"), ("jiro", "JIRO"))
    assert others_named(listed, ("bob", "host-2"), ("taro", "WINPC")) == (("jiro", "JIRO"),)


def test_hostile_lists_are_dropped_whole() -> None:
    too_many = b"TO:" + b"".join(b"u%d:h\a" % i for i in range(MAX_NAMES + 1))
    for raw in (
        b"FROM:a:b\a",  # not a TO: list
        b"TO:" + b"a:b\a" * (MAX_LIST_BYTES // 4),  # longer than Windows' own buffer
        too_many,
        b"TO:onlyuser\a",  # no host
        b"TO:a:b:c\a",  # a field too many
        b"TO::host\a",  # empty user
        b"TO:" + b"u" * 200 + b":h\a",  # a name longer than IPMSG's
        b"TO:\x1b[31mred:h\a",  # a terminal escape
        "TO:a\u202eb:h\a".encode(),  # a bidi override
        b"TO:\xff\xfe:h\a",  # not UTF-8
        b"TO: a :h\a",  # spaces around a name
    ):
        assert parse_to_list(raw, UTF8) is None, raw


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_give_a_bounded_list_or_none(raw: bytes) -> None:
    for data in (raw, b"TO:" + raw):
        found = parse_to_list(data, UTF8)
        assert found is None or len(found) <= MAX_NAMES
        inner_list(data)


def _multicast_from_windows(bob: Engine, packet_no: int, to_list: bytes) -> ev.MessageReceived:
    taro = keys("taro")[0]
    # No attachments: Windows writes the empty list's NUL, then the TO: list and its NUL.
    extra = b"\0" + to_list + b"\0"
    ext = win.windows_encrypt(
        b"stand-up", SCHEMES[0], packet_no, keys("bob")[0].public_key(), taro, extra
    )
    command = (
        Command.SENDMSG
        | SendOpt.SENDCHECKOPT
        | SendOpt.ENCRYPTOPT
        | SendOpt.UTF8OPT
        | SendOpt.MULTICASTOPT
        | EntryOpt.ENCEXTMSGOPT
    )
    packet = format_packet(b"1", packet_no, b"taro", b"WINPC", command, ext + b"\0")
    bob.receive_datagram(packet, WIN, NOW)
    _answer_key_requests(bob, taro)
    [message] = [e for e in bob.events() if isinstance(e, ev.MessageReceived)]
    return message


def test_a_windows_message_to_several_names_the_others() -> None:
    bob = _bob_with_windows_peer()
    listed = "TO:bob:host-2\ataro:WINPC\a花子:HANAKO-PC\ajiro:JIRO\a".encode()
    message = _multicast_from_windows(bob, 61, listed)
    assert message.text == "stand-up" and message.multicast and message.signed
    assert message.others == (("花子", "HANAKO-PC"), ("jiro", "JIRO"))
    assert _acks(bob.datagrams_to_send()) == [b"61"]


def test_a_hostile_list_is_dropped_and_the_message_still_shown() -> None:
    bob = _bob_with_windows_peer()
    hostile = b"TO:" + b"\x1b]52;c;aGk=\x07:h\a" + b"x:y\a" * 2000
    message = _multicast_from_windows(bob, 62, hostile)
    assert message.text == "stand-up" and message.multicast and message.others == ()
    assert _acks(bob.datagrams_to_send()) == [b"62"]
