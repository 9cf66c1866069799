"""The draft of a conversation, without Textual: files, seal and what recall brings back."""

from __future__ import annotations

from pathlib import Path

from ipmsg_tui.ui.model.draft import Draft, Drafts


def is_sealed(draft: Draft) -> bool:
    return draft.sealed


def test_each_conversation_has_its_own_draft_and_a_sealed_text_recalls_sealed(
    tmp_path: Path,
) -> None:
    drafts = Drafts()
    carol, everyone = drafts["carol@pc"], drafts["*"]
    assert drafts["carol@pc"] is carol and drafts.get("bob@pc") is None
    carol.sealed = True
    carol.sent.append("for your eyes")  # the input box remembers what it sent
    carol.was_sent("for your eyes", sealed=True)
    assert not is_sealed(carol)  # the seal was for that message
    assert everyone.sent == [] and not everyone.recalled("for your eyes")
    assert carol.recalled("for your eyes")
    assert is_sealed(carol)
    assert not carol.recalled("plain")  # recall never unseals
    assert is_sealed(carol)


def test_attachments_are_kept_once_removed_by_place_and_taken_together(tmp_path: Path) -> None:
    draft = Drafts()["bob@pc"]
    draft.attach([tmp_path / "a.txt", tmp_path / "b", tmp_path / "a.txt"])
    assert draft.attachments == [tmp_path / "a.txt", tmp_path / "b"]
    assert not draft.detach(5)
    assert draft.detach(0) and draft.attachments == [tmp_path / "b"]
    assert draft.take_attachments() == [tmp_path / "b"] and draft.attachments == []
