"""The engine's reasons (a message rejected, a key refused) in the chosen language.

``protocol/`` sits below the language and says why in English; the front ends and the
history show it through :func:`reason_text`. A reason not listed here (a new one, or a
technical detail of the cipher) stays as the engine gave it.
"""

from __future__ import annotations

from .i18n import N_, _

KNOWN = frozenset(
    {
        N_("the signature does not match the sender's key (forged?)"),
        N_("its key does not match the fingerprint in its user name: an impostor?"),
        N_("the sender never gave its key to check the signature"),
        N_("encrypted message (IP Messenger IPDict), not supported"),
    }
)
_CANNOT_DECRYPT = "cannot decrypt: "


def reason_text(reason: str) -> str:
    if reason in KNOWN:
        return _(reason)
    if reason.startswith(_CANNOT_DECRYPT):  # the cipher's own words stay technical
        return _("cannot decrypt: {detail}").format(detail=reason[len(_CANNOT_DECRYPT) :])
    return reason
