"""What the terminal shows, as plain text (for asserting that something is visible)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.widget import Widget


def screen_lines(app: Any) -> list[str]:
    """Each line of the screen (modal dialogs over what they cover), as a terminal shows it."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text().splitlines()


def shown_text(app: Any, widget: Widget) -> str:
    """What of ``widget`` the screen shows (clipped where its container clips it), with its
    lines joined by spaces."""
    region = widget.region
    lines = screen_lines(app)[region.y : region.bottom]
    return " ".join(" ".join(line[region.x : region.right].split()) for line in lines).strip()
