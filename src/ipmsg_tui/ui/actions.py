"""The user's commands (palette and key bindings): presence, targets, encodings, peer info.

Each changes the running engine first, then the settings file shared with the headless
commands, and says in a toast what happened.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from textual.app import SystemCommand
from textual.command import Hit, Hits, Provider

from ..config import ConfigError, parse_target
from ..i18n import _, ngettext
from ..protocol.text import UnknownCodec
from ..service import Messenger
from ..store import HistoryStore
from .composer import Composer
from .fileactions import FileCommands
from .model.draft import Draft, Drafts
from .model.roster import Contact, Roster
from .screens.choose import ChoicePrompt
from .screens.confirm import Confirm
from .screens.peer_info import KeyFacts, PeerInfoScreen
from .screens.prompt import TextPrompt
from .sidebar import PeerList
from .toasts import Dialogs

CODECS = ("auto", "utf-8", "gb18030", "gbk", "cp932", "big5", "euc-kr", "euc-jp", "latin-1")


class CommandsHost(Dialogs, Protocol):
    """What the user's commands use of the app."""

    @property
    def messenger(self) -> Messenger: ...
    @property
    def store(self) -> HistoryStore: ...
    @property
    def roster(self) -> Roster: ...
    @property
    def drafts(self) -> Drafts: ...
    @property
    def draft(self) -> Draft | None: ...
    @property
    def open_key(self) -> str | None: ...
    @property
    def open_contact(self) -> Contact | None: ...
    @property
    def my_nick(self) -> str: ...
    @property
    def composer(self) -> Composer: ...
    @property
    def peer_list(self) -> PeerList: ...
    @property
    def file_commands(self) -> FileCommands: ...
    def refresh_status(self) -> None: ...
    def rebuild_sidebar(self) -> None: ...
    def open_conversation(self, key: str) -> None: ...
    def conversation_forgotten(self, key: str) -> None: ...
    def action_toggle_seal(self) -> None: ...
    def action_open_sealed(self) -> None: ...
    def action_resend_failed(self) -> None: ...
    def accept_key(self, key: str) -> None: ...
    def encrypts_to(self, contact: Contact) -> bool: ...
    def action_search_history(self) -> None: ...
    def action_quote_reply(self) -> None: ...


@runtime_checkable
class Searchable(Protocol):
    """An app whose peers ``PeerSearch`` finds and opens."""

    @property
    def roster(self) -> Roster: ...
    @property
    def commands(self) -> UserCommands: ...


class UserCommands:
    def __init__(self, app: CommandsHost) -> None:
        self.app = app
        self.messenger = app.messenger

    # ------------------------------------------------------------------ helpers

    def _problem(self, problem: str | None) -> bool:
        """Show a problem saving the settings; whether there was one."""
        if problem:
            self.app.notify(problem, severity="error", markup=False)
        return bool(problem)

    def _ask(self, prompt: TextPrompt, then: Any) -> None:
        self.app.push_screen(prompt, then)

    def _peer(self) -> Contact | None:
        """The open conversation's peer, or None (with a word) for Everyone."""
        contact = self.app.open_contact
        if contact is None or contact.is_everyone:
            self.app.notify(_("Select a peer first"), severity="warning", timeout=3)
            return None
        return contact

    # ------------------------------------------------------------------ presence

    def set_nick(self) -> None:
        def done(answer: str | None) -> None:
            if not answer:
                return
            # Keep only what peers receive, so that we show what they see.
            fitted = self.messenger.fitting_nick(answer)
            self._problem(self.messenger.set_nick(fitted))
            self.app.refresh_status()
            if fitted != answer:
                self.app.notify(
                    _("Too long for IP Messenger (79 bytes): others see you as {nick}").format(
                        nick=fitted
                    ),
                    title=_("Nick shortened"),
                    severity="warning",
                    timeout=8,
                    markup=False,
                )
            else:
                self.app.notify(
                    _("You are now {nick}").format(nick=answer), timeout=3, markup=False
                )

        self._ask(
            TextPrompt(_("Your nick"), value=self.app.my_nick, help=_("How others see you")), done
        )

    def set_group(self) -> None:
        def done(answer: str | None) -> None:
            if answer is None:
                return
            self._problem(self.messenger.set_group(answer))
            self.app.refresh_status()
            self.app.notify(
                _("Your group is now {group}").format(group=answer)
                if answer
                else _("You are in no group"),
                timeout=3,
                markup=False,
            )

        current = self.messenger.group
        self._ask(TextPrompt(_("Your group"), value=current, help=_("Empty for none")), done)

    def toggle_away(self) -> None:
        messenger = self.messenger
        if messenger.away:
            messenger.come_back()
            self.app.refresh_status()
            self.app.notify(_("You are back"), timeout=2)
            return

        def done(answer: str | None) -> None:
            if answer is None:
                return
            self._problem(messenger.set_away(answer))
            self.app.refresh_status()
            self.app.notify(_("You are away; messages get your away text as a reply"), timeout=3)

        self._ask(
            TextPrompt(
                _("Away message"),
                value=messenger.away_text or messenger.settings.away_text,
                placeholder=_("At lunch, back at 14:00"),
                help=_("Sent as an automatic reply while you are away. F2 again to come back."),
            ),
            done,
        )

    def refresh(self) -> None:
        self.messenger.refresh()
        self.app.notify(_("Asking everyone who is online…"), timeout=2)

    def add_target(self, broadcast: bool) -> None:
        def done(answer: str | None) -> None:
            if not answer:
                return
            try:
                added = self.messenger.add_target(answer, broadcast=broadcast)
            except ConfigError as bad:
                self.app.notify(str(bad), severity="error", markup=False)
                return
            if not self._problem(added.problem):
                self.app.notify(
                    _("Announced to {target}, and saved for next time").format(target=added.text),
                    timeout=3,
                )

        def problem(text: str) -> str | None:  # shown in the dialog, which stays open
            try:
                parse_target(text, self.messenger.settings.port)
            except ConfigError as bad:
                return str(bad)
            return None

        if broadcast:
            prompt = TextPrompt(
                _("Add a broadcast address"),
                placeholder="10.30.1.255",
                help=_("Another subnet's broadcast address (ADDR or ADDR:PORT)"),
                check=problem,
            )
        else:
            prompt = TextPrompt(
                _("Add a host"),
                placeholder="10.20.0.7",
                help=_("A peer beyond the broadcast domain, told about us directly (ADDR[:PORT])"),
                check=problem,
            )
        self._ask(prompt, done)

    def remove_target(self) -> None:
        """Pick a saved host or broadcast address; it is no longer announced to, nor saved."""
        settings = self.messenger.settings
        saved = [(t, False) for t in settings.hosts] + [(t, True) for t in settings.broadcast]
        if not saved:
            self.app.notify(_("No hosts or broadcast addresses added"), timeout=3)
            return

        def done(index: int | None) -> None:
            if index is None:
                return
            text, broadcast = saved[index]
            try:
                problem = self.messenger.remove_target(text, broadcast=broadcast)
            except ConfigError as bad:
                self.app.notify(str(bad), severity="error", markup=False)
                return
            if not self._problem(problem):
                self.app.notify(
                    _("No longer announced to {address}, nor saved").format(address=text),
                    timeout=3,
                    markup=False,
                )

        labels = [
            (_("broadcast  {address}") if b else _("host  {address}")).format(address=t)
            for t, b in saved
        ]
        help_text = _("Peers found through it stay listed until they leave.")
        self.app.push_screen(
            ChoicePrompt(_("Remove a host or broadcast address"), labels, help_text), done
        )

    # ------------------------------------------------------------------ peers

    def peer_encoding(self) -> None:
        contact = self._peer()
        if contact is None:
            return
        key = contact.key

        def done(answer: str | None) -> None:
            if answer is None:
                return
            try:
                codec, problem = self.messenger.set_peer_encoding(key, answer)
            except UnknownCodec:
                self.app.notify(
                    _("Unknown encoding {name}").format(name=repr(answer)),
                    severity="error",
                    markup=False,
                )
                return
            if not self._problem(problem):
                self.app.notify(
                    _("{peer}: {codec} encoding").format(peer=key, codec=codec or _("automatic")),
                    timeout=3,
                    markup=False,
                )

        current = self.messenger.settings.peer_encodings.get(key, "auto")
        self._ask(
            TextPrompt(
                _("Encoding for {name}").format(name=contact.name),
                value=current,
                suggestions=CODECS,
                help=_("auto, utf-8, gb18030 (GBK), cp932 (Shift_JIS), big5, euc-kr …"),
            ),
            done,
        )

    def peer_info(self) -> None:
        contact = self._peer()
        if contact is None:
            return
        messenger = self.messenger
        peer = contact.peer
        keys = self.key_facts(contact)
        if peer is not None and keys.encrypted and messenger.fingerprint(peer.addr) is None:
            messenger.request_key(peer.addr)  # its fingerprint: the dialog shows it when it comes
        key = contact.key
        self.app.push_screen(PeerInfoScreen(contact, keys, lambda: self.app.accept_key(key)))
        if peer is not None:
            messenger.request_info(peer.addr, "version")

    def key_facts(self, contact: Contact) -> KeyFacts:
        """What peer info says of the contact's key, as known now."""
        messenger = self.messenger
        peer = contact.peer
        fingerprint = messenger.fingerprint(peer.addr) if peer is not None else None
        return KeyFacts(
            fingerprint=fingerprint or messenger.pinned_fingerprint(contact.key),
            changed=messenger.changed_key(contact.key),
            encrypted=self.app.encrypts_to(contact),
        )

    def my_fingerprint(self) -> None:
        fingerprint = self.messenger.our_fingerprint()
        if fingerprint is None:
            self.app.notify(
                _("No key of ours: encryption is off, or the keys are still being made"),
                severity="warning",
                timeout=5,
            )
            return
        self.app.notify(
            _("{fingerprint}\nRead it to a peer: it sees the same in its peer info.").format(
                fingerprint=fingerprint
            ),
            title=_("My key fingerprint"),
            timeout=30,
            markup=False,
        )

    def mark_all_read(self) -> None:
        for contact in self.app.roster.contacts.values():
            if contact.unread:
                self.app.store.mark_read(contact.key)
                contact.unread = 0
        self.app.rebuild_sidebar()

    def forget_conversation(self) -> None:
        """Delete the open conversation and its history, after asking (a mistyped
        address's ghost, or a history one wants gone)."""
        contact = self._peer()
        if contact is None:
            return
        key, name = contact.key, contact.name
        count = self.app.store.count(key)

        def done(yes: bool | None) -> None:
            if yes:
                self.messenger.forget_conversation(key)
                self.app.conversation_forgotten(key)
                self.app.notify(
                    _("Forgot the conversation with {name}").format(name=name),
                    timeout=3,
                    markup=False,
                )

        self.app.push_screen(
            Confirm(
                _("Forget the conversation with {name}?").format(name=name),
                ngettext(
                    "Its one message is deleted from the history for good. "
                    "A peer who is online stays in the list.",
                    "Its {count} messages are deleted from the history for good. "
                    "A peer who is online stays in the list.",
                    count,
                ).format(count=count),
                _("Forget"),
            ),
            done,
        )

    def next_unread(self) -> None:
        """ctrl+n: open the next conversation with unread messages (focus stays put)."""
        key = self.app.roster.next_unread(self.app.open_key)
        if key is None:
            self.app.notify(_("No unread messages"), timeout=2)
            return
        self.app.open_conversation(key)
        self.app.peer_list.highlight_key(key)

    def chat_with(self, key: str) -> None:
        self.app.open_conversation(key)
        self.app.peer_list.highlight_key(key)
        self.app.composer.focus()

    # ------------------------------------------------------------------ palette

    def palette(self) -> Iterable[SystemCommand]:
        app = self.app
        away = self.messenger.away
        yield SystemCommand(
            _("Set nick"),
            _("How others see you (now {nick})").format(nick=app.my_nick),
            self.set_nick,
        )
        yield SystemCommand(_("Set group"), _("The group others see you in"), self.set_group)
        if away:
            yield SystemCommand(_("Away off"), _("Come back (F2)"), self.toggle_away)
        else:
            yield SystemCommand(
                _("Away on"), _("Away, with an automatic reply (F2)"), self.toggle_away
            )
        yield SystemCommand(_("Refresh peers"), _("Ask everyone who is online (F5)"), self.refresh)
        yield SystemCommand(
            _("Add host"),
            _("A peer beyond the broadcast domain, remembered in the config"),
            functools.partial(self.add_target, False),
        )
        yield SystemCommand(
            _("Add broadcast address"),
            _("Another subnet to announce to, remembered in the config"),
            functools.partial(self.add_target, True),
        )
        yield SystemCommand(
            _("Remove host…"),
            _("Stop announcing to an added host or broadcast address, and forget it"),
            self.remove_target,
        )
        contact = app.open_contact
        if contact is not None and not contact.is_everyone:
            yield SystemCommand(
                _("Peer info"),
                _("What {name} runs and supports (F3)").format(name=contact.name),
                self.peer_info,
            )
            yield SystemCommand(
                _("Peer encoding"),
                _("The code page for {name}'s messages").format(name=contact.name),
                self.peer_encoding,
            )
            yield SystemCommand(
                _("Forget this conversation"),
                _("Delete the history with {name} (asks first)").format(name=contact.name),
                self.forget_conversation,
            )
            yield SystemCommand(
                _("Do not seal") if app.drafts[contact.key].sealed else _("Seal next message"),
                _("A sealed message must be opened; you see when it is (ctrl+s)"),
                app.action_toggle_seal,
            )
        yield SystemCommand(
            _("My key fingerprint"),
            _("Ours, to compare with what a peer's info shows of us"),
            self.my_fingerprint,
        )
        for changed in app.roster.contacts.values():
            if changed.key_changed:
                yield SystemCommand(
                    _("Accept new key of {name}").format(name=changed.name),
                    _("Only after comparing fingerprints with {name} (F3)").format(
                        name=changed.name
                    ),
                    functools.partial(app.accept_key, changed.key),
                )
        files = app.file_commands
        yield SystemCommand(
            _("Attach file…"),
            _("Files or folders to send with the next message (ctrl+f)"),
            files.attach,
        )
        if app.draft is not None and app.draft.attachments:
            yield SystemCommand(
                _("Remove attachments"), _("Send the next message without them"), files.clear
            )
        yield SystemCommand(
            _("Transfers"),
            _("Uploads and downloads: progress, cancel, retry (ctrl+t)"),
            files.show_transfers,
        )
        yield SystemCommand(
            _("Open download folder path…"),
            _("Where accepted files go: see it, copy it or change it"),
            files.download_folder,
        )
        yield SystemCommand(
            _("Open sealed message"), _("Open one here (ctrl+o)"), app.action_open_sealed
        )
        yield SystemCommand(
            _("Resend undelivered"),
            _("Send failed messages here again (ctrl+r)"),
            app.action_resend_failed,
        )
        yield SystemCommand(
            _("Next unread"),
            _("Open the next conversation with unread messages (ctrl+n)"),
            self.next_unread,
        )
        yield SystemCommand(_("Mark all read"), _("Clear every unread count"), self.mark_all_read)
        yield SystemCommand(
            _("Search history…"),
            _("Find a message in any conversation (ctrl+g)"),
            app.action_search_history,
        )
        yield SystemCommand(
            _("Quote reply"),
            _("Reply quoting the chosen message, or the last one received (q in the messages)"),
            app.action_quote_reply,
        )


class PeerSearch(Provider):
    """``ctrl+p`` then a name: jump to that peer's conversation."""

    def _contacts(self) -> list[Contact]:
        app = self.app
        if not isinstance(app, Searchable):
            return []
        return [c for c in app.roster.contacts.values() if not c.is_everyone]

    def _open(self, key: str) -> None:
        if isinstance(self.app, Searchable):
            self.app.commands.chat_with(key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for contact in self._contacts():
            text = _("Chat with {name} ({key})").format(name=contact.name, key=contact.key)
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    functools.partial(self._open, contact.key),
                    help=_("online") if contact.is_online else _("offline"),
                )
