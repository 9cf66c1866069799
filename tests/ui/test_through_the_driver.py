"""UI tests go through the driver (driver.py): none of them names a member of the
MessengerApp, nor anything private of Textual's, so that a change inside the app changes
the driver, not every test. Textual's own public App API stays allowed."""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).parent
# The one file that reaches into the app, and the fixtures that build it.
EXEMPT = {"driver.py", "conftest.py"}
# Textual's public App API: what any Textual app has, not ours.
TEXTUAL_APP_API = {
    "run_test",
    "screen",
    "focused",
    "size",
    "post_message",
    "push_screen",
    "return_code",
    "is_running",
    "theme",
    "query",
    "query_one",
    "exit",
}
# The snapshots stage their scenes (a messenger fed events, transfers handed to the app)
# rather than drive the app; the file stays as the snapshots were made with. Nothing
# private even there.
STAGED = {"test_snapshots.py"}


def _makes_an_app(value: ast.expr | None) -> bool:
    """``await lan.app(...)``, ``lan.app_with(...)``, ``MessengerApp(...)``."""
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in {"app", "app_with", "MessengerApp"}


def _app_names(tree: ast.AST) -> set[str]:
    """``app``, and every name the source binds to an app (``again = await lan.app(...)``,
    a parameter annotated MessengerApp)."""
    names = {"app"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _makes_an_app(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.arg) and "MessengerApp" in ast.unparse(node.annotation or node):
            names.add(node.arg)
    return names


def reaches(source: str) -> list[str]:
    """``line: app.member`` for each member of the app, or private attribute reached
    through it, that ``source`` names (the names of apps are looked up per function)."""
    body = ast.parse(source).body
    functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    module = ast.Module([part for part in body if not isinstance(part, functions)], [])
    found = _reaches_in(module, set())
    for part in body:
        if isinstance(part, functions):
            # a parameter of the same name hides the module's app
            hidden = {a.arg for a in ast.walk(part) if isinstance(a, ast.arg)}
            found += _reaches_in(part, _app_names(module) - hidden)
    return sorted(found, key=lambda hit: int(hit.split(":")[0]))


def _reaches_in(part: ast.AST, outer: set[str]) -> list[str]:
    apps = _app_names(part) | outer

    def is_app(node: ast.expr) -> bool:  # ``app``, ``again``, ``pilot.app``, ``ui.app``
        if isinstance(node, ast.Name):
            return node.id in apps
        return isinstance(node, ast.Attribute) and node.attr == "app"

    def rooted_in_app(node: ast.expr) -> bool:
        while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
            node = node.func if isinstance(node, ast.Call) else node.value
            if is_app(node):
                return True
        return False

    found = []
    for node in ast.walk(part):
        if not isinstance(node, ast.Attribute):
            continue
        if is_app(node.value) and node.attr not in TEXTUAL_APP_API:
            found.append(f"{node.lineno}: {ast.unparse(node.value)}.{node.attr}")
        elif node.attr.startswith("_") and rooted_in_app(node.value):
            found.append(f"{node.lineno}: ...{node.attr}")
    return found


def test_the_check_sees_members_and_private_reaches() -> None:
    source = (
        "app.chat_log.rows\n"
        "pilot.app.composer.focus()\n"
        "app.screen._compositor\n"
        "app.screen.query_one(X)\n"
        "ui.app.peer_list\n"
        "happen.rows\n"
        "again = await lan.app('Ann')\n"
        "again.roster\n"
        "def f(other: MessengerApp) -> None: other.open_key\n"
        "def g(again: Settings) -> None: again.nick\n"
    )
    assert reaches(source) == [
        "1: app.chat_log",
        "2: pilot.app.composer",
        "3: ..._compositor",
        "5: ui.app.peer_list",
        "8: again.roster",
        "9: other.open_key",
    ]


def test_ui_tests_reach_the_app_only_through_the_driver() -> None:
    found = {}
    for path in sorted(HERE.glob("**/*.py")):
        if path.name in EXEMPT:
            continue
        hits = reaches(path.read_text(encoding="utf-8"))
        if path.name in STAGED:  # members allowed, private ones not
            hits = [hit for hit in hits if "._" in hit]
        if hits:
            found[str(path.relative_to(HERE))] = hits
    assert not found, f"use the driver (tests/ui/driver.py) instead: {found}"
