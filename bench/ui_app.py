"""The measured side of the UI benchmark: the real :class:`~ipmsg_tui.ui.app.MessengerApp`
with its real node, run headless by Textual's Pilot at a fixed size, timing itself.

Run inside the app's namespace by ``bench.ui_load``. Times are taken from the moment an
input is given until Textual's compositor draws the line that shows its effect: a
conversation's newest message in the chat pane, a typed character in the input box. (The
widgets' ``render_line`` is watched: Textual calls it when it draws a frame, headless too.)

Commands: ``{"wait_peers": N}`` → ``{"peers": N, "seconds": S}``;
``{"measure": {"key": K, "newest": TEXT, "opens": N, "keys": N}}`` →
``{"measured": {"open_ms": [...], "echo_ms": [...], "rss_mib": R, "peak_rss_mib": P}}``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget

from ipmsg_tui.config import load_settings

try:
    from ipmsg_tui.service import Messenger
except ImportError:  # a checkout from before issue 12 (measured with --before)
    Messenger = None  # type: ignore[assignment,misc]
from ipmsg_tui.store import EVERYONE
from ipmsg_tui.ui.app import MessengerApp

from .channel import emit, next_command

SIZE = (120, 40)
SETTLE = 0.1  # seconds left between two timed inputs for the app to draw and go idle
TYPED = "abcdefghijklmnopqrstuvwxyz"
LINE_KEYS = 40  # keys typed before the box is emptied (untimed), so the text stays on one line


class DrawnWatch:
    """When ``widget`` first drew a line containing the text it waits for."""

    def __init__(self, widget: Widget) -> None:
        self.wanted: str | None = None
        self.drawn_at: float | None = None
        original: Callable[[int], Strip] = widget.render_line  # type: ignore[attr-defined]

        def render_line(y: int) -> Strip:
            strip = original(y)
            if self.wanted is not None and self.wanted in strip.text:
                self.drawn_at = time.perf_counter()
                self.wanted = None
            return strip

        widget.render_line = render_line  # type: ignore[attr-defined]

    def expect(self, text: str) -> None:
        self.wanted, self.drawn_at = text, None

    async def drawn(self, timeout: float = 30.0) -> float:
        deadline = time.perf_counter() + timeout
        while self.drawn_at is None:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{self.wanted!r} was not drawn within {timeout:g} s")
            await asyncio.sleep(0.0005)
        return self.drawn_at


def memory_mib() -> tuple[float, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


async def wait_peers(app: MessengerApp, count: int, timeout: float) -> None:
    started = time.perf_counter()
    while app.roster.online_count < count:
        if time.perf_counter() - started > timeout:
            emit(error=f"only {app.roster.online_count} of {count} peers listed in {timeout} s")
            return
        await asyncio.sleep(0.05)
    emit(peers=app.roster.online_count, seconds=time.perf_counter() - started)


async def time_opens(
    app: MessengerApp, pilot: Pilot[int], key: str, newest: str, count: int
) -> list[float]:
    """Select the long conversation (from Everyone, each time) until its newest message is
    drawn; selecting is moving the list's highlight onto its row, as the arrow keys do."""
    watch = DrawnWatch(app.chat_log)
    times = []
    for _ in range(count):
        app.peer_list.highlight_key(EVERYONE)
        await pilot.pause(SETTLE)
        watch.expect(newest)
        started = time.perf_counter()
        app.peer_list.highlight_key(key)
        times.append(1000 * (await watch.drawn() - started))
    return times


async def time_echoes(app: MessengerApp, pilot: Pilot[int], count: int) -> list[float]:
    """Type into the input box, one key at a time, until the box draws what was typed."""
    composer = app.composer
    composer.focus()
    watch = DrawnWatch(composer)
    times = []
    typed = ""
    for index in range(count):
        if len(typed) == LINE_KEYS:
            composer.clear()
            typed = ""
        await pilot.pause(SETTLE)
        char = TYPED[index % len(TYPED)]
        typed += char
        watch.expect(typed)
        started = time.perf_counter()
        # As the terminal driver delivers a key (Pilot.press would also wait for the app to
        # go idle, which the churn hardly lets it).
        app.post_message(events.Key(char, char))
        times.append(1000 * (await watch.drawn() - started))
    composer.clear()
    return times


async def run(args: argparse.Namespace) -> None:
    settings = load_settings(
        args.data_dir / "config.toml",
        nick="bench",
        user="bench",
        host="bench-app",
        bind=args.bind,
        data_dir=args.data_dir,
    )
    if Messenger is None:  # a checkout from before issue 12: the app builds its own engine
        await drive(MessengerApp(settings))  # type: ignore[arg-type]
        return
    messenger = Messenger.keeping_history(settings)
    await messenger.start()
    try:
        await drive(MessengerApp(messenger))
    finally:
        await messenger.stop()
        messenger.close()


async def drive(app: MessengerApp) -> None:
    """Answer the benchmark's commands until it says quit."""
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        emit(ready=True)
        while "quit" not in (command := await next_command()):
            if "wait_peers" in command:
                await wait_peers(app, int(command["wait_peers"]), float(command["timeout"]))
            elif "measure" in command:
                emit(measured=await measure(app, pilot, command["measure"]))
        await app.action_quit()


async def measure(app: MessengerApp, pilot: Pilot[int], request: dict[str, Any]) -> dict[str, Any]:
    opens = await time_opens(app, pilot, request["key"], request["newest"], request["opens"])
    echoes = await time_echoes(app, pilot, request["keys"])
    rss, peak = memory_mib()
    return {
        "open_ms": opens,
        "echo_ms": echoes,
        "rss_mib": rss,
        "peak_rss_mib": peak,
        "peers": app.roster.online_count,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
