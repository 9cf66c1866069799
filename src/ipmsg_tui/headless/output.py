"""How the commands print events: JSON records and human-readable lines."""

from __future__ import annotations

import time
import unicodedata
from typing import TYPE_CHECKING, Any, TextIO

from ..i18n import N_, _, ngettext
from ..protocol import events as ev
from ..protocol.constants import EntryOpt
from ..protocol.peers import Addr, Peer
from ..reasons import reason_text

if TYPE_CHECKING:  # the transfer modules load with the file service, not for every command
    from ..net.fileevents import FileEvent
    from ..net.transfers import Transfer


def peer_record(peer: Peer, fingerprint: str | None = None) -> dict[str, Any]:
    """A peer as JSON; ``fingerprint`` is its key's, once it gave us its key."""
    return {
        "ip": peer.ip,
        "port": peer.port,
        "user": peer.user,
        "host": peer.host,
        "nick": peer.nick,
        "group": peer.group,
        "away": peer.away,
        "away_text": peer.away_text,
        "version": peer.version,
        "key": peer.key,
        "announced": peer.announced,
        "encryption": bool(peer.capabilities & EntryOpt.ENCRYPTOPT),
        "fingerprint": fingerprint,
    }


def _sender(addr: Addr, peer: Peer | None, identity: str = "") -> dict[str, Any]:
    user, _, host = identity.partition("@")
    return {
        "ip": addr[0],
        "port": addr[1],
        "user": peer.user if peer is not None else user,
        "host": peer.host if peer is not None else host,
        "nick": peer.nick if peer is not None else "",
    }


def event_record(event: ev.Event) -> dict[str, Any] | None:
    """The JSON object ``listen --json`` prints for an event, or None for internal ones."""
    match event:
        case ev.PeerJoined(peer=peer):
            return {"event": "peer_joined", **peer_record(peer)}
        case ev.PeerChanged(peer=peer):
            return {"event": "peer_changed", **peer_record(peer)}
        case ev.PeerLeft(peer=peer, reason=reason):
            return {"event": "peer_left", **peer_record(peer), "reason": reason}
        case ev.MessageReceived(peer=peer):
            return {
                "event": "message",
                "ip": peer.ip,
                "port": peer.port,
                "user": peer.user,
                "host": peer.host,
                "nick": peer.nick,
                "text": event.text,
                "sealed": event.sealed,
                "packet_no": event.packet_no,
                "timestamp": event.timestamp,
                "broadcast": event.broadcast,
                "multicast": event.multicast,
                # The others it went to, when the sender named them (Windows does).
                "also_to": [{"user": user, "host": host} for user, host in event.others],
                "auto_reply": event.auto_reply,
                "encrypted": event.encrypted,
                "signed": event.signed,
                "attachments": [
                    {
                        "id": a.file_id,
                        "name": a.name,
                        "size": a.size,
                        "mtime": a.mtime,
                        "dir": a.is_dir,
                    }
                    for a in event.attachments
                ],
            }
        case ev.MessageDelivered(addr=addr, packet_no=packet_no):
            return _about_message("message_delivered", addr, packet_no)
        case ev.MessageFailed(addr=addr, packet_no=packet_no):
            return _about_message("message_failed", addr, packet_no)
        case ev.MessageOpened(addr=addr, packet_no=packet_no):
            return _about_message("message_opened", addr, packet_no)
        case ev.FilesReleased(addr=addr, packet_no=packet_no):
            return _about_message("files_released", addr, packet_no)
        case ev.UnsupportedPacket(addr=addr, reason=reason):
            return {"event": "unsupported", "ip": addr[0], "port": addr[1], "reason": reason}
        case ev.MessageRejected(addr=addr, peer=peer, packet_no=packet_no, reason=reason):
            return {
                "event": "message_rejected",
                **_sender(addr, peer),
                "packet_no": packet_no,
                "reason": reason,
            }
        case ev.KeyChanged(addr=addr, peer=peer, identity=identity):
            return {
                "event": "key_changed",
                **_sender(addr, peer, identity),
                "old_fingerprint": event.old_fingerprint,
                "new_fingerprint": event.new_fingerprint,
            }
        case ev.KeyMissing(addr=addr, packet_no=packet_no, sent_in_clear=clear):
            return {
                **_about_message("key_missing", addr, packet_no),
                "sent_in_clear": clear,
                "reason": key_missing_reason(event),
            }
        case ev.KeyRejected(addr=addr, identity=identity, reason=reason):
            return {"event": "key_rejected", **_sender(addr, None, identity), "reason": reason}
    return None


def _about_message(kind: str, addr: Addr, packet_no: int) -> dict[str, Any]:
    return {"event": kind, "ip": addr[0], "port": addr[1], "packet_no": packet_no}


def file_record(event: FileEvent) -> dict[str, Any] | None:
    """``file_received`` / ``file_failed`` for a finished download, or None."""
    from ..net.fileevents import TransferEnded
    from ..net.transfers import Direction, TransferState

    if not isinstance(event, TransferEnded) or event.transfer.direction != Direction.IN:
        return None
    transfer = event.transfer
    peer = _transfer_peer(transfer)
    if transfer.state == TransferState.DONE:
        record: dict[str, Any] = {
            "event": "file_received",
            "path": str(transfer.path),
            "name": transfer.name,
            "size": transfer.done,
            "dir": transfer.is_folder,
        }
        if transfer.is_folder:
            record["files"] = transfer.files_done
        else:
            if transfer.sha256 is not None:  # listen --checksum
                record["sha256"] = transfer.sha256
            record["resumed_from"] = transfer.offset
    else:
        record = {
            "event": "file_failed",
            "name": transfer.attachment.name,
            "dir": transfer.is_folder,
            "state": str(transfer.state),
            "error": transfer.error or "",
            "bytes_saved": transfer.done,
        }
    return {
        **record,
        **peer,
        "packet_no": transfer.packet_no,
        "file_id": transfer.attachment.file_id,
    }


def _transfer_peer(transfer: Transfer) -> dict[str, Any]:
    return {"ip": transfer.addr[0], "port": transfer.addr[1], "nick": transfer.peer_name}


def _clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))


def _who(peer: Peer) -> str:
    group = f" ({peer.group})" if peer.group else ""
    away = " [away]" if peer.away else ""
    return f"{peer.name}{group}{away} {peer.key} {peer.ip}:{peer.port}"


SEALED_NOT_SHOWN = N_("(sealed: not shown; listen --open-sealed opens it and tells the sender)")


def event_line(event: ev.Event | FileEvent, now: float, *, sealed_text: bool = True) -> str | None:
    """A human-readable line for ``listen``, or None; a sealed message's text only with
    ``sealed_text`` (``listen --open-sealed``, which tells the sender it was read)."""
    from ..net.fileevents import TransferEnded
    from ..net.transfers import Direction, TransferState

    stamp = _clock(now)
    match event:
        case TransferEnded(transfer=transfer) if transfer.direction == Direction.IN:
            source = f"{transfer.peer_name} [{transfer.addr[0]}:{transfer.addr[1]}]"
            if transfer.state == TransferState.DONE:
                return (
                    stamp
                    + " "
                    + _("received {path} ({size} bytes) from {source}").format(
                        path=transfer.path, size=transfer.done, source=source
                    )
                )
            return (
                stamp
                + " "
                + _("failed   {name} from {source}: {error}").format(
                    name=transfer.attachment.name,
                    source=source,
                    error=transfer.why.text() if transfer.why else transfer.error,
                )
            )
        case ev.PeerJoined(peer=peer):
            return stamp + " " + _("joined   {who}").format(who=_who(peer))
        case ev.PeerChanged(peer=peer):
            return stamp + " " + _("changed  {who}").format(who=_who(peer))
        case ev.PeerLeft(peer=peer, reason=reason):
            return (
                stamp + " " + _("left     {who} ({reason})").format(who=_who(peer), reason=reason)
            )
        case ev.MessageReceived(peer=peer):
            kind = _("sealed message") if event.sealed else _("message")
            if event.broadcast:
                kind = _("broadcast")
            files = "".join(
                "\n    " + _("[file] {name} ({size} bytes)").format(name=a.name, size=a.size)
                for a in event.attachments
            )
            text = event.text.replace("\n", "\n    ")
            if event.sealed and not sealed_text:  # shown means read: the sender must be told
                text = _(SEALED_NOT_SHOWN)
            lock = _lock(event)
            where = f"{peer.name} [{peer.ip}:{peer.port}]{lock}"
            if event.others:  # one of several, and the sender named the others
                count = len(event.others)
                names = ", ".join(user for user, _host in event.others)
                also = ngettext(
                    "to you and {count} other: {names}", "to you and {count} others: {names}", count
                )
                where += f" ({also.format(count=count, names=names)})"
            line = _("{kind} from {who}: {text}").format(kind=kind, who=where, text=text)
            return f"{stamp} {line}{files}"
        case ev.MessageDelivered(addr=addr, packet_no=packet_no):
            where = f"{addr[0]}:{addr[1]}"
            return (
                stamp
                + " "
                + _("delivered message {number} to {addr}").format(number=packet_no, addr=where)
            )
        case ev.MessageFailed(addr=addr, packet_no=packet_no):
            where = f"{addr[0]}:{addr[1]}"
            line = _("NOT delivered: message {number} to {addr}").format(
                number=packet_no, addr=where
            )
            return f"{stamp} {line}"
        case ev.MessageOpened(addr=addr, packet_no=packet_no):
            where = f"{addr[0]}:{addr[1]}"
            line = _("opened   {addr} opened message {number}").format(addr=where, number=packet_no)
            return f"{stamp} {line}"
        case ev.UnsupportedPacket(addr=addr, reason=reason):
            line = _("notice   {addr}: {reason}").format(
                addr=f"{addr[0]}:{addr[1]}", reason=reason_text(reason)
            )
            return f"{stamp} {line}"
        case ev.MessageRejected(addr=addr, packet_no=packet_no, reason=reason):
            line = _("REJECTED message {number} claiming to be from {addr}: {reason}").format(
                number=packet_no, addr=f"{addr[0]}:{addr[1]}", reason=reason_text(reason)
            )
            return f"{stamp} {line}"
        case ev.KeyChanged(addr=addr, identity=identity):
            line = _(
                "WARNING  the key of {identity} [{addr}] changed from {old} to {new}: "
                "its messages are unverified until you accept the new key"
            ).format(
                identity=identity,
                addr=f"{addr[0]}:{addr[1]}",
                old=event.old_fingerprint,
                new=event.new_fingerprint,
            )
            return f"{stamp} {line}"
        case ev.KeyMissing(packet_no=packet_no, sent_in_clear=clear):
            if clear:
                line = _("notice   message {number} sent unencrypted: {reason}")
            else:
                line = _("notice   message {number} NOT sent (encryption required): {reason}")
            return f"{stamp} {line.format(number=packet_no, reason=key_missing_reason(event))}"
        case ev.KeyRejected(addr=addr, identity=identity, reason=reason):
            line = _("WARNING  key from {identity} [{addr}] refused: {reason}").format(
                identity=identity, addr=f"{addr[0]}:{addr[1]}", reason=reason_text(reason)
            )
            return f"{stamp} {line}"
    return None


def _lock(event: ev.MessageReceived) -> str:
    if not event.decrypted:
        return ""
    if event.key_changed:
        return " " + _("(encrypted, KEY CHANGED, unverified)")
    return " " + (_("(encrypted, signed)") if event.signed else _("(encrypted, unsigned)"))


def write_line(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()


def format_peer_table(peers: list[Peer]) -> str:
    rows = [("NICK", "GROUP", "USER@HOST", "ADDRESS", "AWAY")]
    for peer in peers:
        rows.append(
            (peer.name, peer.group, peer.key, f"{peer.ip}:{peer.port}", "away" if peer.away else "")
        )
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in rows
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def key_missing_reason(event: ev.KeyMissing) -> str:
    """Why a message to an encrypting peer could not be encrypted, in a few words."""
    addr = f"{event.addr[0]}:{event.addr[1]}"
    if event.queue_full:
        return _(
            "too many messages were already waiting for keys (the key of {addr} not yet here)"
        ).format(addr=addr)
    return _("no key from {addr}").format(addr=addr)
