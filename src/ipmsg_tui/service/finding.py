"""Finding the peers a command names (`send`, `keys accept`, or a `send` relayed to the
running app), waiting a little for discovery, and waiting on the messenger's news."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from ..i18n import _
from ..protocol.peers import Addr
from ..targets import AmbiguousTarget, TargetError, UnknownTarget, is_address
from .messenger import Messenger

# How long a named peer may take to answer discovery.
NAME_WAIT = 2.0
# After the first answer to a name, how long others may still answer to it (another
# machine with the same nick or user@host): a name must name one peer, not the fastest.
NAME_SETTLE = 0.5
# How long an addressed peer may take to answer (its ANSENTRY tells us its code page and
# whether it reads UTF-8).
ADDRESS_WAIT = 1.0
USAGE_ERROR = 2  # the exit status of a TARGET that is no valid name or address


class TargetNotFound(Exception):
    """A TARGET named no peer, or several, or is no valid address: one line for the user;
    ``status`` is the exit status the command ends with."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class _Silent(TargetNotFound):
    """No peer by that name answered (with several TARGETs, the others are still sent to)."""


async def wait_until(
    predicate: Callable[[], bool], changed: asyncio.Event, timeout: float | None
) -> bool:
    """Wait until ``predicate()`` holds, re-checking whenever ``changed`` fires; whether it
    holds in the end (False when ``timeout`` passed first)."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while not predicate():
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            return False
        changed.clear()
        # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation (Ctrl+C, SIGTERM,
        # the service's stop()) that comes as the event fires, and the wait would go on.
        waiter = asyncio.ensure_future(changed.wait())
        try:
            done, _pending = await asyncio.wait({waiter}, timeout=remaining)
        finally:
            waiter.cancel()
        if not done:
            return predicate()
    return True


def _resolve(messenger: Messenger, target: str) -> Addr | None:
    """The address TARGET names, or None while it is unknown."""
    try:
        return messenger.resolve(target)
    except UnknownTarget:
        return None
    except AmbiguousTarget as error:
        raise TargetNotFound(str(error)) from None
    except TargetError as error:
        raise TargetNotFound(str(error), USAGE_ERROR) from None


async def find_target(
    messenger: Messenger, target: str, changed: asyncio.Event, *, just_started: bool = True
) -> Addr:
    """Wait for discovery to name TARGET's address. A messenger ``just_started`` (a command
    of its own) also gives an address a short wait, for its ANSENTRY, and a name a moment
    more for namesakes on other machines; the running app's peers are known already."""
    by_address = just_started and is_address(target)

    def known() -> bool:
        addr = _resolve(messenger, target)
        return addr is not None and (not by_address or messenger.peer(addr) is not None)

    found = await wait_until(known, changed, ADDRESS_WAIT if by_address else NAME_WAIT)
    if found and just_started and not by_address:
        await asyncio.sleep(NAME_SETTLE)  # a second machine of the same name may answer
    addr = _resolve(messenger, target)
    if addr is None:
        raise _Silent(
            _(
                "no peer named {name} answered within {seconds:g} s; "
                "see `ipmsg-tui who`, or give its IP address"
            ).format(name=repr(target), seconds=NAME_WAIT)
        )
    return addr


async def find_all(
    messenger: Messenger,
    targets: Sequence[str],
    changed: asyncio.Event,
    *,
    just_started: bool = True,
) -> tuple[list[Addr], list[str]]:
    """The addresses of the TARGETs found (each once), and a line for each that no peer
    answered to. With none found, the last such line is the error (TargetNotFound), as with
    a single TARGET; a TARGET that is ambiguous or no valid address fails at once."""
    found = await asyncio.gather(
        *(find_target(messenger, t, changed, just_started=just_started) for t in targets),
        return_exceptions=True,
    )
    addrs: list[Addr] = []
    missing: list[str] = []
    for result in found:
        if isinstance(result, _Silent):
            missing.append(str(result))
        elif isinstance(result, BaseException):
            raise result
        elif result not in addrs:
            addrs.append(result)
    if not addrs:
        raise TargetNotFound(missing[-1])
    return addrs, missing
