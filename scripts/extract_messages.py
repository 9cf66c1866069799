"""Collect the interface's messages into the gettext catalogs.

Finds every ``_("...")``, ``N_("...")`` and ``ngettext("...", "...", n)`` with literal text
in ``src/ipmsg_tui`` and updates ``src/ipmsg_tui/locale/*/LC_MESSAGES/ipmsg_tui.po``: new
messages are added untranslated, translations of known ones are kept, messages no longer
in the code are dropped. Standard library only.

    python scripts/extract_messages.py
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "ipmsg_tui"
sys.path.insert(0, str(ROOT / "src"))

from ipmsg_tui.catalogs import Entry, parse_po  # noqa: E402

MARKERS = {"_", "N_"}


@dataclass
class Message:
    msgid: str
    plural: str | None = None
    places: list[str] = field(default_factory=list)


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def extract(package: Path = PACKAGE) -> dict[str, Message]:
    """msgid -> where it is used, in the order the files and lines come."""
    found: dict[str, Message] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(package.parent).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            name, args = node.func.id, node.args
            if name in MARKERS and args and (msgid := _text(args[0])) is not None:
                plural = None
            elif name == "ngettext" and len(args) >= 2:
                msgid, plural = _text(args[0]), _text(args[1])
                if msgid is None or plural is None:
                    continue
            else:
                continue
            message = found.setdefault(msgid, Message(msgid, plural))
            message.places.append(f"{where}:{node.lineno}")
    return dict(sorted(found.items(), key=lambda item: item[1].places[0]))


def _quote(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{body}"'


def render(header: Entry, messages: dict[str, Message], known: dict[str, Entry]) -> str:
    lines = ['msgid ""', "msgstr " + _quote(header.msgstr[0] if header.msgstr else ""), ""]
    for message in messages.values():
        old = known.get(message.msgid)
        lines.append("#: " + " ".join(message.places[:3]))
        if old is not None and old.fuzzy:
            lines.append("#, fuzzy")
        lines.append("msgid " + _quote(message.msgid))
        if message.plural is not None:
            lines.append("msgid_plural " + _quote(message.plural))
            lines.append("msgstr[0] " + _quote(old.msgstr[0] if old and old.msgstr else ""))
        else:
            lines.append("msgstr " + _quote(old.msgstr[0] if old and old.msgstr else ""))
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    messages = extract()
    for po in sorted(PACKAGE.glob("locale/*/LC_MESSAGES/*.po")):
        entries = parse_po(po.read_text(encoding="utf-8"))
        header = next(e for e in entries if e.msgid == "")
        known = {e.msgid: e for e in entries if e.msgid}
        po.write_text(render(header, messages, known), encoding="utf-8")
        missing = sum(1 for m in messages if not (known.get(m) and known[m].translated))
        print(f"{po.relative_to(ROOT)}: {len(messages)} messages, {missing} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
