"""What the app learns of keys while it runs (scripted Windows peers on 127.0.0.1, their
cipher code written from the Windows source): a changed key told on the desktop, never with a
message's text; a key arriving while peer info (F3) is open; a key accepted by
`ipmsg-tui keys accept` beside the app."""

from __future__ import annotations

import asyncio
import functools
import itertools
import sys
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from ipmsg_tui.config import Settings
from ipmsg_tui.protocol.keyring import public_der
from ipmsg_tui.protocol.pubkey import fingerprint
from ipmsg_tui.service.control import ControlServer
from ipmsg_tui.store import Flag, HistoryStore
from ipmsg_tui.ui.model.alerts import KEY_CHANGED_BODY, UNVERIFIED_BODY
from ipmsg_tui.ui.screens.peer_info import PeerInfoScreen

from ..support.procs import run_beside
from ..support.scripted_peers import GETPUBKEY, ScriptedPeer, windows_peer
from .conftest import Lan
from .driver import Ui

SIZE = (130, 40)
LOOP = "127.0.0.1"
TARO = "taro@WINPC"
WRITER = (
    "import sys; "
    "open(sys.argv[1], 'a', encoding='utf-8').write(sys.argv[2] + '|' + sys.argv[3] + '\\n')"
)


@functools.cache
def key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def pin_earlier(settings: Settings, identity: str, public: rsa.RSAPublicKey) -> None:
    """``identity``'s key as pinned on an earlier day."""
    store = HistoryStore(settings.history_path)
    store.pin_key(identity, public_der(public), fingerprint(public), time.time() - 86400)
    store.close()


async def test_a_changed_key_is_told_on_the_desktop_without_the_message(
    lan: Lan, tmp_path: Path
) -> None:
    out = tmp_path / "notices.txt"
    settings = lan.settings(
        "Ann",
        knows=("Taro",),
        notify_escape="osc777",
        notify_command=(sys.executable, "-c", WRITER, str(out), "{title}", "{body}"),
    )
    pin_earlier(settings, TARO, key("taro before").public_key())
    with windows_peer(lan.port_of("Taro"), key("taro")) as taro:
        app = await lan.app_with(settings, keys=True)
        async with app.run_test(size=SIZE) as pilot:
            ui = Ui(app, pilot)
            written = ui.record_terminal()
            await ui.until_listed(TARO)
            await ui.to_background()
            await asyncio.to_thread(taro.send_encrypted, "the launch code is 1234", ui.addr)
            await ui.until(lambda: out.exists() and len(out.read_text("utf-8").splitlines()) == 2)
            assert out.read_text("utf-8").splitlines() == [
                f"taro|{KEY_CHANGED_BODY}",
                f"taro|{UNVERIFIED_BODY}",
            ]
            escapes = [w for w in written if w.startswith("\x1b]777;")]
            assert escapes == [
                f"\x1b]777;notify;taro;{KEY_CHANGED_BODY}\x07",
                f"\x1b]777;notify;taro;{UNVERIFIED_BODY}\x07",
            ]
            assert "1234" not in "".join(written) + out.read_text("utf-8")
            await ui.desktop_notices_done()


class KeyOnCue(ScriptedPeer):
    """A Windows-like peer that answers key requests only once told to, so that its key
    comes while peer info is open."""

    def __post_init__(self) -> None:
        self.cue = threading.Event()
        self.asked: list[tuple[bytes, tuple[str, int]]] = []
        super().__post_init__()

    def _handle(self, data: bytes, addr: tuple[str, int]) -> None:
        fields = data.split(b":", 5)
        if len(fields) == 6 and int(fields[4]) & 0xFF == GETPUBKEY and not self.cue.is_set():
            self.asked.append((data, addr))
            return
        super()._handle(data, addr)

    def give_key(self) -> None:
        self.cue.set()
        for data, addr in self.asked:
            super()._handle(data, addr)


def key_on_cue(port: int, private: rsa.RSAPrivateKey) -> KeyOnCue:
    like = windows_peer(port, private)
    like.close()
    return KeyOnCue(port, like.user, like.host, like.scheme, like.capa, private)


def shows_fingerprint(ui: Ui, public: rsa.RSAPublicKey) -> bool:
    """The screen shows the key's fingerprint, as two lines of five groups."""
    groups = fingerprint(public).split()
    first, second = " ".join(groups[:5]), " ".join(groups[5:])
    lines = ui.screen_lines()
    return any(first in line and second in after for line, after in itertools.pairwise(lines))


def header_of(ui: Ui, text: str) -> str:
    """The chat's header line just above the line showing ``text``."""
    lines = ui.chat_lines()
    index = next(i for i, line in enumerate(lines) if text in line)
    return lines[index - 1]


def on_screen(ui: Ui, text: str) -> bool:
    return any(text in line for line in ui.screen_lines())


async def open_peer_info(ui: Ui, key: str) -> None:
    await ui.open(key)
    ui.focus_on("sidebar")
    await ui.press("f3")
    await ui.until_dialog(PeerInfoScreen)


async def test_peer_info_shows_a_key_that_comes_while_it_is_open(lan: Lan) -> None:
    with key_on_cue(lan.port_of("Taro"), key("taro")) as taro:
        app = await lan.app("Ann", knows=("Taro",), keys=True)
        async with app.run_test(size=SIZE) as pilot:
            ui = Ui(app, pilot)
            await ui.until_listed(TARO)
            await open_peer_info(ui, TARO)
            await ui.until(lambda: taro.asked)  # F3 asked for it
            assert on_screen(ui, "not known yet (asked for its key)")
            taro.give_key()
            await ui.until(lambda: shows_fingerprint(ui, key("taro").public_key()))
            assert not on_screen(ui, "not known yet")


async def test_peer_info_shows_a_changed_key_when_it_comes_and_accepts_it(lan: Lan) -> None:
    settings = lan.settings("Ann", knows=("Taro",))
    old = key("taro before").public_key()
    pin_earlier(settings, TARO, old)
    with key_on_cue(lan.port_of("Taro"), key("taro")) as taro:
        app = await lan.app_with(settings, keys=True)
        async with app.run_test(size=SIZE) as pilot:
            ui = Ui(app, pilot)
            await ui.until_listed(TARO)
            await open_peer_info(ui, TARO)
            await ui.until(lambda: taro.asked)
            assert shows_fingerprint(ui, old)  # the pinned one, while no other came
            assert not on_screen(ui, "CHANGED")
            taro.give_key()
            await ui.until(lambda: on_screen(ui, "CHANGED, not accepted"))
            assert shows_fingerprint(ui, key("taro").public_key())
            assert on_screen(ui, "a: accept the new key")
            await ui.press("a")
            await ui.until(lambda: not ui.contact(TARO).key_changed)
            store = lan.service("Ann").store
            assert store.pinned_fingerprint(TARO) == fingerprint(key("taro").public_key())


async def keys_accept(target: str, settings: Settings) -> tuple[int, str, str]:
    """A real `ipmsg-tui keys accept TARGET` with the app's port and data (beside it)."""
    return await run_beside(
        "keys",
        "accept",
        target,
        "--bind",
        "127.0.0.1",
        "--port",
        str(settings.port),
        "--data-dir",
        str(settings.data_dir),
    )


async def test_keys_accept_beside_the_app_goes_through_it_and_the_warning_goes(
    lan: Lan,
) -> None:
    settings = lan.settings("Ann", knows=("Taro",))
    pin_earlier(settings, TARO, key("taro before").public_key())
    new = fingerprint(key("taro").public_key())
    with windows_peer(lan.port_of("Taro"), key("taro")) as taro:
        app = await lan.app_with(settings, keys=True)
        control = ControlServer(lan.service("Ann"))  # as run_app starts it
        assert await control.start()
        try:
            async with app.run_test(size=SIZE, notifications=True) as pilot:
                ui = Ui(app, pilot)
                await ui.until_listed(TARO)
                await ui.open(TARO)
                await asyncio.to_thread(taro.send_encrypted, "it is really me", ui.addr)
                await ui.until(lambda: "it is really me" in ui.chat_text())
                assert "key changed, unverified" in header_of(ui, "it is really me")
                await ui.until(lambda: "⚠ key" in ui.row(TARO))

                status, out, err = await keys_accept("taro", settings)
                assert (status, out, err) == (0, f"pinned the key of {TARO}: {new}\n", "")
                await ui.until(lambda: not ui.contact(TARO).key_changed)
                await ui.until(lambda: "key changed" not in header_of(ui, "it is really me"))
                assert "🔐 encrypted" in header_of(ui, "it is really me")
                await ui.until(lambda: "⚠ key" not in ui.row(TARO))
                assert "key changed" not in ui.header()
                assert "The key of taro is accepted and pinned" in ui.toasts()
                store = lan.service("Ann").store
                assert store.pinned_fingerprint(TARO) == new
                assert not [r for r in store.messages(TARO) if r.flags & Flag.KEY_CHANGED]

                status, out, err = await keys_accept("nobody", settings)
                assert status == 1 and out == ""
                assert len(err.strip().splitlines()) == 1 and "nobody" in err
        finally:
            await control.stop()
