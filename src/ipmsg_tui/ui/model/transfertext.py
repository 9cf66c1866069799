"""How a transfer reads on screen: its state, progress, speed and time left, in a few words.

Shared by the chat (one line under an attachment) and the transfers panel, so both say the
same thing. Each function returns plain text and a theme style name.
"""

from __future__ import annotations

from ...i18n import N_, _
from ...net.transfers import Direction, Failure, Transfer, TransferState
from .paths import tilde
from .timefmt import file_size

# Failed downloads of an offer from an earlier session: the sender answered but refused,
# which means it no longer offers the file (ipmsg-tui and others forget offers on quit).
NO_LONGER_OFFERED = N_("the sender no longer offers it")


def arrow(transfer: Transfer) -> str:
    return "⇣" if transfer.direction == Direction.IN else "⇡"


def duration(seconds: float) -> str:
    """``0:07``, ``12:40``, ``1:02:03``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def speed_text(transfer: Transfer) -> str:
    """``1.2 MB/s · 0:07 left`` while running, else empty."""
    if transfer.state != TransferState.RUNNING:
        return ""
    parts = []
    if transfer.speed > 0:
        parts.append(f"{file_size(int(transfer.speed))}/s")
    eta = transfer.eta
    if eta is not None:
        parts.append(_("{time} left").format(time=duration(eta)))
    return " · ".join(parts)


def percent(transfer: Transfer) -> str:
    fraction = transfer.fraction
    return f"{int(fraction * 100)}%" if fraction is not None else file_size(transfer.done)


def state_text(transfer: Transfer, *, refused_means_gone: bool = False) -> tuple[str, str]:
    """One line about where the transfer stands (``refused_means_gone``: an offer from an
    earlier session, where a refusal means the sender forgot it)."""
    match transfer.state:
        case TransferState.QUEUED:
            return _("queued"), "$text-muted"
        case TransferState.RUNNING:
            detail = speed_text(transfer)
            text = f"{arrow(transfer)} {percent(transfer)}" + (f" · {detail}" if detail else "")
            if transfer.offset:
                text += _(" · resumed at {size}").format(size=file_size(transfer.offset))
            return text, "$text-accent"
        case TransferState.DONE:
            if transfer.direction == Direction.IN:
                return _("✓ saved to {path}").format(path=tilde(transfer.path or "")), "$success"
            return _("✓ sent"), "$success"
        case TransferState.CANCELLED:
            return _("cancelled"), "$text-warning"
    error = error_text(transfer)
    if refused_means_gone and transfer.failure is Failure.REFUSED:
        error = _(NO_LONGER_OFFERED)
    return f"✗ {error}", "$text-error"


def error_text(transfer: Transfer) -> str:
    """Why the transfer failed, in the chosen language (``transfer.error`` stays English)."""
    if transfer.why is not None:
        return transfer.why.text()
    return _(transfer.error) if transfer.error else _("failed")
