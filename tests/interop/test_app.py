"""The app itself (``ipmsg-tui`` in a terminal) with a real iptux.

Our side is the real program in a tmux window in its lab host: iptux appears in its peer
list, a message typed in it shows in iptux's chat window exactly once, a message from iptux
shows in the open conversation, and ctrl+q takes us off iptux's list.
"""

from __future__ import annotations

import time

from ..support.netlab import Lan
from .iptux import Iptux
from .ours import OurSide, hostname_of, user_of

SETTLE = 1.0  # how long to watch for a copy that should not come


def test_the_app_talks_with_iptux(iptux: Iptux, ours: OurSide, lab: Lan) -> None:
    app = ours.start_app("us", nick="阿明")
    sidebar = app.wait_for(f"● {iptux.config.nick} {iptux.config.hostname}")
    assert iptux.config.group in sidebar  # its group heads the list of its members

    to_iptux = "你好 iptux，我在终端里 🙂"
    # "/" filters the peer list; Enter opens the first match and the input box.
    app.type(f"/{iptux.config.hostname}")
    app.keys("Enter")
    app.wait_for(f"To {iptux.config.nick}")
    app.type(to_iptux)
    app.keys("Enter")
    app.wait_for("✓ delivered")  # iptux's RECVMSG
    deadline = time.monotonic() + 5
    while not iptux.chat_log():
        assert time.monotonic() < deadline, "iptux never showed our message"
        time.sleep(0.1)
    time.sleep(SETTLE)
    (shown,) = iptux.chat_log()
    assert (shown.text, shown.incoming) == (to_iptux, True)
    assert (shown.nick, shown.user, shown.host) == ("阿明", user_of("us"), hostname_of("us"))

    from_iptux = "收到，终端见 👍"
    iptux.gui.send_text(lab["us"].ip, from_iptux)
    iptux.gui.close_chat(lab["us"].ip)
    app.wait_for(from_iptux)
    time.sleep(SETTLE)
    assert app.screen().count(from_iptux) == 1
    assert app.screen().count(to_iptux) == 1
    history = [(row["direction"], row["text"]) for row in ours.history("us")]
    assert history == [("out", to_iptux), ("in", from_iptux)]

    iptux.gui.wait_online_pals(2)  # itself and us
    app.keys("C-q")
    assert app.exit_status() == 0
    iptux.gui.wait_online_pals(1)  # our BR_EXIT took us off its list
