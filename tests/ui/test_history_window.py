"""A very long conversation opens at once; the pane holds a bounded window and pages."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from ipmsg_tui.store import HistoryStore
from ipmsg_tui.ui.model.window import LIMIT, PAGE

from .conftest import Lan, wait_for
from .driver import Ui
from .test_story import SIZE

TOTAL = 100_000
KEY = "bob@bob-pc"


def long_history(path: Path, total: int) -> None:
    """``total`` messages with Bob: the first through the store, the rest in one statement
    (the store's API commits each message on its own, which would take a minute here)."""
    store = HistoryStore(path)
    store.record_outgoing(KEY, ("127.0.0.1", 9), 1, "message 0", 1_700_000_000.0, sender="Ann")
    store.close()
    with sqlite3.connect(path) as db:
        db.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO messages (conversation_id, direction, ts, packet_no, ip, port, sender,
                                  text, flags, state)
            SELECT m.conversation_id, CASE i % 3 WHEN 0 THEN 'out' ELSE 'in' END,
                   m.ts + i * 30, i + 1, m.ip, m.port,
                   CASE i % 3 WHEN 0 THEN 'Ann' ELSE 'Bob' END,
                   'message ' || i, 0, CASE i % 3 WHEN 0 THEN 'delivered' ELSE 'received' END
            FROM n, messages m WHERE m.id = 1
            """,
            (total - 1,),
        )
        db.execute("UPDATE conversations SET last_ts = 1800000000 WHERE key = ?", (KEY,))


def shown_numbers(ui: Ui) -> list[int]:
    return [int(text.split()[1]) for text in ui.messages()]


async def test_a_conversation_of_100000_messages_opens_at_once_and_pages(lan: Lan) -> None:
    app = await lan.app("Ann")
    long_history(lan.service("Ann").settings.history_path, TOTAL)
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await pilot.pause()
        started = time.perf_counter()
        await pilot.press("down")  # Everyone -> Bob (offline, with history)
        opened = time.perf_counter() - started
        assert ui.open_key == KEY
        assert opened < 1.0, f"opening took {opened:.3f} s"  # ~0.1 s here, pilot included
        assert shown_numbers(ui) == list(range(TOTAL - PAGE, TOTAL))
        assert f"  message {TOTAL - 1}" in ui.chat_lines()
        log = ui.chat_pane
        assert log.scroll_offset.y == log.max_scroll_y  # at the latest message

        # Scrolling up pages older messages in; the window never grows past its limit.
        for _ in range(8):
            first = shown_numbers(ui)[0]
            log.scroll_to(y=0, animate=False)
            await wait_for(pilot, lambda first=first: shown_numbers(ui)[0] < first)  # type: ignore[misc]
            numbers = shown_numbers(ui)
            assert len(numbers) <= LIMIT
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        assert shown_numbers(ui)[-1] < TOTAL - 1  # the newest were dropped meanwhile
        assert log.scroll_offset.y > 0  # the view stayed on the message it showed

        # ... and scrolling down brings them back, in order.
        log.focus()
        await pilot.press("end")
        assert shown_numbers(ui)[-1] == TOTAL - 1
        await pilot.press("home")  # the very first message, without paging through all
        assert shown_numbers(ui)[0] == 0
        assert len(shown_numbers(ui)) <= LIMIT
        log.scroll_to(y=log.max_scroll_y, animate=False)
        await wait_for(pilot, lambda: shown_numbers(ui)[-1] >= PAGE)
        assert shown_numbers(ui) == list(range(shown_numbers(ui)[0], shown_numbers(ui)[-1] + 1))
