"""What the terminal shows, as plain text: now in the driver (it needs Textual's private
compositor, and only the driver reaches into the app); kept so older imports still work."""

from __future__ import annotations

from .driver import screen_lines, shown_text

__all__ = ["screen_lines", "shown_text"]
