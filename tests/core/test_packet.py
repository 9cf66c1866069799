"""The datagram codec: real packets, every version-field style, and hostile bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipmsg_tui.protocol.constants import Command, EntryOpt, SendOpt, get_mode, get_options
from ipmsg_tui.protocol.packet import (
    IPDictPacket,
    Packet,
    ParseError,
    format_packet,
    join_parts,
    parse_packet,
)

from ..fixtures import real_packets as real


@pytest.mark.parametrize(
    ("raw", "version_raw"),
    [
        (b"1:100:shirouzu:jupiter:32:Hello", b"1"),
        (real.IPTUX_BR_ENTRY, b"1_iptux 0.8.3"),
        (real.FEIQ_BR_ENTRY, b"1_lbt4_10#32899#002481627512#0#0#0"),
        (real.FEIQ_SENDMSG, b"1_lbt6_0#128#74E6E2152F9D#0#0#0#4001#9"),
        (real.SHIYELINE_BR_ENTRY, b"1@shiyeline"),
    ],
)
def test_version_is_its_leading_digits_and_the_raw_field_is_kept(
    raw: bytes, version_raw: bytes
) -> None:
    packet = parse_packet(raw)
    assert packet.version == 1
    assert packet.version_raw == version_raw


def test_fields_of_the_reference_example() -> None:
    packet = parse_packet(b"1:100:shirouzu:jupiter:32:Hello")
    assert packet == Packet(1, b"1", 100, b"shirouzu", b"jupiter", 32, b"Hello")
    assert packet.mode == Command.SENDMSG and packet.options == 0


def test_mode_and_options_are_masks_of_the_command() -> None:
    packet = parse_packet(real.IPTUX_RECVMSG)
    assert packet.command == 289
    assert packet.mode == get_mode(289) == Command.RECVMSG
    assert packet.options == get_options(289) == SendOpt.SENDCHECKOPT
    entry = parse_packet(real.WINDOWS_BR_ENTRY)
    assert entry.command == 0x01400001
    assert entry.has(EntryOpt.ENCRYPTOPT) and entry.has(EntryOpt.CAPUTF8OPT)


def test_extension_keeps_colons_and_splits_on_nul() -> None:
    packet = parse_packet(real.WINDOWS_FILE_OFFER)
    assert packet.parts()[0] == b"see files"
    assert packet.parts()[1].startswith(b"1:report.pdf:1a2b:")


def test_trailing_nuls_and_unterminated_last_part_read_the_same() -> None:
    padded = parse_packet(real.WINDOWS_SENDMSG_PADDED)
    assert padded.parts() == [b"padded"]
    unterminated = parse_packet(b"1:5:u:h:1:nick\x00group")
    terminated = parse_packet(b"1:5:u:h:1:nick\x00group\x00")
    assert unterminated.parts() == terminated.parts() == [b"nick", b"group"]


def test_empty_middle_parts_are_kept() -> None:
    packet = parse_packet(b"1:5:u:h:1:nick\x00\x00\nUN:u")
    assert packet.parts() == [b"nick", b"", b"\nUN:u"]


def test_missing_extension_is_empty() -> None:
    assert parse_packet(b"1:7:u:h:33").extension == b""


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "too few fields"),
        (b"1:2:3", "too few fields"),
        (b"x:1:u:h:32:hi", "bad version field"),
        (b"1:abc:u:h:32:hi", "bad packet number field"),
        (b"1:1:u:h:-5:hi", "bad command field"),
        (b"1:1:u:h:4294967296:hi", "command out of range"),
        (b"1:" + b"9" * 30 + b":u:h:32:", "bad packet number field"),
        (b"1:1:u:h:32:" + b"x" * 70_000, "oversized datagram"),
    ],
)
def test_bad_datagrams_raise_parse_error_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_packet(raw)
    assert caught.value.reason == reason


def test_ipdict_packets_are_recognised() -> None:
    with pytest.raises(IPDictPacket):
        parse_packet(real.WINDOWS_IPDICT)


def test_format_round_trips() -> None:
    ext = join_parts(b"hello", b"world")
    raw = format_packet(b"1_ipmsg-tui 0.1.0", 1714000005, b"me", b"myhost", 8388896, ext)
    assert raw == b"1_ipmsg-tui 0.1.0:1714000005:me:myhost:8388896:hello\x00world\x00"
    packet = parse_packet(raw)
    assert (packet.packet_no, packet.user, packet.host, packet.command) == (
        1714000005,
        b"me",
        b"myhost",
        8388896,
    )
    assert packet.parts() == [b"hello", b"world"]


@settings(max_examples=2000, deadline=50)
@given(st.binary(max_size=600))
def test_any_bytes_give_a_packet_or_a_parse_error(data: bytes) -> None:
    try:
        packet = parse_packet(data)
    except ParseError:
        return
    assert isinstance(packet, Packet)
    assert packet.version >= 0 and 0 <= packet.command <= 0xFFFFFFFF


@settings(max_examples=500, deadline=50)
@given(
    st.integers(0, 2**40),
    st.binary().filter(lambda b: b":" not in b),
    st.binary().filter(lambda b: b":" not in b),
    st.integers(0, 0xFFFFFFFF),
    st.binary(max_size=300),
)
def test_format_then_parse_is_identity(
    no: int, user: bytes, host: bytes, cmd: int, ext: bytes
) -> None:
    packet = parse_packet(format_packet(b"1", no, user, host, cmd, ext))
    assert (packet.packet_no, packet.user, packet.host, packet.command, packet.extension) == (
        no,
        user,
        host,
        cmd,
        ext,
    )
