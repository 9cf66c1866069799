"""The UI stays responsive during a flood (issue 6): a bounded burst of datagrams from
another process hits the app's node on 127.0.0.1 while a real peer talks to it and the user
types. Only a generous liveness bound is asserted, never a speed."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from textual import events
from textual.notifications import Notify
from textual.pilot import Pilot

from ipmsg_tui.protocol import events as ev

from ..support.netlab import REPO_ROOT
from .conftest import Lan, wait_for
from .driver import Ui, alert_window
from .test_story import SIZE

FLOOD = 20_000
FLOOD_SECONDS = 3.0
LIVENESS = 10.0  # seconds a real message or a keypress may take, at worst, during the flood


async def type_keys(pilot: Pilot[Any], text: str) -> None:
    """Keys as the terminal delivers them (Pilot.press would wait for an idle CPU)."""
    for char in text:
        pilot.app.post_message(events.Key("space" if char == " " else char, char))
    pilot.app.post_message(events.Key("enter", "\r"))
    await pilot.pause(0.01)


async def test_a_flood_does_not_stop_real_messages_or_keys(lan: Lan) -> None:
    # Bob retries as real clients do (5 sends, 1 s apart): under a flood the kernel drops
    # datagrams while the app's receive buffer is full, his among them.
    bob = await lan.peer("Bob", knows=("Ann",), retry_interval=1.0, retry_count=5)
    app = await lan.app("Ann", knows=("Bob",))
    ann = ("127.0.0.1", lan.port_of("Ann"))
    toasts: list[Notify] = []
    async with app.run_test(size=SIZE, message_hook=keep(toasts)) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await pilot.press("down", "tab")  # writing to Bob
        flooder = subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.ui.loopback_flood"),
                *("--port", str(ann[1]), "--count", str(FLOOD), "--seconds", str(FLOOD_SECONDS)),
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            await ui.until(lambda: ui.online_count() > 50)  # it is on
            assert flooder.poll() is None
            started = time.monotonic()
            bob.node.send_message([ann], "real message during the flood")
            await type_keys(pilot, "typed during the flood")
            await wait_for(
                pilot,
                lambda: "real message during the flood" in ui.messages(),
                timeout=LIVENESS,
            )
            await wait_for(pilot, lambda: "typed during the flood" in bob.texts(), timeout=LIVENESS)
            during = flooder.poll() is None
            took = time.monotonic() - started
            sent = int(flooder.communicate(timeout=30)[0])
        finally:
            if flooder.poll() is None:
                flooder.kill()
                flooder.wait()
        assert during, f"the flood ended before the app answered ({took:.1f} s)"
        assert sent >= FLOOD * 0.9
        # The flood really reached the app: fake peers joined, and the app still works.
        assert ui.online_count() > 100
        bob.node.send_message([ann], "and after it")
        await ui.until(lambda: ui.rows()[-1].text == "and after it")
        assert [e.text for e in bob.of(ev.MessageReceived)] == ["typed during the flood"]
        # Hundreds of fake peers wrote to Ann: a few toasts and a summary, not hundreds.
        assert ui.unread_total() > 50
        assert 1 <= len(toasts) < 10


def keep(toasts: list[Notify]) -> Any:
    def hook(message: Any) -> None:
        if isinstance(message, Notify):
            toasts.append(message)

    return hook


async def test_a_burst_of_messages_elsewhere_is_summarised_in_one_toast(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    alert_window(app, 0.5)
    toasts: list[Notify] = []
    ann = ("127.0.0.1", lan.port_of("Ann"))
    async with app.run_test(size=SIZE, message_hook=keep(toasts)) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        assert ui.open_key == "*"
        for index in range(4):
            bob.node.send_message([ann], f"bob {index}")
            carol.node.send_message([ann], f"carol {index}")
        await ui.until(lambda: ui.unread_total() == 8)
        await wait_for(pilot, lambda: any(t.notification.title == "Unread" for t in toasts))
        singles = [t.notification.message for t in toasts if t.notification.title != "Unread"]
        (summary,) = [t.notification.message for t in toasts if t.notification.title == "Unread"]
        assert len(singles) == 3
        assert summary == "5 more messages from Bob, Carol" or summary == (
            "5 more messages from Carol, Bob"
        )
        bob.node.send_message([ann], "later, alone")  # after the burst: a toast of its own
        await wait_for(pilot, lambda: any(t.notification.message == "later, alone" for t in toasts))
