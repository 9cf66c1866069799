"""Names from the network never leave the folder they are saved in."""

from __future__ import annotations

import os
import posixpath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipmsg_tui.protocol import safenames
from ipmsg_tui.protocol.safenames import (
    MAX_COMPONENT_BYTES,
    SafeTree,
    clean_component,
    numbered,
    unique_name,
)

HOSTILE = [
    "..",
    ".",
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows\\system32\\x.dll",
    "C:/x",
    "..\\..\\boot.ini",
    "a\0b",
    "evil\x1b[31m.txt",
    "a\u2215b",  # DIVISION SLASH
    "a\u2044b",  # FRACTION SLASH
    "a\uff0fb",  # FULLWIDTH SOLIDUS
    "a\uff3cb",  # FULLWIDTH REVERSE SOLIDUS
    "..\u2215..\u2215x",
    "gpj.\u202eexe",
    "CON",
    "nul.txt",
    "  ",
    "",
    "x" * 5000,
    "...",
    "a/../../b",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_become_one_safe_component(name: str) -> None:
    cleaned = clean_component(name)
    assert cleaned and cleaned not in (".", "..")
    assert "/" not in cleaned and "\\" not in cleaned and "\0" not in cleaned
    assert not any(ch in cleaned for ch in "\u2215\u2044\uff0f\uff3c\u202e\x1b")
    assert len(cleaned.encode()) <= MAX_COMPONENT_BYTES
    assert posixpath.normpath(posixpath.join("/base", cleaned)).startswith("/base/")
    assert clean_component(cleaned) == cleaned  # idempotent


def test_ordinary_names_are_kept() -> None:
    for name in ["report.pdf", "报告 2024.docx", "a:b.txt", ".bashrc", "naïve café.md", "👍.png"]:
        assert clean_component(name) == name


def test_reserved_windows_names_are_prefixed() -> None:
    assert clean_component("CON") == "_CON"
    assert clean_component("lpt1.txt") == "_lpt1.txt"
    assert clean_component("CONSOLE.txt") == "CONSOLE.txt"


def test_long_names_keep_their_extension() -> None:
    cleaned = clean_component("长" * 300 + ".tar")
    assert cleaned.endswith(".tar") and len(cleaned.encode()) <= MAX_COMPONENT_BYTES


def test_numbered_names_like_file_managers() -> None:
    assert numbered("a.txt", 1) == "a (1).txt"
    assert numbered(".bashrc", 2) == ".bashrc (2)"
    assert numbered("archive", 3) == "archive (3)"
    taken = {"a.txt", "a (1).txt"}
    assert unique_name("a.txt", taken.__contains__) == "a (2).txt"


@given(st.text(max_size=300))
def test_any_text_is_a_safe_component(name: str) -> None:
    cleaned = clean_component(name)
    assert cleaned and cleaned not in (".", "..")
    assert os.sep not in cleaned and "\\" not in cleaned and "\0" not in cleaned
    assert all(ch.isprintable() or ch in "\u200c\u200d" or ch.isspace() for ch in cleaned)
    assert "\n" not in cleaned and "\r" not in cleaned and "\u2028" not in cleaned
    assert clean_component(cleaned) == cleaned
    assert len(cleaned.encode("utf-8", "surrogatepass")) <= MAX_COMPONENT_BYTES


def test_safe_tree_keeps_entries_inside_and_distinct() -> None:
    tree = SafeTree()
    assert tree.enter("../top") == ()
    assert tree.enter("..") == ("unnamed",)
    assert tree.file("../../x") == ("unnamed", ".._.._x")
    assert tree.file("../../x") == ("unnamed", ".._. (1)._x")
    assert tree.leave() == ("unnamed",)
    assert tree.file("A.txt") == ("A.txt",)
    assert tree.file("a.TXT") == ("a (1).TXT",)
    assert tree.leave() == ()
    with pytest.raises(ValueError):
        tree.leave()
    with pytest.raises(ValueError):
        tree.file("x")


def test_many_equal_names_stay_fast() -> None:
    tree = SafeTree()
    tree.enter("top")
    names = {tree.file("same")[-1] for _ in range(20_000)}
    assert len(names) == 20_000


# (name, whether every character is kept): look-alikes of "/" and controls are not.
SHORTCUT_CASES = [
    ("report.pdf", True),
    ("报告 2024.pdf", True),
    ("a\u2215b", False),
    ("ｆｕｌｌ／width", False),
    ("x\u200dy", False),  # ZWJ is kept, but only the full scan knows it
    ("tab\tname", False),
]


@pytest.mark.parametrize(("name", "kept"), SHORTCUT_CASES)
@given(extra=st.text(max_size=40))
def test_the_printable_shortcut_keeps_only_what_the_full_scan_keeps(
    name: str, kept: bool, extra: str
) -> None:
    assert safenames._keeps_every_character(name) is kept
    for candidate in (name, extra, name + extra):
        if safenames._keeps_every_character(candidate):
            assert safenames._replace_characters(candidate) == candidate
