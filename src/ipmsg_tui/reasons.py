"""The engine's reasons (a message rejected, a key refused) and the network's (a file that
could not be fetched) in the chosen language.

``protocol/`` sits below the language and says why in English; the front ends and the
history show it through :func:`reason_text`. A reason not listed here (a new one, or a
technical detail of the cipher) stays as the engine gave it. ``net/`` carries a
:class:`Reason` (template and parts) beside its English text, which JSON and logs keep.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from .i18n import N_, _

KNOWN = frozenset(
    {
        N_("the signature does not match the sender's key (forged?)"),
        N_("its key does not match the fingerprint in its user name: an impostor?"),
        N_("the sender never gave its key to check the signature"),
        N_("encrypted message (IP Messenger IPDict), not supported"),
    }
)
_CANNOT_DECRYPT = "cannot decrypt: "


def reason_text(reason: str) -> str:
    if reason in KNOWN:
        return _(reason)
    if reason.startswith(_CANNOT_DECRYPT):  # the cipher's own words stay technical
        return _("cannot decrypt: {detail}").format(detail=reason[len(_CANNOT_DECRYPT) :])
    return reason


Param: TypeAlias = "str | int | float | Reason"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why something failed, kept as its template (marked with ``N_``) and its variable parts
    (an address, an OS error's own words, a nested reason), so the same failure reads in
    English where scripts and logs read it (``str()``) and in the chosen language on screen
    (:meth:`text`)."""

    template: str
    params: Mapping[str, Param] = field(default_factory=dict)

    @classmethod
    def plain(cls, text: str) -> Reason:
        """Words from elsewhere (the OS, a peer) that have no template: shown as they are."""
        return cls("{text}", {"text": text})

    def __str__(self) -> str:
        return self.template.format_map(self.params)

    def text(self) -> str:
        if self.template == "{text}":  # a known English text (from the log) still translates
            return _(str(self))
        shown = {k: v.text() if isinstance(v, Reason) else v for k, v in self.params.items()}
        return _(self.template).format_map(shown)


class ReasonedError(Exception):
    """An error whose message is a :class:`Reason`: ``str(error)`` is English, ``error.why``
    is what the front ends translate."""

    def __init__(self, why: Reason) -> None:
        super().__init__(str(why))
        self.why = why


def why(error: BaseException) -> Reason:
    """The reason an exception carries, or its own words when it carries none."""
    carried = getattr(error, "why", None)
    if isinstance(carried, Reason):
        return carried
    return Reason.plain(str(error) or type(error).__name__)


# Templates whose English texts read_back recognises: net/ registers those a transfer may
# fail with, so a failure kept in the transfer log by an earlier run (English only) is
# shown in the language again.
_KNOWN: list[str] = []
_FIELD = re.compile(r"\{(\w+)(![rsa])?\}")


def known(template: str) -> str:
    """Register ``template`` (marked with ``N_``) for :func:`read_back`; returns it."""
    _KNOWN.append(template)
    return template


@functools.cache
def _pattern(template: str) -> re.Pattern[str] | None:
    parts, seen, at = [], set(), 0
    for field_ in _FIELD.finditer(template):
        if field_.group(2):  # a repr does not read back reliably
            return None
        name = field_.group(1)
        parts += [re.escape(template[at : field_.start()])]
        parts += [f"(?P={name})" if name in seen else f"(?P<{name}>.+?)"]
        seen.add(name)
        at = field_.end()
    return re.compile("".join([*parts, re.escape(template[at:])]), re.S)


def read_back(english: str) -> Reason:
    """The reason an English text was made from, when a known template made it (its parts
    read back too); otherwise the text as it is."""
    for template in _KNOWN:
        pattern = _pattern(template)
        found = pattern.fullmatch(english) if pattern is not None else None
        if found is not None:
            parts = {name: _part(value) for name, value in found.groupdict().items()}
            return Reason(template, parts)
    return Reason.plain(english)


def _part(value: str) -> Param:
    nested = read_back(value)
    return nested if nested.template != "{text}" else value
