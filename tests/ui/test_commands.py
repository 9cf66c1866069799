"""Commands from the palette and the function keys; what they change is saved in the config."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from ipmsg_tui.config import load_settings
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.store import Flag, MessageState
from ipmsg_tui.ui.app import MessengerApp
from ipmsg_tui.ui.screens.peer_info import PeerInfoScreen
from ipmsg_tui.ui.screens.prompt import TextPrompt

from .conftest import Lan
from .driver import SIZE, Ui, config_file, saved


async def run_command(pilot: Pilot[Any], name: str) -> None:
    """ctrl+p, type the command's name, Enter (see Ui.command)."""
    assert isinstance(pilot.app, MessengerApp)
    await Ui(pilot.app, pilot).command(name)


async def answer(pilot: Pilot[Any], text: str) -> None:
    """Replace the prompt's text and press Enter (see Ui.answer)."""
    assert isinstance(pilot.app, MessengerApp)
    await Ui(pilot.app, pilot).answer(text)


async def test_nick_and_group_change_live_and_are_saved(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.command("set nick")
        await ui.answer("Annie")
        await ui.until(lambda: any(e.peer.nick == "Annie" for e in bob.of(ev.PeerChanged)))
        await ui.command("set group")
        await ui.answer("QA")
        await ui.until(lambda: any(e.peer.group == "QA" for e in bob.of(ev.PeerChanged)))
        assert "Annie" in ui.me()
        assert saved(app)["nick"] == "Annie" and saved(app)["group"] == "QA"
    again = load_settings(config_file(app))
    assert (again.nick, again.group) == ("Annie", "QA")


async def test_away_with_a_text_answers_messages_and_f2_comes_back(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("f2")
        await ui.answer("at lunch")
        await ui.until(lambda: any(e.peer.away for e in bob.of(ev.PeerChanged)))
        assert "away: at lunch" in ui.presence()
        bob.node.send_message([ui.addr], "ping")
        await ui.until(lambda: "at lunch" in bob.texts())  # the automatic reply
        assert saved(app)["away_text"] == "at lunch"
        await ui.press("f2")
        await ui.until(lambda: not bob.of(ev.PeerChanged)[-1].peer.away)
        assert "● online" in ui.presence()


async def test_add_host_finds_a_peer_beyond_the_broadcast_and_remembers_it(lan: Lan) -> None:
    carol = await lan.peer("Carol")  # knows nobody, and nobody knows her
    app = await lan.app("Ann")
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await pilot.pause()
        assert ui.listed() == ["*"]
        await ui.command("add host")
        await ui.answer(f"127.0.0.1:{carol.settings.port}")
        await ui.until_listed("carol@carol-pc")
        assert saved(app)["hosts"] == [f"127.0.0.1:{carol.settings.port}"]
        await ui.command("add broadcast")
        await ui.until_dialog(TextPrompt)
        await ui.press(*"10.78.255", "enter")  # not an address: refused, nothing saved
        await ui.press("escape")
        await ui.until_closed(TextPrompt)
        assert "broadcast" not in saved(app)
        await ui.command("add broadcast")
        await ui.answer("127.255.255.255")
        assert saved(app)["broadcast"] == ["127.255.255.255"]
        ann = lan.service("Ann")
        assert ("127.255.255.255", ui.port) in ann.config.broadcast_targets


async def test_refresh_drops_a_peer_that_vanished_without_a_goodbye(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        bob.node._transport.close()  # type: ignore[union-attr]  # its machine is switched off
        bob.node._transport = None
        await ui.press("f5")
        await ui.until(lambda: ui.listed() == ["*"], timeout=10)


async def test_peer_encoding_override_is_used_and_saved(lan: Lan) -> None:
    taro = await lan.peer("Taro", knows=("Ann",), encoding="cp932")
    app = await lan.app("Ann", knows=("Taro",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("taro@taro-pc")
        await ui.press("down")
        await ui.command("peer encoding")
        await ui.answer("CP932")
        assert saved(app)["peer_encodings"] == {"taro@taro-pc": "cp932"}
        peer = ui.contact("taro@taro-pc").peer
        assert peer is not None and peer.encoding_override == "cp932"
        await ui.press("enter")
        ui.commit_text("こんにちは、太郎さん")  # as an input method commits it
        await ui.press("enter")
        await ui.until(lambda: taro.texts() == ["こんにちは、太郎さん"])
        await ui.command("peer encoding")
        await ui.answer("auto")
        assert saved(app)["peer_encodings"] == {}


async def test_peer_info_shows_what_the_peer_says_about_itself(lan: Lan) -> None:
    await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("f3")  # on Everyone: nothing to show
        assert not ui.showing(PeerInfoScreen)
        await ui.press("down", "f3")
        assert ui.showing(PeerInfoScreen)
        facts = ui.dialog_text("#facts")
        assert "bob@bob-pc" in facts and "ipmsg-tui" in facts and "UTF-8" in facts
        await ui.until(lambda: "Says" in ui.dialog_text("#answer"))
        assert "ipmsg-tui" in ui.dialog_text("#answer")
        await ui.press("escape")
        assert not ui.showing(PeerInfoScreen)


async def test_the_theme_is_saved_and_used_next_time(lan: Lan) -> None:
    app = await lan.app("Ann")
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.command("theme")
        await ui.press(*"nord")
        await pilot.pause(0.3)
        await ui.press("enter")
        await ui.until(lambda: app.theme == "nord")
        assert saved(app)["theme"] == "nord"
    again = await lan.app_with(
        load_settings(config_file(app), bind="127.0.0.1", port=lan.port_of("Ann"))
    )
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "nord"


async def test_quit_says_goodbye(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.press("ctrl+q")
        await ui.until(lambda: bob.of(ev.PeerLeft))
    assert app.return_code == 0
    assert [(e.peer.key, e.reason) for e in bob.of(ev.PeerLeft)] == [("ann@ann-pc", "exit")]


async def test_a_nick_too_long_for_the_wire_is_shortened_and_the_user_told(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob",))
    long_nick = "阿明" * 30  # 60 characters, 180 bytes in UTF-8
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        ui = Ui(app, pilot)
        await ui.until_listed("bob@bob-pc")
        await ui.command("set nick")
        await ui.answer(long_nick)
        await ui.until(lambda: any(e.peer.nick != "Ann" for e in bob.of(ev.PeerChanged)))
        seen = bob.of(ev.PeerChanged)[-1].peer.nick
        assert long_nick.startswith(seen) and len(seen.encode()) <= 79 and len(seen) == 26
        told = ui.toasts()
        assert any(f"others see you as {seen}" in m for m in told), told
        assert ui.nick() == seen and saved(app)["nick"] == seen  # shown as others see it


async def test_a_configured_nick_too_long_for_the_wire_is_announced_at_start(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    long_nick = "x" * 100
    app = await lan.app("Ann", knows=("Bob",), nick=long_nick)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        ui = Ui(app, pilot)
        await ui.until(lambda: bob.of(ev.PeerJoined))
        seen = bob.of(ev.PeerJoined)[0].peer.nick
        assert seen == "x" * 79
        await ui.until(lambda: any(f"others see you as {seen}" in m for m in ui.toasts()))


async def test_our_away_auto_reply_is_shown_in_our_chat(lan: Lan) -> None:
    bob = await lan.peer("Bob", knows=("Ann",))
    carol = await lan.peer("Carol", knows=("Ann",))
    app = await lan.app("Ann", knows=("Bob", "Carol"))
    ann = ("127.0.0.1", lan.port_of("Ann"))
    async with app.run_test(size=SIZE) as pilot:
        ui = Ui(app, pilot)
        await ui.until_count(3)
        ui.chat_with("bob@bob-pc")
        await pilot.press("f2")
        await answer(pilot, "at lunch")
        await ui.until(lambda: any(e.peer.away for e in bob.of(ev.PeerChanged)))
        bob.node.send_message([ann], "ping")
        await ui.until(lambda: "at lunch" in bob.texts())
        await ui.until(lambda: ui.messages() == ["ping", "at lunch"])
        reply = ui.rows()[-1]
        assert not reply.incoming and reply.flags & Flag.AUTO_REPLY
        assert reply.state is MessageState.DELIVERED  # nobody acknowledges one: no "sending"
        await ui.until(lambda: any("auto-reply" in line for line in ui.screen_lines()))
        # Another conversation's auto-reply is kept and shown when it is opened.
        carol.node.send_message([ann], "are you there?")
        await ui.until(lambda: "at lunch" in carol.texts())
        ui.chat_with("carol@carol-pc")
        await ui.until(lambda: ui.messages() == ["are you there?", "at lunch"])
