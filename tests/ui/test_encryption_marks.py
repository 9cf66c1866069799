"""How a message left, in the app, when keys come late or never (scripted Windows peers on
127.0.0.1, their cipher code written from the Windows source): a message sent again is
marked as it left that time; a message to several says in the conversation to whom it went
in clear, or was refused, for want of a key."""

from __future__ import annotations

import asyncio
import functools

from cryptography.hazmat.primitives.asymmetric import rsa

from ipmsg_tui.store import Flag, MessageState

from ..support.scripted_peers import GETPUBKEY, SENDMSG, ScriptedPeer, windows_peer
from .conftest import Lan
from .driver import Ui

SIZE = (130, 40)
LOOP = "127.0.0.1"
TARO, JIRO = "taro@WINPC", "jiro@JIROPC"


@functools.cache
def key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


class KeylessPeer(ScriptedPeer):
    """Advertises encryption but never answers a key request; with ``deaf``, it does not
    take messages either (no receipt: they fail)."""

    deaf = False

    def _handle(self, data: bytes, addr: tuple[str, int]) -> None:
        fields = data.split(b":", 5)
        if len(fields) == 6:
            mode = int(fields[4]) & 0xFF
            if mode == GETPUBKEY or (mode == SENDMSG and self.deaf):
                return
        super()._handle(data, addr)


def keyless(port: int, user: str, host: str, *, deaf: bool = False) -> KeylessPeer:
    like = windows_peer(port, key(user))  # the Windows scheme, under another name
    like.close()
    peer = KeylessPeer(port, user, host, like.scheme, like.capa, key(user))
    peer.deaf = deaf
    return peer


def header_of(ui: Ui, text: str) -> str:
    """The chat's header line just above the line showing ``text``."""
    lines = ui.chat_lines()
    index = next(i for i, line in enumerate(lines) if text in line)
    return lines[index - 1]


async def test_a_message_sent_again_is_marked_as_it_left_this_time(lan: Lan) -> None:
    """In clear the first time (no key came, no receipt either); sent again once the peer is
    back with its key: encrypted, and marked so — no longer "sent unencrypted"."""
    port = lan.port_of("Taro")
    app = await lan.app("Ann", knows=("Taro",), keys=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        ui = Ui(app, pilot)
        with keyless(port, "taro", "WINPC", deaf=True) as mute:
            await ui.until_listed(TARO)
            await ui.open(TARO)
            await ui.send("are you there")
            await ui.until(lambda: "no key from taro" in header_of(ui, "are you there"), 10)
            await ui.until(lambda: ui.states() == [("are you there", MessageState.FAILED)])
            assert mute.received == []
        with windows_peer(port, key("taro")) as taro:
            ann = ui.addr
            taro.announce(ann)  # back (BR_ENTRY), and giving its key
            await asyncio.to_thread(taro.fetch_key, ann)  # ours, to check our signature
            await ui.press("ctrl+r")
            got = await asyncio.to_thread(taro.wait_received)
            assert [(g.text, g.signature_ok) for g in got] == [("are you there", True)]
            await ui.until(lambda: ui.states() == [("are you there", MessageState.DELIVERED)])
            await ui.until(lambda: "🔐 encrypted" in header_of(ui, "are you there"))
            assert "unencrypted" not in header_of(ui, "are you there")
            [row] = [r for r in lan.service("Ann").store.messages(TARO) if not r.is_notice]
            assert row.flags & Flag.ENCRYPTED and not row.flags & Flag.NO_KEY


async def test_a_message_to_several_says_to_whom_it_went_in_clear(lan: Lan) -> None:
    app = await lan.app("Ann", knows=("Taro", "Jiro"), keys=True)
    with (
        windows_peer(lan.port_of("Taro"), key("taro")) as taro,
        keyless(lan.port_of("Jiro"), "jiro", "JIROPC") as jiro,
    ):
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            ui = Ui(app, pilot)
            await ui.until_listed(TARO, JIRO)
            await ui.mark(JIRO)
            await ui.open(TARO)
            await ui.send("stand-up in 5")  # to Taro and Jiro
            line = "⚠ Sent unencrypted to jiro: no key from jiro"
            await ui.until(lambda: line in ui.chat_text(), 10)  # once its key requests ran out
            assert [g.text for g in taro.wait_received()] == ["stand-up in 5"]
            assert [(g.text, g.signature_ok) for g in jiro.wait_received()] == [
                ("stand-up in 5", None)
            ]
            assert "🔐" not in header_of(ui, "stand-up in 5")  # not encrypted to each
            assert "Sent unencrypted: no key from jiro" in ui.toasts()
            store = lan.service("Ann").store
            assert [r.text for r in store.messages(JIRO) if r.is_notice] == [line]

            # Known by now to give no key: said at once, as the message is sent.
            await ui.mark(JIRO)
            await ui.open(TARO)
            await ui.send("and lunch")
            await ui.until(lambda: ui.chat_text().count(line) == 2)
            assert "🔐" not in header_of(ui, "and lunch")
            await ui.until(lambda: "✓ 2/2" in header_of(ui, "and lunch"))


async def test_a_message_to_several_refused_to_one_under_required(lan: Lan) -> None:
    app = await lan.app("Ann", knows=("Taro", "Jiro"), keys=True, encryption="required")
    with (
        windows_peer(lan.port_of("Taro"), key("taro")) as taro,
        keyless(lan.port_of("Jiro"), "jiro", "JIROPC") as jiro,
    ):
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            ui = Ui(app, pilot)
            await ui.until_listed(TARO, JIRO)
            await ui.mark(JIRO)
            await ui.open(TARO)
            await ui.send("stand-up in 5")  # to Taro and Jiro
            line = "✗ Not sent to jiro: no key from jiro, and encryption is required"
            await ui.until(lambda: line in ui.chat_text(), 10)
            assert [g.text for g in taro.wait_received()] == ["stand-up in 5"]
            await ui.until(lambda: "not to jiro" in header_of(ui, "stand-up in 5"))
            assert jiro.received == []  # never in clear
            assert any("Not sent: no key from jiro" in toast for toast in ui.toasts())
