"""Key descriptions (the footer, the keys panel) and widgets' help in the chosen language.

Textual reads ``BINDINGS`` when a widget class is defined, long before the language is
chosen, and gives each new widget a copy of its class's bindings. So the classes' bindings
are translated here, from the English kept aside, before the app builds any widget.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from ..i18n import N_, _

# Textual's own keys that the footer or the keys panel show, for the catalog.
TEXTUAL_KEYS = (N_("palette"), N_("Quit"), N_("Focus Next"), N_("Focus Previous"))

_ENGLISH = "_english_bindings"
_ENGLISH_HELP = "_english_help"


def _classes() -> list[type[DOMNode]]:
    found: list[type[DOMNode]] = []
    waiting: list[type[DOMNode]] = [DOMNode]
    while waiting:
        cls = waiting.pop()
        found.append(cls)
        waiting.extend(cls.__subclasses__())
    return found


def _translated(binding: Binding) -> Binding:
    group = binding.group
    if group is not None:
        group = replace(group, description=_(group.description))
    return replace(
        binding,
        description=_(binding.description) if binding.description else "",
        tooltip=_(binding.tooltip) if binding.tooltip else "",
        group=group,
    )


def localize_bindings() -> None:
    """Every widget class's bindings in the current language (idempotent)."""
    for cls in _classes():
        _localize_help(cls)
        english = cls.__dict__.get(_ENGLISH)
        if english is None:
            english = cls.__dict__.get("_merged_bindings")
            if not isinstance(english, BindingsMap):
                continue
            setattr(cls, _ENGLISH, english)
        translated = english.copy()
        translated.key_to_bindings = {
            key: [_translated(b) for b in bindings]
            for key, bindings in english.key_to_bindings.items()
        }
        cls._merged_bindings = translated


def _localize_help(cls: type[DOMNode]) -> None:
    """The keys panel's text of a widget (its HELP markdown)."""
    english = cls.__dict__.get(_ENGLISH_HELP)
    if english is None:
        english = cls.__dict__.get("HELP")
        if not isinstance(english, str) or not english:
            return
        setattr(cls, _ENGLISH_HELP, english)
    cls.HELP = _(english)


def localize_node(node: DOMNode) -> None:
    """Keys added to one widget after it was made (the app's palette key)."""
    node._bindings.key_to_bindings = {
        key: [_translated(b) for b in bindings]
        for key, bindings in node._bindings.key_to_bindings.items()
    }
