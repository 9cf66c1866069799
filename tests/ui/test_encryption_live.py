"""What the app learns of keys while it runs (scripted Windows peers on 127.0.0.1, their
cipher code written from the Windows source): a changed key told on the desktop, never with a
message's text; a key arriving while peer info (F3) is open; a key accepted by
`ipmsg-tui keys accept` beside the app."""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from textual import events

from ipmsg_tui.config import Settings
from ipmsg_tui.protocol.keyring import public_der
from ipmsg_tui.protocol.pubkey import fingerprint
from ipmsg_tui.store import HistoryStore
from ipmsg_tui.ui.model.alerts import KEY_CHANGED_BODY, UNVERIFIED_BODY

from ..support.scripted_peers import windows_peer
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
            written: list[str] = []
            driver = app._driver
            assert driver is not None
            driver.write = written.append  # type: ignore[method-assign]
            await ui.until_listed(TARO)
            app.post_message(events.AppBlur())
            await ui.until(lambda: not app.app_focus)
            ann = (LOOP, app.settings.port)
            await asyncio.to_thread(taro.send_encrypted, "the launch code is 1234", ann)
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
            await app.desktop.stop()
