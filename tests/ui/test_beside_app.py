"""A real `ipmsg-tui send` beside the running app: the app sends it and shows it."""

from __future__ import annotations

from ipmsg_tui.service.control import ControlServer
from ipmsg_tui.store import MessageState

from ..support.procs import run_beside
from .conftest import Lan
from .driver import Ui


async def test_a_command_s_message_appears_in_the_open_conversation(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    control = ControlServer(lan.service("Ann"))  # as run_app starts it
    assert await control.start()
    settings = lan.service("Ann").settings
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            ui = Ui(app, pilot)
            await ui.until(lambda: ui.known("bob@bob-pc") is not None)
            await pilot.press("down")
            assert ui.open_key == "bob@bob-pc"
            result = await run_beside(
                "send",
                "Bob",
                "sent by a script",
                "--bind",
                "127.0.0.1",
                "--port",
                str(settings.port),
                "--data-dir",
                str(settings.data_dir),
            )
            assert result == (0, "", "")
            assert bob.texts() == ["sent by a script"]
            await ui.until(lambda: ui.states() == [("sent by a script", MessageState.DELIVERED)])
            assert "sent by a script" in ui.chat_text()
    finally:
        await control.stop()
