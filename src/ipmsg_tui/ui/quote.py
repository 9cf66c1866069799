"""Quoting a message in a reply, the way IP Messenger clients do: "> " before each line."""

from __future__ import annotations

PREFIX = "> "


def quoted(text: str, draft: str = "") -> str:
    """``text`` quoted line by line, then an empty line to write on; what was already typed
    (``draft``) follows the quote, so nothing written is lost."""
    lines = text.rstrip("\n").split("\n")
    quote = "\n".join(PREFIX + line if line else PREFIX.rstrip() for line in lines)
    rest = draft.strip("\n")
    return f"{quote}\n{rest}" if rest else f"{quote}\n"
