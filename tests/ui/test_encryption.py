"""Encryption in the app, against scripted Windows and FeiQ peers on 127.0.0.1 (real sockets,
their cipher code written from the Windows source, not ours): a lock on encrypted messages
both ways and in the header, kept in the history; a forged signature shown as a rejection
line, never as the peer's message; a changed key warned about until accepted; fingerprints;
Everyone stays plain."""

from __future__ import annotations

import asyncio
import functools
import itertools
import time

from cryptography.hazmat.primitives.asymmetric import rsa

from ipmsg_tui.keystore import load_keys
from ipmsg_tui.protocol.keyring import public_der
from ipmsg_tui.protocol.pubkey import fingerprint
from ipmsg_tui.store import EVERYONE, Flag, HistoryStore
from ipmsg_tui.ui.bars import ChatHeader
from ipmsg_tui.ui.screens.peer_info import PeerInfoScreen

from ..support.scripted_peers import GETPUBKEY, ScriptedPeer, feiq_peer, windows_peer
from .conftest import Lan
from .driver import Ui
from .test_commands import run_command

SIZE = (130, 40)
LOOP = "127.0.0.1"
TARO = "taro@WINPC"


@functools.cache
def key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def line_with(ui: Ui, text: str) -> str:
    """The chat's header line just above the line showing ``text``."""
    lines = ui.chat_lines()
    index = next(i for i, line in enumerate(lines) if text in line)
    return lines[index - 1]


def shows_fingerprint(ui: Ui, public: rsa.RSAPublicKey) -> bool:
    """The dialog shows the key's fingerprint, as two lines of five groups."""
    groups = fingerprint(public).split()
    lines = ui.screen_lines()
    first, second = " ".join(groups[:5]), " ".join(groups[5:])
    return any(first in line and second in after for line, after in itertools.pairwise(lines))


async def send_from(peer: ScriptedPeer, text: str, ui: Ui) -> int:
    # In a thread: the scripted peer waits for our key, which the app's loop must answer.
    return await asyncio.to_thread(peer.send_encrypted, text, (LOOP, ui.port))


async def test_windows_peer_both_ways_with_a_lock_kept_in_the_history(lan: Lan) -> None:
    with windows_peer(lan.port_of("Taro"), key("taro")) as taro:
        app = await lan.app("Ann", knows=("Taro",), keys=True)
        async with app.run_test(size=SIZE) as pilot:
            ui = Ui(app, pilot)
            await ui.until(lambda: ui.known(TARO) is not None)
            await send_from(taro, "hello from windows", ui)
            await ui.until(lambda: ui.contact(TARO).last_ts > 0)
            ui.show(TARO)
            await pilot.pause()
            assert "hello from windows" in ui.chat_text()
            assert "🔐 encrypted" in line_with(ui, "hello from windows")
            assert "unsigned" not in line_with(ui, "hello from windows")
            header = ui.widget_text(app.query_one(ChatHeader))
            assert "🔐 encrypted" in header

            ui.focus_on("input")
            await pilot.press(*"hello windows", "enter")
            got = await asyncio.to_thread(taro.wait_received)
            assert [(g.text, g.signature_ok) for g in got] == [("hello windows", True)]
            await ui.until(lambda: "delivered" in line_with(ui, "hello windows"))
            assert "🔐 encrypted" in line_with(ui, "hello windows")

            # Reopened (from the history): still marked.
            ui.show(EVERYONE)
            ui.show(TARO)
            await pilot.pause()
            assert "🔐 encrypted" in line_with(ui, "hello from windows")
            assert "🔐 encrypted" in line_with(ui, "hello windows")

            # F3: its fingerprint, as `who` and Windows' own peer would read it.
            ui.focus_on("sidebar")
            await pilot.press("f3")
            await ui.until_dialog(PeerInfoScreen)
            assert shows_fingerprint(ui, key("taro").public_key())
            await pilot.press("escape")

            # At 60 columns the header keeps the marks' symbols on its one line.
            await pilot.resize_terminal(60, 20)
            await pilot.pause()
            narrow = line_with(ui, "hello windows")
            assert "🔐" in narrow and "✓" in narrow and "delivered" not in narrow, narrow


async def test_feiq_message_is_encrypted_but_unsigned(lan: Lan) -> None:
    with feiq_peer(lan.port_of("Feiq"), key("feiq", 1024)) as feiq:
        app = await lan.app("Ann", knows=("Feiq",), keys=True)
        async with app.run_test(size=SIZE) as pilot:
            ui = Ui(app, pilot)
            await ui.until(lambda: ui.known("feiq@FEIQPC") is not None)
            await send_from(feiq, "ni hao", ui)
            await ui.until(lambda: ui.contact("feiq@FEIQPC").last_ts > 0)
            ui.show("feiq@FEIQPC")
            await pilot.pause()
            assert "🔐 encrypted · unsigned" in line_with(ui, "ni hao")


async def test_a_forged_signature_shows_a_rejection_line_not_a_message(lan: Lan) -> None:
    forger = windows_peer(lan.port_of("Taro"), key("taro"), sign_with=key("forger"))
    with forger:
        app = await lan.app("Ann", knows=("Taro",), keys=True)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            ui = Ui(app, pilot)
            await ui.until(lambda: ui.known(TARO) is not None)
            ui.show(TARO)
            number = await send_from(forger, "transfer the money now", ui)
            await ui.until(lambda: "could not be verified" in ui.chat_text())
            shown = ui.chat_text()
            assert "claiming to be from taro" in shown
            assert "transfer the money now" not in shown  # never shown as from the peer
            assert all(not row.incoming or row.is_notice for row in ui.rows())
            assert number not in forger.acks  # no RECVMSG: its sender sees it failed
            toasts = [(n.title, n.message) for n in ui.notifications()]
            assert any(title == "Message rejected" for title, _ in toasts)
            assert not any("money" in message for _, message in toasts)
            # Kept in the history as our line, not the peer's.
            [notice] = [r for r in lan.service("Ann").store.messages(TARO) if r.is_notice]
            assert notice.sender == "" and "money" not in notice.text


async def test_a_changed_key_warns_until_it_is_accepted(lan: Lan) -> None:
    settings = lan.settings("Ann", knows=("Taro",))
    old = key("old taro").public_key()
    store = HistoryStore(settings.history_path)  # pinned on an earlier day
    store.pin_key(TARO, public_der(old), fingerprint(old), time.time() - 86400)
    store.close()
    with windows_peer(lan.port_of("Taro"), key("taro")) as taro:
        app = await lan.app_with(settings, keys=True)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            ui = Ui(app, pilot)
            await ui.until(lambda: ui.known(TARO) is not None)
            ui.show(TARO)
            await send_from(taro, "it is really me", ui)
            await ui.until(lambda: "it is really me" in ui.chat_text())
            assert "key changed, unverified" in line_with(ui, "it is really me")
            assert "The key of taro changed" in ui.chat_text()
            assert ui.contact(TARO).key_changed
            await ui.until(lambda: "⚠ key" in ui.sidebar_text())
            assert "key changed" in ui.widget_text(app.query_one(ChatHeader))

            ui.focus_on("sidebar")
            await pilot.press("f3")
            await ui.until_dialog(PeerInfoScreen)
            assert shows_fingerprint(ui, old)
            assert shows_fingerprint(ui, key("taro").public_key())
            await pilot.press("escape")

            await run_command(pilot, "Accept new key of taro")
            await ui.until(lambda: not ui.contact(TARO).key_changed)
            assert "key changed" not in line_with(ui, "it is really me")
            assert "🔐 encrypted" in line_with(ui, "it is really me")
            await ui.until(lambda: "⚠ key" not in ui.sidebar_text())
            new = key("taro").public_key()
            assert lan.service("Ann").store.pinned_fingerprint(TARO) == fingerprint(new)
            assert lan.service("Ann").store.pinned_keys()[TARO] == public_der(new)
            rows = lan.service("Ann").store.messages(TARO)
            assert not any(r.flags & Flag.KEY_CHANGED for r in rows)

            # The next message under the accepted key is not marked.
            await send_from(taro, "and again", ui)
            await ui.until(lambda: "and again" in ui.chat_text())
            assert "key changed" not in line_with(ui, "and again")


class KeylessPeer(ScriptedPeer):
    """Advertises encryption but never answers a key request."""

    def _handle(self, data: bytes, addr: tuple[str, int]) -> None:
        fields = data.split(b":", 5)
        if len(fields) == 6 and int(fields[4]) & 0xFF == GETPUBKEY:
            return
        super()._handle(data, addr)


async def test_a_peer_that_never_gives_its_key_gets_clear_text_with_a_note(lan: Lan) -> None:
    template = windows_peer(lan.port_of("Taro"), key("taro"))
    template.close()
    keyless = KeylessPeer(
        template.port, template.user, template.host, template.scheme, template.capa, key("taro")
    )
    with keyless:
        app = await lan.app("Ann", knows=("Taro",), keys=True)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            ui = Ui(app, pilot)
            await ui.until(lambda: ui.known(TARO) is not None)
            ui.show(TARO)
            ui.focus_on("input")
            await pilot.press(*"are you there", "enter")
            got = await asyncio.to_thread(keyless.wait_received)
            assert [(g.text, g.signature_ok) for g in got] == [("are you there", None)]
            await ui.until(lambda: "no key from taro" in line_with(ui, "are you there"))
            assert "sent unencrypted" in line_with(ui, "are you there")
            assert "🔐" not in line_with(ui, "are you there")
            toasts = [n.message for n in ui.notifications()]
            assert "Sent unencrypted: no key from taro" in toasts


async def test_my_fingerprint_in_the_palette(lan: Lan) -> None:
    app = await lan.app("Ann", keys=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        ui = Ui(app, pilot)
        await run_command(pilot, "My key fingerprint")
        keys = load_keys(lan.service("Ann").settings.data_dir)
        assert keys is not None
        mine = fingerprint(keys.key_2048.public_key())
        await ui.until(lambda: any(mine in n.message for n in ui.notifications()))


async def test_everyone_says_it_is_never_encrypted_and_required_refuses_it(lan: Lan) -> None:
    app = await lan.app("Ann", keys=True, encryption="required")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        ui = Ui(app, pilot)
        assert ui.open_key == EVERYONE
        assert "never encrypted" in ui.placeholder()
        assert ui.draft_note() == "not encrypted"
        ui.focus_on("input")
        await pilot.press(*"hello all", "enter")
        await ui.until(lambda: ui.notifications())
        [toast] = ui.notifications()
        assert toast.title == "Not sent" and "encryption is required" in toast.message
        assert lan.service("Ann").store.messages(EVERYONE) == []


async def test_everyone_placeholder_with_encryption_auto(lan: Lan) -> None:
    app = await lan.app("Ann", keys=True)
    async with app.run_test(size=SIZE) as pilot:
        assert "not encrypted" in Ui(app, pilot).placeholder()
