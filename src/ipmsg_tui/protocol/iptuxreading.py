"""Which code page an iptux peer reads our folder-stream names in, at any moment.

iptux never looks at UTF8OPT. It keeps one code page per pal, decided by the bytes it gets:

* an entry packet (BR_ENTRY, ANSENTRY) sets it afresh: UTF-8 when the whole packet is valid
  UTF-8 (as an ASCII-only one is), else its first candidate (GB18030); an iptux set to a
  legacy code page (its ``preference_encode``) takes that one whatever the bytes;
* a message or BR_ABSENCE that is not valid UTF-8 switches it to the candidate, which then
  sticks until the next entry packet.

Names in a folder stream it reads in that code page without looking at the bytes. Since we
write to iptux in the legacy code page, a user with an ASCII nick sends ASCII entry packets and
iptux reads their folder names as UTF-8 (after every BR_ENTRY of ours, the one 5 s after the
start too), and the names must go in UTF-8 then.

What iptux writes to a pal is in the code page it reads that pal in, so a non-ASCII ANSENTRY or
message from it says directly which one it uses; its BR_ENTRY (a broadcast) is in its own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from .constants import Command
from .packet import Packet
from .peers import Addr
from .text import is_utf8

_RESETS = frozenset({Command.BR_ENTRY, Command.ANSENTRY})
_SWITCHES = frozenset({Command.SENDMSG, Command.BR_ABSENCE})
# What iptux sends that shows its code pages (when it holds non-ASCII text).
TELLING_MODES = frozenset({Command.BR_ENTRY, Command.ANSENTRY, Command.SENDMSG})


class IptuxReading:
    """Our guess, per address, of whether iptux there reads us as UTF-8 (its default)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._utf8: OrderedDict[Addr, bool] = OrderedDict()
        self._legacy_preferred: OrderedDict[Addr, bool] = OrderedDict()
        self._after_broadcast = True  # for a peer that heard only our broadcasts

    def reads_utf8(self, addr: Addr) -> bool:
        default = self._after_broadcast and not self._legacy_preferred.get(addr, False)
        return self._utf8.get(addr, default)

    def sent(self, mode: int, datagram: bytes, addr: Addr | None) -> None:
        """We sent ``datagram`` to ``addr``; None: to a broadcast address, which every
        peer hears."""
        if mode in _RESETS:
            self._update(addr, lambda a: is_utf8(datagram) and not self._prefers_legacy(a))
        elif mode in _SWITCHES and not is_utf8(datagram):
            self._update(addr, lambda a: False)

    def heard(self, packet: Packet, addr: Addr, raw: bytes) -> None:
        """iptux at ``addr`` sent us ``raw``: non-ASCII text in it shows its code pages."""
        if raw.isascii():
            return
        if packet.mode == Command.BR_ENTRY:
            self._remember(self._legacy_preferred, addr, not is_utf8(raw))
        elif packet.mode in (Command.ANSENTRY, Command.SENDMSG):
            self._remember(self._utf8, addr, is_utf8(raw))

    def _prefers_legacy(self, addr: Addr | None) -> bool:
        return addr is not None and self._legacy_preferred.get(addr, False)

    def _update(self, addr: Addr | None, reads_utf8: Callable[[Addr | None], bool]) -> None:
        if addr is not None:
            self._remember(self._utf8, addr, reads_utf8(addr))
            return
        self._after_broadcast = reads_utf8(None)
        for known in self._utf8:
            self._utf8[known] = reads_utf8(known)

    def _remember(self, table: OrderedDict[Addr, bool], addr: Addr, value: bool) -> None:
        table[addr] = value
        table.move_to_end(addr)
        while len(table) > self._limit:
            table.popitem(last=False)
