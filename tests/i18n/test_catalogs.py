"""The catalogs: complete in both languages, placeholders intact, compiled as gettext reads
them, and in step with the messages the code marks."""

from __future__ import annotations

import gettext
import io
import re
import sys
from pathlib import Path

import pytest

from ipmsg_tui import i18n
from ipmsg_tui.catalogs import Entry, compile_mo, parse_po

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from extract_messages import extract  # noqa: E402

LANGUAGES = ("zh_CN", "ja")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)\w|%\w")


def entries(language: str) -> list[Entry]:
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    return [e for e in parse_po(path.read_text(encoding="utf-8")) if e.msgid]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    missing = [e.msgid for e in entries(language) if not e.translated]
    assert not missing, missing


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_and_line_breaks_survive_translation(language: str) -> None:
    for entry in entries(language):
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in entry.msgstr:
            assert sorted(PLACEHOLDER.findall(text)) == wanted, (entry.msgid, text)
            assert text.count("\n") == entry.msgid.count("\n"), (entry.msgid, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_holds_what_the_code_marks(language: str) -> None:
    """A message wrapped in _() but missing here would show in English: run
    scripts/extract_messages.py and translate it."""
    in_code = set(extract())
    in_catalog = {e.msgid for e in entries(language)}
    assert in_code - in_catalog == set()
    assert in_catalog - in_code == set()  # nothing stale


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogs_read_back_through_gettext(language: str) -> None:
    catalog = entries(language)
    header = parse_po(
        (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").read_text("utf-8")
    )[0]
    translations = gettext.GNUTranslations(io.BytesIO(compile_mo([header, *catalog])))
    for entry in catalog:
        if entry.msgid_plural is None:
            assert translations.gettext(entry.msgid) == entry.msgstr[0]
        else:
            for count in (1, 2, 5):
                got = translations.ngettext(entry.msgid, entry.msgid_plural, count)
                assert got == entry.msgstr[0]


def test_po_continuation_lines_and_escapes_are_read() -> None:
    text = (
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "a"\nmsgstr "x"\n\n'
        'msgid ""\n"two "\n"lines\\n"\nmsgstr "两行\\n"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "个"\n'
    )
    parsed = parse_po(text)
    assert [e.msgid for e in parsed] == ["", "a", "two lines\n", "one"]
    assert parsed[1].fuzzy and not parsed[1].translated
    assert parsed[2].msgstr == ["两行\n"]
    assert parsed[3].msgid_plural == "many"
    translations = gettext.GNUTranslations(io.BytesIO(compile_mo(parsed)))
    assert translations.gettext("a") == "a"  # fuzzy: left out
    assert translations.gettext("two lines\n") == "两行\n"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_SG.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_TW.UTF-8"}, "en"),  # Traditional Chinese is not there yet
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "ja_JP.eucJP"}, "ja"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "ja_JP.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "ja_JP.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "fr:ja:zh_CN"}, "ja"),
        ({"LANG": "C.UTF-8", "LANGUAGE": "ja"}, "en"),  # GNU: LANGUAGE ignored under C
        ({"LANG": "POSIX", "LANGUAGE": "zh_CN"}, "en"),
        ({"LANGUAGE": "zh"}, "zh_CN"),
    ],
)
def test_the_language_follows_the_locale_as_gnu_gettext_does(
    environ: dict[str, str], expected: str
) -> None:
    assert i18n.choose(None, environ) == expected
    assert i18n.choose("auto", environ) == expected


def test_the_setting_wins_over_the_locale() -> None:
    assert i18n.choose("ja", {"LANG": "zh_CN.UTF-8"}) == "ja"
    assert i18n.choose("zh-CN", {"LANGUAGE": "ja"}) == "zh_CN"
    assert i18n.choose("en", {"LANG": "ja_JP.UTF-8"}) == "en"


def test_installing_a_language_translates_and_english_is_the_source() -> None:
    try:
        i18n.install("zh_CN")
        assert i18n._("Quit") == "退出"
        assert i18n.ngettext("a file", "{count} files", 3).format(count=3) == "3 个文件"
        i18n.install("ja")
        assert i18n._("Quit") == "終了"
        assert i18n._("not a message we have") == "not a message we have"
    finally:
        i18n.install("en")
    assert i18n._("Quit") == "Quit"
    assert i18n.ngettext("a file", "{count} files", 1) == "a file"
