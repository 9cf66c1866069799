"""The start-up benchmark's baseline: the least a Textual app can be (an App with a Static).

python -m bench.bare_app
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("a bare Textual app")


if __name__ == "__main__":
    BareApp().run()
