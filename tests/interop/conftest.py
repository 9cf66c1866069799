"""The interop suite's harness: a namespace LAN with a real iptux on it, and our side.

* ``lab`` (session): hosts ``iptux`` 10.77.0.1, ``us`` 10.77.0.2 and ``them`` 10.77.0.3 on
  a private bridge; nothing reaches the machine's own network.
* ``display`` (session): Xvfb in the iptux host's namespace.
* ``iptux`` (per test): iptux started with a fresh HOME and config, ended afterwards. A test
  picks another configuration with ``@pytest.mark.iptux(encode="gbk", ...)``
  (the fields of :class:`.iptux.IptuxConfig`); ``iptux_idle`` is the same iptux not yet
  started. Either fails the test if iptux died without being asked to (iptux's own race
  on transfers finishing together, a known bug of Debian's build, is a warning instead).
* ``ours``: real ``ipmsg-tui`` processes on the lab hosts (:class:`.ours.OurSide`), the app
  among them (in a tmux window, :mod:`.terminal`).
* ``wire``: every IPMSG datagram iptux's host sends or receives (:mod:`tests.support.sniff`).

For the file cases: ``iptux.gui.send_file``/``send_folder`` (or ``attach_file``,
``attach_folder`` and ``send_attached`` for one offer of several) make iptux offer files from
``iptux.outbox``; ``iptux.gui.accept_files`` takes an offer into ``iptux.recv_dir`` after
``iptux.mirror_dirs`` for a folder (Debian's 0.8.3 crashes without it); ``ours.start_send``
runs ``send --file`` in the background until iptux has fetched everything.

The fixtures install nothing. Without root or without iptux, Xvfb, xdotool and tmux the tests
are skipped with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from ..support.netlab import Lan, lan_of
from ..support.sniff import Sniffer
from .iptux import Iptux, IptuxConfig
from .ours import OurSide
from .xserver import XServer

LAB_HOSTS = ("iptux", "us", "them")
TOOLS = ("iptux", "Xvfb", "xdotool", "dbus-run-session", "unshare", "tmux")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "iptux(**fields): start iptux with this IptuxConfig")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def lab() -> Iterator[Lan]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        _unavailable(f"the interop suite needs {', '.join(missing)} (see .ci/run)")
    with lan_of(*LAB_HOSTS) as lan:
        yield lan


@pytest.fixture(scope="session")
def display(lab: Lan, tmp_path_factory: pytest.TempPathFactory) -> Iterator[XServer]:
    server = XServer(lab["iptux"], tmp_path_factory.mktemp("xvfb"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def iptux_peer(
    lab: Lan, display: XServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Iptux]:
    peer = Iptux(lab["iptux"], display, tmp_path_factory.mktemp("iptux"))
    yield peer
    peer.stop()


@pytest.fixture
def iptux_idle(iptux_peer: Iptux) -> Iterator[Iptux]:
    """iptux, not started yet: the test starts it (``iptux_idle.start()``) when it likes."""
    yield iptux_peer
    crashed = iptux_peer.crashed()
    own_race = crashed and iptux_peer.crashed_on_its_transfer_race()
    iptux_peer.stop()
    if own_race:
        # The test's own checks ran; iptux then fell over its own bug, which no packet of
        # ours causes (see Iptux.crashed_on_its_transfer_race). Said, not hidden.
        warnings.warn("iptux crashed on its own transfer-list race after the test", stacklevel=1)
    elif crashed:
        pytest.fail(f"iptux died during the test; its last output:\n{iptux_peer.stderr_text()}")


@pytest.fixture
def iptux(iptux_idle: Iptux, request: pytest.FixtureRequest) -> Iptux:
    """iptux, freshly started for this test (fresh HOME, pal list and chat log)."""
    marker = request.node.get_closest_marker("iptux")
    iptux_idle.start(IptuxConfig(**marker.kwargs) if marker else IptuxConfig())
    return iptux_idle


@pytest.fixture
def ours(lab: Lan, tmp_path: Path) -> Iterator[OurSide]:
    side = OurSide(lab, tmp_path)
    yield side
    side.close()


@pytest.fixture
def wire(lab: Lan) -> Iterator[Sniffer]:
    """Every UDP datagram on port 2425 that iptux's host sends or receives."""
    with Sniffer(lab["iptux"]) as sniffer:
        yield sniffer


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    fixtures = getattr(item, "funcargs", {})
    peer, side = fixtures.get("iptux_idle"), fixtures.get("ours")
    if report.failed and isinstance(peer, Iptux):
        report.sections.append(("iptux", peer.diagnostics()))
    if report.failed and isinstance(side, OurSide) and side.screens():
        report.sections.append(("our app's screen", side.screens()))
    return report
