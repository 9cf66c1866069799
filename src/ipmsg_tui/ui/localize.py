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

# Textual's own keys that the footer or the keys panel (F1) show, for the catalog: those of
# the app and the screens, and of the widgets that take the focus here (lists, the input
# box, text fields, the folder tree, buttons, scrolling panes).
TEXTUAL_KEYS = (
    N_("palette"),
    N_("Quit"),
    N_("Focus Next"),
    N_("Focus Previous"),
    N_("Scroll Up"),
    N_("Scroll Down"),
    N_("Scroll Left"),
    N_("Scroll Right"),
    N_("Scroll Home"),
    N_("Scroll End"),
    N_("Page Up"),
    N_("Page Down"),
    N_("Page Left"),
    N_("Page Right"),
    N_("Up"),
    N_("Down"),
    N_("First"),
    N_("Last"),
    N_("Select"),
    N_("Move cursor left"),
    N_("Move cursor right or accept the completion suggestion"),
    N_("Go to start"),
    N_("Go to end"),
    N_("Move cursor left and select"),
    N_("Move cursor left a word"),
    N_("Move cursor left a word and select"),
    N_("Move cursor right and select"),
    N_("Move cursor right a word"),
    N_("Move cursor right a word and select"),
    N_("Delete character left"),
    N_("Select all"),
    N_("Select line start"),
    N_("Select line end"),
    N_("Delete character right"),
    N_("Submit"),
    N_("Delete left to start of word"),
    N_("Delete all to the left"),
    N_("Delete right to start of word"),
    N_("Delete all to the right"),
    N_("Cut selected text"),
    N_("Copy selected text"),
    N_("Paste text from the clipboard"),
    N_("Cursor up"),
    N_("Cursor down"),
    N_("Cursor left"),
    N_("Cursor right"),
    N_("Cursor line start"),
    N_("Cursor line end"),
    N_("Cursor page up"),
    N_("Cursor page down"),
    N_("Cursor word left"),
    N_("Cursor word right"),
    N_("Cursor left word select"),
    N_("Cursor right word select"),
    N_("Cursor line start select"),
    N_("Cursor line end select"),
    N_("Cursor up select"),
    N_("Cursor down select"),
    N_("Cursor left select"),
    N_("Cursor right select"),
    N_("Select line"),
    N_("Cut"),
    N_("Copy"),
    N_("Paste"),
    N_("Delete to line start"),
    N_("Delete to line end"),
    N_("Delete line"),
    N_("Undo"),
    N_("Redo"),
    N_("Cursor Up"),
    N_("Cursor Down"),
    N_("Cursor to parent"),
    N_("Cursor to next ancestor"),
    N_("Cursor to previous sibling"),
    N_("Cursor to next sibling"),
    N_("Toggle"),
    N_("Expand or collapse all"),
    N_("Press button"),
)

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
