"""The app itself, encrypting over real sockets on a namespace LAN (10.77.0.x, port 2425).

The app runs in-process (Textual's Pilot) on a loop of its own in a thread that entered host
a's namespace (``Host.run_program``): its sockets, its interface list and its broadcast are
that host's. Scripted peers that encrypt the Windows way and the FeiQ way
(tests/support/scripted_peers.py, written from the Windows source, not from our encoder) live
on hosts b and c. Both ways, with what the user sees: a lock on their messages and ours,
FeiQ's unsigned, a forged signature as a warning line (never as the peer's message, never
acknowledged), a changed key reported in the conversation until accepted.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ipmsg_tui.config import Settings, load_settings
from ipmsg_tui.keystore import load_or_create_keys
from ipmsg_tui.protocol.keyring import public_der
from ipmsg_tui.protocol.pubkey import fingerprint
from ipmsg_tui.service import Messenger
from ipmsg_tui.store import HistoryStore
from ipmsg_tui.ui.app import MessengerApp

from ..support.netlab import Host, Lan, lan_of
from ..support.scripted_peers import ENCRYPTOPT, SENDMSG, feiq_peer, windows_peer
from ..support.sniff import Sniffer
from ..ui.driver import Ui

PORT = 2425
SIZE = (130, 40)
TARO, FEIQ = "taro@WINPC", "feiq@FEIQPC"
T = TypeVar("T")


@functools.cache
def key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@pytest.fixture
def lan() -> Iterator[Lan]:
    with lan_of("a", "b", "c") as lan:
        yield lan


def at(host: Host) -> tuple[str, int]:
    return (host.ip, PORT)


def ann(tmp_path: Path) -> Settings:
    """The app's settings: no --bind, no --host: it finds the peers by broadcast."""
    return load_settings(
        tmp_path / "ann.toml",
        nick="Ann",
        user="ann",
        host="ann-pc",
        port=PORT,
        data_dir=tmp_path / "ann",
        download_dir=tmp_path / "downloads",
        retry_interval=0.3,
        retry_count=3,
    )


def run_app_on(host: Host, settings: Settings, script: Callable[[Ui], Awaitable[None]]) -> None:
    """Run the app on ``host`` as ``run_app`` does (a running messenger, encrypting; its keys
    made first: no wait for the background thread) and play ``script`` on it."""
    load_or_create_keys(settings.data_dir)

    async def program() -> None:
        messenger = Messenger.keeping_history(settings)  # the interfaces of ``host``
        try:
            await messenger.start(keys=True)
            app = MessengerApp(messenger)
            async with app.run_test(size=SIZE, notifications=True) as pilot:
                await script(Ui(app, pilot))
        finally:
            await messenger.stop()
            messenger.close()

    host.run_program(program)


def header_of(ui: Ui, text: str) -> str:
    """The chat's header line (time, sender, marks) just above the line showing ``text``."""
    lines = ui.chat_lines()
    index = next(i for i, line in enumerate(lines) if text in line)
    return lines[index - 1]


async def in_thread(call: Callable[[], T]) -> T:
    # A scripted peer blocks (it waits for our key): the app's loop must go on meanwhile.
    return await asyncio.to_thread(call)


def test_windows_and_feiq_peers_talk_with_the_app_both_ways(lan: Lan, tmp_path: Path) -> None:
    a, b, c = lan["a"], lan["b"], lan["c"]
    with (
        windows_peer(PORT, key("taro"), netns=b.netns) as taro,
        feiq_peer(PORT, key("feiq", 1024), netns=c.netns) as feiq,
        Sniffer(a) as wire,
    ):

        async def script(ui: Ui) -> None:
            await ui.until_listed(TARO, FEIQ)  # they answered the app's broadcast
            for peer, text in ((taro, "こんにちは from Windows"), (feiq, "ni hao from FeiQ")):
                number = await in_thread(lambda p=peer, t=text: p.send_encrypted(t, at(a)))
                await in_thread(lambda p=peer, n=number: p.wait_acks(n))

            await ui.open(TARO)
            await ui.until(lambda: "こんにちは from Windows" in ui.chat_text())
            mark = header_of(ui, "こんにちは from Windows")
            assert "🔐 encrypted" in mark and "unsigned" not in mark  # signed, and checked
            assert "🔐 encrypted" in ui.header()
            await ui.send("hello Windows, from the app")
            got = await in_thread(taro.wait_received)
            assert [(g.text, g.signature_ok) for g in got] == [
                ("hello Windows, from the app", True)
            ]
            await ui.until(lambda: "delivered" in header_of(ui, "hello Windows, from the app"))
            assert "🔐 encrypted" in header_of(ui, "hello Windows, from the app")

            await ui.open(FEIQ)
            await ui.until(lambda: "ni hao from FeiQ" in ui.chat_text())
            assert "🔐 encrypted · unsigned" in header_of(ui, "ni hao from FeiQ")
            await ui.send("hello FeiQ, from the app")
            got = await in_thread(feiq.wait_received)
            assert [(g.text, g.signature_ok) for g in got] == [
                ("hello FeiQ, from the app", None)  # FeiQ's scheme has no signature
            ]
            await ui.until(lambda: "delivered" in header_of(ui, "hello FeiQ, from the app"))
            assert "🔐 encrypted" in header_of(ui, "hello FeiQ, from the app")

        run_app_on(a, ann(tmp_path), script)
        # On the wire: our messages to both went encrypted, their text nowhere.
        ours = wire.matching(lambda d: d.mode == SENDMSG and d.src[0] == a.ip)
        assert {d.dst[0] for d in ours} == {b.ip, c.ip}
        assert all(d.command & ENCRYPTOPT for d in ours)
        assert not [d for d in ours if b"from the app" in d.payload]


def test_a_forged_signature_is_a_warning_line_in_the_app_and_never_acknowledged(
    lan: Lan, tmp_path: Path
) -> None:
    a = lan["a"]
    with windows_peer(PORT, key("taro"), sign_with=key("mallory"), netns=lan["b"].netns) as forger:

        async def script(ui: Ui) -> None:
            await ui.until_listed(TARO)
            await ui.open(TARO)
            number = await in_thread(lambda: forger.send_encrypted("pay mallory now", at(a)))
            await ui.until(lambda: "could not be verified" in ui.chat_text())
            for _ in range(2):  # its retries are rejected too, and shown once
                forger.retransmit(number)
            await asyncio.sleep(1.0)
            shown = ui.chat_text()
            assert shown.count("could not be verified") == 1
            assert "claiming to be from taro" in shown
            assert "pay mallory" not in shown  # never shown as from the peer
            assert all(row.is_notice for row in ui.rows())
            assert any("could not be verified" in toast for toast in ui.toasts())
            assert not any("mallory" in toast for toast in ui.toasts())
            assert number not in forger.acks  # no RECVMSG: its sender sees it failed

        run_app_on(a, ann(tmp_path), script)


def test_a_changed_key_is_reported_in_the_conversation_until_accepted(
    lan: Lan, tmp_path: Path
) -> None:
    a = lan["a"]
    settings = ann(tmp_path)
    old = key("taro before the reinstall").public_key()
    store = HistoryStore(settings.history_path)  # pinned on an earlier day
    store.pin_key(TARO, public_der(old), fingerprint(old), time.time() - 86400)
    store.close()
    new = key("taro").public_key()
    with windows_peer(PORT, key("taro"), netns=lan["b"].netns) as taro:

        async def script(ui: Ui) -> None:
            await ui.until_listed(TARO)
            await ui.open(TARO)
            await in_thread(lambda: taro.send_encrypted("it is really me", at(a)))
            await ui.until(lambda: "it is really me" in ui.chat_text())
            assert "key changed, unverified" in header_of(ui, "it is really me")
            shown = ui.chat_text()
            assert "The key of taro changed" in shown
            words = " ".join(shown.split())
            assert f"Pinned {fingerprint(old)}, now {fingerprint(new)}" in words
            assert "key changed" in ui.header()
            await ui.until(lambda: "⚠ key" in ui.row(TARO))

            await ui.command("Accept new key of taro")
            await ui.until(lambda: "key changed" not in header_of(ui, "it is really me"))
            assert "🔐 encrypted" in header_of(ui, "it is really me")

        run_app_on(a, settings, script)
        store = HistoryStore(settings.history_path)
        try:
            assert store.pinned_fingerprint(TARO) == fingerprint(new)
        finally:
            store.close()
