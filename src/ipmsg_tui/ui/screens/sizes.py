"""Dialogs lay themselves out tighter on a short terminal (the ``-short`` class)."""

from __future__ import annotations

# Below this many rows a dialog drops its blank lines (README promises 60×20).
SHORT_BELOW = 26
DIALOG_BREAKPOINTS = [(0, "-short"), (SHORT_BELOW, "-tall")]
