"""The attachment list, the TCP request and the folder stream: round trips and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipmsg_tui.protocol import dirstream
from ipmsg_tui.protocol.attachments import Attachment, format_attachments, parse_attachments
from ipmsg_tui.protocol.constants import Command, FileType, SendOpt
from ipmsg_tui.protocol.dirstream import (
    DirEntry,
    DirStreamDecoder,
    DirStreamError,
    EnterDir,
    FileData,
    FileEnd,
    FileStart,
    LeaveDir,
    Skipped,
    format_dir_header,
    format_retparent,
)
from ipmsg_tui.protocol.filerequest import (
    file_request_extension,
    parse_file_request,
)
from ipmsg_tui.protocol.packet import ParseError

from ..fixtures import real_packets as real

names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\a"),
    min_size=1,
    max_size=60,
).filter(lambda n: n.strip("\0"))
attachments = st.builds(
    Attachment,
    file_id=st.integers(0, 2**31),
    name=names,
    size=st.integers(0, 2**40),
    mtime=st.integers(0, 2**33),
    attr=st.sampled_from([FileType.REGULAR, FileType.DIR, FileType.REGULAR | 0x100]),
    ext=st.lists(st.tuples(st.integers(1, 0x41), st.integers(0, 2**32)), max_size=3).map(tuple),
)


# ---------------------------------------------------------------------- attachment list


@given(st.lists(attachments, min_size=1, max_size=8))
def test_attachment_list_round_trip(items: list[Attachment]) -> None:
    parsed, bad = parse_attachments(format_attachments(items, "utf-8"), "utf-8")
    assert bad == 0
    assert parsed == items


@pytest.mark.parametrize(
    "raw",
    [
        b"10000:report.txt:12:6b085ac4:1:\a",  # iptux SendFileInfo: "\a"
        b"10000:report.txt:12:6b085ac4:1:\a:",  # iptux encodeFileInfo: "\a:"
        b"10000:report.txt:12:6b085ac4:1\a",  # spec: no colon before "\a"
        b":10000:report.txt:12:6b085ac4:1:\a:",  # ":\a:" with a leading colon
    ],
)
def test_every_real_entry_ending_parses(raw: bytes) -> None:
    parsed, bad = parse_attachments(raw, "utf-8")
    assert bad == 0
    assert parsed == [Attachment(10000, "report.txt", 0x12, 0x6B085AC4, 1)]


def test_iptux_multi_entry_list_and_escaped_colon() -> None:
    raw = b"10000:a::b.txt:12:6b085ac4:1:\a:10001:docs:e:6b085ac4:2:\a\x00"
    parsed, _ = parse_attachments(raw, "utf-8")
    assert [(a.file_id, a.name, a.is_dir) for a in parsed] == [
        (10000, "a:b.txt", False),
        (10001, "docs", True),
    ]


@given(st.binary(max_size=400))
def test_attachment_parser_never_raises(raw: bytes) -> None:
    parsed, bad = parse_attachments(raw, "gb18030")
    assert bad >= 0 and all(isinstance(a, Attachment) for a in parsed)


# ---------------------------------------------------------------------- requests


@pytest.mark.parametrize(
    ("raw", "offer_no", "file_id", "offset", "folder"),
    [
        (b"1:1714000011:taro:PC01:96:6629908a:2:0:\0", 0x6629908A, 2, 0, False),  # Windows
        (b"1_iptux 0.8.3:17:root:iptux-a:96:18a3053e:1:0\0", 0x18A3053E, 1, 0, False),  # iptux
        (b"1:5:u:h:96:1a:2710:ff", 0x1A, 0x2710, 0xFF, False),  # no NUL, no colon
        (b"1_iptux 0.8.3:18:root:iptux-a:2097250:18a3053e:2:0\0", 0x18A3053E, 2, 0, True),
        (b"1:7:u:h:98:14:2711:\0", 0x14, 0x2711, 0, True),  # Windows folder
        (b"1:7:u:h:%d:a:b:10:\0" % (Command.GETFILEDATA | SendOpt.UTF8OPT), 10, 11, 16, False),
    ],
)
def test_request_variants(
    raw: bytes, offer_no: int, file_id: int, offset: int, folder: bool
) -> None:
    request = parse_file_request(raw)
    assert (request.offer_no, request.file_id_candidates()[0], request.offset) == (
        offer_no,
        file_id,
        offset,
    )
    assert request.is_folder == folder


def test_decimal_file_id_is_a_fallback() -> None:
    request = parse_file_request(b"1:5:u:h:96:1a:10:0\0")
    assert request.file_id_candidates() == [16, 10]


@pytest.mark.parametrize(
    "raw",
    [
        b"1:5:u:h:32:1a:10:0\0",  # SENDMSG, not a request
        b"1:5:u:h:96:1a\0",  # no file id
        b"1:5:u:h:96:zz:1:0\0",
        b"1:5:u:h:96:1a:1:-1\0",
        b"1:5:u:h:96:" + b"1" * 40 + b":1:0\0",
        b"garbage",
        b"1:5:u:h:96:1a:1:0" + b"0" * 3000,
    ],
)
def test_bad_requests_are_parse_errors(raw: bytes) -> None:
    with pytest.raises(ParseError):
        parse_file_request(raw)


@given(st.integers(0, 2**40), st.integers(0, 2**31), st.integers(0, 2**40), st.booleans())
def test_request_round_trip(offer_no: int, file_id: int, offset: int, folder: bool) -> None:
    mode = Command.GETDIRFILES if folder else Command.GETFILEDATA
    raw = b"1_ipmsg-tui 0.1.0:77:me:box:%d:%s\0" % (
        mode,
        file_request_extension(mode, offer_no, file_id, offset),
    )
    request = parse_file_request(raw)
    assert request.offer_no == offer_no and request.file_id_candidates()[0] == file_id
    assert request.offset == (0 if folder else offset)


@given(st.binary(max_size=300))
def test_request_parser_raises_only_parse_errors(raw: bytes) -> None:
    try:
        request = parse_file_request(raw)
    except ParseError:
        return
    assert request.header.mode in (Command.GETFILEDATA, Command.GETDIRFILES)
    assert request.offset >= 0 and request.file_id_candidates()[0] >= 0


# ---------------------------------------------------------------------- folder stream

# A tree: a folder is (name, [children]); a file is (name, bytes).
Tree = tuple[str, object]
file_names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(
    lambda n: len(n.encode()) < 1000
)
trees = st.recursive(
    st.tuples(file_names, st.binary(max_size=200)),
    lambda children: st.tuples(file_names, st.lists(children, max_size=4)),
    max_leaves=15,
)


def encode_tree(name: str, children: list[Tree], codec: str = "utf-8") -> bytes:
    out = format_dir_header(name, 0, FileType.DIR, [(0x14, 1000)], codec)
    for child_name, body in children:
        if isinstance(body, bytes):
            out += format_dir_header(child_name, len(body), FileType.REGULAR, [(0x14, 7)], codec)
            out += body
        else:
            out += encode_tree(child_name, body, codec)  # type: ignore[arg-type]
    return out + format_retparent([(0x14, 1000)], codec)


def decode_tree(events: list[object]) -> Tree:
    stack: list[tuple[str, list[Tree]]] = []
    result: Tree | None = None
    current: list[bytes] = []
    for event in events:
        match event:
            case EnterDir(entry=entry):
                stack.append((entry.name, []))
            case LeaveDir():
                name, children = stack.pop()
                if stack:
                    stack[-1][1].append((name, children))
                else:
                    result = (name, children)
            case FileStart():
                current = []
            case FileData(data=data):
                current.append(data)
            case FileEnd(entry=entry):
                stack[-1][1].append((entry.name, b"".join(current)))
    assert result is not None
    return result


@settings(max_examples=150)
@given(file_names, st.lists(trees, max_size=5), st.integers(1, 64))
def test_folder_stream_round_trip_in_any_chunking(
    name: str, children: list[Tree], chunk: int
) -> None:
    stream = encode_tree(name, children)
    decoder = DirStreamDecoder()
    events: list[object] = []
    for i in range(0, len(stream), chunk):
        events += decoder.feed(stream[i : i + chunk])
    decoder.close()
    assert decoder.finished and decoder.depth == 0
    assert decode_tree(events) == (name, children)


def test_iptux_folder_stream_with_an_escaped_colon() -> None:
    decoder = DirStreamDecoder()
    events = decoder.feed(real.IPTUX_FOLDER_STREAM_COLON)
    assert decoder.finished
    starts = [e.entry for e in events if isinstance(e, FileStart)]
    assert [(s.name, s.size) for s in starts] == [("c:d.txt", 6)]


def test_folder_stream_with_an_unescaped_colon() -> None:
    stream = (
        b"002e:docs:000000000:2:14=6b085ac4:16=6b085ac4:"
        b"0031:a:b.txt:000000005:1:14=6b085ac4:16=6b085ac4:hello"
        b"0023:.:0:3:14=6b085ac4:16=6b085ac4:"
    )
    decoder = DirStreamDecoder()
    events = decoder.feed(stream)
    assert decoder.finished
    starts = [e.entry for e in events if isinstance(e, FileStart)]
    assert [(s.name, s.size, s.mtime) for s in starts] == [("a:b.txt", 5, 0x6B085AC4)]


def test_windows_style_sizes_and_gbk_names() -> None:
    name = "报告.txt".encode("gbk")
    body = b":" + name + b":000000003:1:14=5:16=5:"
    header = b"%04x" % (len(body) + 4) + body
    top = b"0010:d:0:2:14=1:"
    stream = top + header + b"abc" + b"000b:.:0:3:"
    decoder = DirStreamDecoder("gb18030")
    events = decoder.feed(stream)
    assert decoder.finished
    assert [e.entry.name for e in events if isinstance(e, FileStart)] == ["报告.txt"]


def test_single_file_answer_and_skipped_links() -> None:
    link = format_dir_header("ln", 3, FileType.SYMLINK, [], "utf-8") + b"xyz"
    stream = format_dir_header("d", 0, FileType.DIR, [], "utf-8") + link
    stream += format_retparent([], "utf-8")
    decoder = DirStreamDecoder()
    events = decoder.feed(stream)
    assert decoder.finished and [type(e) for e in events] == [EnterDir, Skipped, LeaveDir]
    single = DirStreamDecoder()
    single.feed(format_dir_header("f", 2, FileType.REGULAR, [], "utf-8") + b"hi")
    assert single.finished


@pytest.mark.parametrize(
    ("stream", "why"),
    [
        (b"0010:d:0:2:14=1:0010:.:0:3:14=1:0010:.:0:3:14=1:", "after the end"),
        (b"0010:d:0:2:14=1:000b:.:0:3:extra", "after the end"),
        (b"ffff:", None),  # announced, never completed: close() must fail
        (b"0003:", "out of range"),
        (b"zzzz:a:0:2:", "bad header size"),
        (b"123456789", "no header size"),
        (b"0010:d:0:2:14=1:000b:x:5:1:ab", None),  # file cut short
        (b"0009:d:zz:", "bad header fields"),
    ],
)
def test_hostile_or_broken_streams_fail(stream: bytes, why: str | None) -> None:
    decoder = DirStreamDecoder()
    with pytest.raises(DirStreamError) as failure:
        decoder.feed(stream)
        decoder.close()
    if why:
        assert why in str(failure.value)


def test_caps_on_depth_entries_and_names() -> None:
    deep = b"".join(format_dir_header("d", 0, FileType.DIR, [], "utf-8") for _ in range(70))
    with pytest.raises(DirStreamError, match="too deep"):
        DirStreamDecoder(max_depth=64).feed(deep)
    many = format_dir_header("d", 0, FileType.DIR, [], "utf-8")
    many += format_dir_header("f", 0, FileType.REGULAR, [], "utf-8") * 20
    with pytest.raises(DirStreamError, match="too many"):
        DirStreamDecoder(max_entries=10).feed(many)
    with pytest.raises(DirStreamError, match="name length"):
        DirStreamDecoder(max_name_bytes=10).feed(
            format_dir_header("x" * 11, 0, FileType.DIR, [], "utf-8")
        )
    with pytest.raises(ValueError):
        format_dir_header("x" * 70000, 0, FileType.DIR, [], "utf-8")


@given(st.binary(max_size=500), st.integers(1, 50))
def test_folder_decoder_raises_only_its_own_error(data: bytes, chunk: int) -> None:
    decoder = DirStreamDecoder()
    try:
        for i in range(0, len(data), chunk):
            for event in decoder.feed(data[i : i + chunk]):
                assert isinstance(
                    event, (EnterDir, LeaveDir, FileStart, FileData, FileEnd, Skipped)
                )
        decoder.close()
    except DirStreamError:
        pass


@given(st.lists(st.tuples(names, st.integers(0, 300)), max_size=6))
def test_folder_decoder_survives_mutated_streams(items: list[tuple[str, int]]) -> None:
    stream = format_dir_header("top", 0, FileType.DIR, [], "utf-8")
    for name, size in items:
        stream += format_dir_header(name, size, FileType.REGULAR, [], "utf-8") + b"x" * size
    stream += format_retparent([], "utf-8")
    for cut in {0, len(stream) // 3, len(stream) // 2, len(stream) - 1}:
        mutated = stream[:cut] + b":" + stream[cut + 1 :]
        decoder = DirStreamDecoder()
        try:
            decoder.feed(mutated)
            decoder.close()
        except DirStreamError:
            continue
        assert decoder.finished and decoder.depth == 0


def test_dir_entry_mtime() -> None:
    assert DirEntry("a", 0, 1, ((0x16, 5), (0x14, 9))).mtime == 9
    assert DirEntry("a", 0, 1).mtime is None


def _split_escaped_by_hand(body: bytes) -> list[bytes]:
    """The header split as the format defines it: ``::`` is a colon, ``:`` separates."""
    fields, current, i = [], b"", 0
    while i < len(body):
        if body[i : i + 2] == b"::":
            current, i = current + b":", i + 2
        elif body[i : i + 1] == b":":
            fields, current, i = [*fields, current], b"", i + 1
        else:
            current, i = current + body[i : i + 1], i + 1
    return [*fields, current]


@given(st.lists(st.sampled_from([b"a", b":", b"\xe5", b"="]), max_size=30).map(b"".join))
def test_header_fields_split_as_the_format_defines(body: bytes) -> None:
    assert dirstream._split_escaped(body) == _split_escaped_by_hand(body)
