"""Add host with bad input: the dialog stays open, the problem is said in it, the text stays."""

from __future__ import annotations

from textual.widgets import Input, Static

from ipmsg_tui.ui.screens.prompt import TextPrompt

from .conftest import Lan, wait_for
from .driver import config_file, saved
from .test_commands import run_command
from .test_story import SIZE, listed


async def test_a_bad_address_keeps_the_dialog_open_with_the_error_inline(lan: Lan) -> None:
    carol = await lan.peer("Carol")  # nobody knows her
    app = await lan.app("Ann")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await run_command(pilot, "add host")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        prompt = app.screen
        await pilot.press(*"999.1.1.1", "enter")
        await pilot.pause(0.2)
        assert app.screen is prompt  # still open
        assert prompt.query_one("#answer", Input).value == "999.1.1.1"  # the text kept
        problem = prompt.query_one("#prompt-help", Static)
        assert problem.has_class("-error")
        assert "999.1.1.1" in str(problem.content)
        assert not config_file(app).exists() or "hosts" not in saved(app)
        # Corrected in place, it is taken.
        await pilot.press("ctrl+a", "ctrl+k", *f"127.0.0.1:{carol.settings.port}", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, TextPrompt))
        await wait_for(pilot, lambda: "carol@carol-pc" in listed(app))
        assert saved(app)["hosts"] == [f"127.0.0.1:{carol.settings.port}"]
