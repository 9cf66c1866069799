"""Deliver desktop notices: the terminal's notification escape, and/or a command.

The escape goes out through the app's driver (between frames; it moves no cursor): OSC 9
for terminals that read it as a notification (iTerm2, Windows Terminal), OSC 777 ``notify``
elsewhere (VTE terminals, foot, WezTerm, Ghostty, urxvt). The command (``notify_command``,
e.g. ``["notify-send", "{title}", "{body}"]``) runs without a shell, each argument with
``{title}`` and ``{body}`` replaced, a few at a time, killed if it hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence

from ..i18n import _
from .model.alerts import DesktopNotice

log = logging.getLogger(__name__)

COMMAND_TIMEOUT = 5.0  # seconds a notify command may take before it is killed
COMMANDS_AT_ONCE = 3  # more notices while these run are not given a command of their own
ESCAPES = ("auto", "osc9", "osc777", "off")


def escape_kind(setting: str, env: Mapping[str, str]) -> str:
    """``osc9`` or ``osc777`` (or ``off``) for this terminal, when the setting says auto."""
    if setting != "auto":
        return setting
    if env.get("TERM_PROGRAM") == "iTerm.app" or "WT_SESSION" in env:
        return "osc9"
    return "osc777"


def escape_sequence(notice: DesktopNotice, kind: str) -> str:
    """The escape for ``notice`` (its text already free of control characters)."""
    if kind == "osc9":
        return f"\x1b]9;{notice.title}: {notice.body}\x07"
    if kind == "osc777":
        title = notice.title.replace(";", ",")  # the field separator
        return f"\x1b]777;notify;{title};{notice.body}\x07"
    return ""


def command_line(template: Sequence[str], notice: DesktopNotice) -> list[str]:
    """Each argument with ``{title}`` and ``{body}`` replaced (never a format string: a
    brace in a message stays a brace)."""
    return [arg.replace("{title}", notice.title).replace("{body}", notice.body) for arg in template]


class DesktopNotifier:
    def __init__(
        self,
        write: Callable[[str], None],
        problem: Callable[[str], None],
        *,
        escape: str = "auto",
        command: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.write = write
        self.problem = problem
        self.escape = escape_kind(escape, os.environ if env is None else env)
        self.command = tuple(command)
        self._running: set[asyncio.Task[None]] = set()
        self._told_problem = False

    def deliver(self, notice: DesktopNotice) -> None:
        sequence = escape_sequence(notice, self.escape)
        if sequence:
            self.write(sequence)
        if not self.command:
            return
        if len(self._running) >= COMMANDS_AT_ONCE:
            log.info("notify command: %d still running, this notice skipped", len(self._running))
            return
        task = asyncio.get_running_loop().create_task(self._run(command_line(self.command, notice)))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, argv: list[str]) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as error:
            self._failed(
                _("notify_command {command} cannot run: {error}").format(
                    command=repr(argv[0]), error=error.strerror or error
                )
            )
            return
        try:
            code = await asyncio.wait_for(process.wait(), COMMAND_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            self._failed(
                _("notify_command {command} took over {seconds} s: killed").format(
                    command=repr(argv[0]), seconds=f"{COMMAND_TIMEOUT:g}"
                )
            )
            return
        if code != 0:
            self._failed(
                _("notify_command {command} failed (exit status {code})").format(
                    command=repr(argv[0]), code=code
                )
            )

    def _failed(self, text: str) -> None:
        """Said once a session in a toast (every message would repeat it), always logged."""
        log.warning("%s", text)
        if not self._told_problem:
            self._told_problem = True
            self.problem(text)

    async def stop(self) -> None:
        """Wait for commands still running (each is bounded by COMMAND_TIMEOUT)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
