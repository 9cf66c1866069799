"""What is being written in one conversation: its text, files, seal, and what was sent.

One :class:`Draft` per conversation, so nothing typed, attached, sealed or recalled in one
conversation can show up in another. Textual-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Draft:
    text: str = ""
    attachments: list[Path] = field(default_factory=list)
    sealed: bool = False
    # What was sent here, oldest first: the input box's Up/Down recall reads (and adds to)
    # this very list.
    sent: list[str] = field(default_factory=list)
    # Which of those went sealed: recalled, they come back sealed.
    sent_sealed: set[str] = field(default_factory=set)

    def attach(self, paths: list[Path]) -> None:
        for path in paths:
            resolved = path.expanduser().absolute()
            if resolved not in self.attachments:
                self.attachments.append(resolved)

    def detach(self, index: int) -> bool:
        if 0 <= index < len(self.attachments):
            del self.attachments[index]
            return True
        return False

    def take_attachments(self) -> list[Path]:
        taken, self.attachments = self.attachments, []
        return taken

    def was_sent(self, text: str, *, sealed: bool) -> None:
        """``text`` left (the box already remembers it for recall); the seal was for it."""
        if sealed:
            self.sent_sealed.add(text)
        self.sealed = False

    def recalled(self, text: str) -> bool:
        """``text`` came back into the box: sealed if it went sealed (recall never unseals
        what the user sealed). Whether that sealed the draft."""
        if self.sealed or text not in self.sent_sealed:
            return False
        self.sealed = True
        return True


class Drafts:
    """The draft of every conversation, made when first asked for."""

    def __init__(self) -> None:
        self._drafts: dict[str, Draft] = {}

    def __getitem__(self, key: str) -> Draft:
        draft = self._drafts.get(key)
        if draft is None:
            draft = self._drafts[key] = Draft()
        return draft

    def get(self, key: str | None) -> Draft | None:
        return self._drafts.get(key) if key is not None else None

    def discard(self, key: str) -> None:
        """Forget what was typed and sent there (the conversation was forgotten)."""
        self._drafts.pop(key, None)
