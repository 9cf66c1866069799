"""Every user-visible text in the front ends and the service goes through gettext: a plain
literal (or f-string) handed to a toast, a label, a button, a key, a palette entry, a dialog,
a command-line line or a user-facing error would stay English in 简体中文 and 日本語."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "ipmsg_tui"
FOLDERS = ("ui", "service", "headless")
FILES = ("cli.py", "targets.py", "config.py", "history.py", "reasons.py")

# Call -> which positional arguments are shown to the user.
SHOWN_ARGS: dict[str, tuple[int, ...]] = {
    "notify": (0,),
    "notify_about": (1,),
    "Label": (0,),
    "Static": (0,),
    "Button": (0,),
    "Binding": (2,),
    "SystemCommand": (0, 1),
    "Confirm": (0, 1, 2),
    "ChoicePrompt": (0, 2),
    "TextPrompt": (0, 1),
    "show_title": (0,),
    "_security_toast": (0, 1),
    "print": (0,),
    "CommandError": (0,),
    "RequestFailed": (0,),
    "ControlError": (0,),
    "ConfigError": (0,),
    "KeyNotKnown": (0,),
    "UnknownTarget": (0,),
    "AmbiguousTarget": (0,),
}
# Not listed: CommandRejected, whose text goes only into listen --commands' JSON "error"
# events, which stay English (JSON values never change with the language).
SHOWN_KEYWORDS = {"title", "tooltip", "placeholder", "help", "description"}
SHOWN_ATTRIBUTES = {"placeholder", "border_title", "border_subtitle", "title", "sub_title"}
# Words left once placeholders, the program's name and column heads (NICK, PINNED) go.
WORDS = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*(?:[ -][A-Za-z]+)*")


def _plain_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _has_words(text: str) -> bool:
    text = re.sub(r"\{[^{}]*\}|--?[\w-]+", " ", text.replace("ipmsg-tui", " "))
    return any(len(match) >= 3 for match in WORDS.findall(text))


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def unmarked(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    found: list[str] = []

    def check(node: ast.expr, line: int, what: str) -> None:
        text = _plain_text(node)
        if text is not None and _has_words(text):
            found.append(f"{where}:{line} {what}: {text!r}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _called(node)
            for index in SHOWN_ARGS.get(name, ()):
                if index < len(node.args):
                    check(node.args[index], node.lineno, name)
            if name in SHOWN_ARGS or name in ("update", "push_screen"):
                for keyword in node.keywords:
                    if keyword.arg in SHOWN_KEYWORDS:
                        check(keyword.value, node.lineno, f"{name}({keyword.arg}=)")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr in SHOWN_ATTRIBUTES:
                    check(node.value, node.lineno, f".{target.attr} =")
    return found


def sources() -> list[Path]:
    paths = [p for folder in FOLDERS for p in sorted((PACKAGE / folder).rglob("*.py"))]
    return paths + [PACKAGE / name for name in FILES]


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_user_visible_text_is_marked_for_translation(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert unmarked(source, path.relative_to(PACKAGE.parent).as_posix()) == []


def test_the_check_finds_plain_text() -> None:
    """The scan itself: plain words are found, marked ones and glue are not."""
    sample = (
        "self.notify('Key changed')\n"
        "self.notify(f'{name} went offline')\n"
        "self.notify(_('Key changed'))\n"
        "self.notify(f'{who}: {text}')\n"
        "print('ipmsg-tui: {}'.format(x))\n"
        "Binding('y', 'answer(True)', 'Yes')\n"
        "Binding('y', 'answer(True)', N_('Yes'))\n"
        "box.placeholder = 'Type here'\n"
        "raise CommandError(f'--search: {error}')\n"
    )
    found = unmarked(sample, "sample")
    assert sorted(line.split(" ", 1)[0] for line in found) == [
        "sample:1",
        "sample:2",
        "sample:6",
        "sample:8",
    ]
