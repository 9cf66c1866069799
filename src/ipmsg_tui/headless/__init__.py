"""The commands for scripts: ``who``, ``send`` and ``listen``, on the same engine as the app."""

from .common import CommandError
from .listen import run_listen
from .send import run_send
from .who import run_who

__all__ = ["CommandError", "run_listen", "run_send", "run_who"]
