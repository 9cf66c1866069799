"""The interface's language: English, 简体中文 or 日本語, chosen once at start.

The choice follows GNU gettext's order (``LANGUAGE``, a colon list, then ``LC_ALL``,
``LC_MESSAGES``, ``LANG``) unless the ``language`` setting or ``--language`` names one.
Messages are looked up with the standard library's ``gettext`` in the catalogs under
``locale/`` (``.po`` in the repository, compiled to ``.mo`` by the build). JSON keys, event
names and protocol text are never translated.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "ipmsg_tui"
LOCALE_DIR = Path(__file__).parent / "locale"
ENGLISH = "en"
# Language code -> its own name (as a language menu shows it).
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文", "ja": "日本語"}
LANGUAGE_CHOICES = ("auto", *LANGUAGES)
_ENV_ORDER = ("LC_ALL", "LC_MESSAGES", "LANG")


def normalize(name: str) -> str | None:
    """A locale or language name (``zh_CN.UTF-8``, ``ja-JP``, ``C``) -> one of LANGUAGES,
    or None when it is not one we have (``zh_TW``, ``fr``)."""
    base = name.strip().split(".")[0].split("@")[0].replace("-", "_")
    if base in ("C", "POSIX"):
        return ENGLISH
    language, _sep, region = base.partition("_")
    language = language.lower()
    region = region.upper()
    if language == "en":
        return ENGLISH
    if language == "zh" and region in ("", "CN", "SG", "HANS"):
        return "zh_CN"
    if language == "ja":
        return "ja"
    return None


def from_environment(environ: Mapping[str, str]) -> str:
    """The language the locale variables ask for, as GNU gettext reads them."""
    locale = next((environ[k] for k in _ENV_ORDER if environ.get(k)), "")
    if normalize(locale) == ENGLISH and locale.split(".")[0] in ("C", "POSIX"):
        return ENGLISH  # GNU ignores LANGUAGE when the locale is C
    for name in environ.get("LANGUAGE", "").split(":"):
        if name and (found := normalize(name)) is not None:
            return found
    return (normalize(locale) or ENGLISH) if locale else ENGLISH


def choose(setting: str | None, environ: Mapping[str, str]) -> str:
    """``setting`` (``--language`` or the config's ``language``) unless empty or "auto"."""
    if setting and setting != "auto":
        return normalize(setting) or ENGLISH
    return from_environment(environ)


def _catalog(language: str) -> gettext.NullTranslations:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    # A checkout whose .po changed since the last build reads the .po itself.
    if po.exists() and (not mo.exists() or po.stat().st_mtime > mo.stat().st_mtime):
        from .catalogs import compile_mo, parse_po  # only then: --help stays light

        data = compile_mo(parse_po(po.read_text(encoding="utf-8")))
        return gettext.GNUTranslations(io.BytesIO(data))
    if mo.exists():
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    return gettext.NullTranslations()


_current: gettext.NullTranslations = gettext.NullTranslations()
_language = ENGLISH


def install(language: str) -> None:
    """Use ``language`` (a key of LANGUAGES) from now on."""
    global _current, _language
    _language = language if language in LANGUAGES else ENGLISH
    _current = gettext.NullTranslations() if _language == ENGLISH else _catalog(_language)


def current() -> str:
    return _language


def _(message: str) -> str:
    """``message`` in the chosen language (itself when there is no translation)."""
    return _current.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _current.ngettext(singular, plural, count)


class english:
    """Inside it, messages are English whatever the language: for what scripts read (the
    values of JSON records), which never changes with the language."""

    def __enter__(self) -> None:
        global _current
        self._kept = _current
        _current = gettext.NullTranslations()

    def __exit__(self, *exc_info: object) -> None:
        global _current
        _current = self._kept


def N_(message: str) -> str:
    """Marks ``message`` for the catalog; it is translated later, where it is shown."""
    return message
