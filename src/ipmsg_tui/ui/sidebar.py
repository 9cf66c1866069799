"""The sidebar: a filter box over the list of contacts (an OptionList: thousands of rows are
cheap, since it renders lines rather than mounting one widget per peer)."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ..i18n import N_, _
from .model.roster import Contact, Entry, Header, Row

_HEADER_PREFIX = "\0header:"
_NO_MATCHES = _HEADER_PREFIX + "no matches"  # a row nobody can pick


def _is_header(row_id: str) -> bool:
    return row_id.startswith(_HEADER_PREFIX)


def contact_prompt(contact: Contact, width: int = 0, marked: bool = False) -> Content:
    """``● 阿明 pc-01  3``: presence, name, host, unread count; ``☑`` first when marked as a
    recipient. With ``width``, a name too long for it is cut short (…) so that the unread
    count still shows."""
    if contact.is_everyone:
        glyph, glyph_style = "✱", "$accent"
    elif not contact.is_online:
        glyph, glyph_style = "○", "$text-muted"
    elif contact.away:
        glyph, glyph_style = "◐", "$warning"
    else:
        glyph, glyph_style = "●", "$success"
    name = contact.name
    badge = f" {contact.unread} " if contact.unread else ""
    cut = False
    if width and badge:
        # Glyph and space before; space, badge and one cell after (where the list's own "…"
        # goes when the details after the badge do not fit).
        room = max(width - 2 - (len(badge) + 2) - (2 if marked else 0), 1)
        cut = Content(name).cell_length > room
        if cut:
            name = Content(name).truncate(room, ellipsis=True).plain.rstrip()
    parts: list[tuple[str, str] | str] = [("☑ ", "bold $accent")] if marked else []
    parts += [
        (glyph, glyph_style),
        " ",
        (name, "bold" if contact.unread else ""),
    ]
    # The badge comes before the details, so a narrow sidebar never cuts it off.
    if contact.unread:
        parts += [" ", (badge, "bold $text on $error")]
    if contact.key_changed:  # before the details: a narrow sidebar keeps it too
        parts += [" ", (_("⚠ key"), "bold $text-error")]
    if cut:  # no room for the details
        return Content.assemble(*parts)
    if contact.away:
        parts += [" ", (_("away"), "italic $warning")]
    if contact.is_everyone:
        parts += [" ", (_("broadcast"), "$text-muted")]
    elif contact.place and contact.place != contact.name:
        parts += [" ", (contact.place, "$text-muted")]
    return Content.assemble(*parts)


def _look(contact: Contact, marked: bool) -> tuple[object, ...]:
    """Everything :func:`contact_prompt` shows: a prompt is redrawn only when this changes."""
    return (
        contact.name,
        contact.place,
        contact.is_online,
        contact.away,
        contact.unread,
        marked,
        contact.key_changed,
    )


def header_prompt(header: Header) -> Content:
    return Content.assemble((header.label, "bold $text-secondary"), (f" {header.count}", "dim"))


class PeerList(OptionList):
    """Contacts; highlighting one opens its conversation, Enter or a click goes to the input.

    Space (or a click with ctrl, shift or meta) marks a contact as a recipient, a click on a
    group's header marks the whole group (or unmarks it): a message written then goes to
    the open conversation's peer and every marked one, as one message.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", N_("Chat"), tooltip=N_("Write to the selected peer")),
        Binding("tab", "select", N_("Chat"), show=False),
        Binding(
            "slash", "filter", N_("Filter"), tooltip=N_("Filter peers by name, host, group or IP")
        ),
        Binding("escape", "clear_filter", N_("Clear filter"), show=False),
    ]
    HELP = N_(
        """
### The peer list
- **↑ ↓**, click: choose a peer
- **Enter**, **Tab** or typing: write to it
- **/**: filter; Escape clears it
- **Space**, ctrl+click: mark a recipient (a click on a group's header: the whole group)
"""
    )

    class FilterRequested(Message):
        pass

    class ClearFilter(Message):
        """Escape on the list: show everyone again."""

    class MarksChanged(Message):
        """The marked recipients changed (see :attr:`PeerList.marked`)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._row_ids: list[str] = []
        self._prompts: dict[str, Content] = {}
        self._looks: dict[str, tuple[object, ...]] = {}  # what each prompt was made from
        self.type_into: Widget | None = None  # where typing on the list goes
        self.filter_into: Widget | None = None  # where "/" and what follows it go
        self._handing_on = False
        self._rows: list[Row] = []
        self._name_width = 0  # the width prompts were fitted to
        self._contacts: dict[str, Contact] = {}
        self.marked: set[str] = set()  # contact keys marked as recipients

    @property
    def highlighted_key(self) -> str | None:
        option = self.highlighted_option
        if option is None or option.id is None or _is_header(option.id):
            return None
        return option.id

    def show(self, rows: list[Row], keep: str | None) -> None:
        """Show ``rows``, keeping ``keep`` highlighted if it is still listed."""
        self._rows = rows
        width = self._name_width = self.scrollable_content_region.width
        if not rows:  # only a filter leaves nothing (Everyone is always listed otherwise)
            self._show_nothing()
            return
        ids: list[str] = []
        prompts: dict[str, Content] = {}
        looks: dict[str, tuple[object, ...]] = {}
        changed: list[str] = []
        contacts: dict[str, Contact] = {}
        for row in rows:
            if isinstance(row, Entry):
                row_id = row.contact.key
                look = (*_look(row.contact, row_id in self.marked), row.contact.unread and width)
                contacts[row_id] = row.contact
            else:
                row_id, look = _HEADER_PREFIX + row.label, (row.count,)
            if self._looks.get(row_id) == look:
                prompt = self._prompts[row_id]
            else:  # only what changed is drawn again: thousands of rows stay cheap
                changed.append(row_id)
                prompt = (
                    contact_prompt(row.contact, width, row_id in self.marked)
                    if isinstance(row, Entry)
                    else header_prompt(row)
                )
            ids.append(row_id)
            prompts[row_id] = prompt
            looks[row_id] = look
        self._prompts, self._looks, self._contacts = prompts, looks, contacts
        if ids == self._row_ids:  # same rows: only badges, names or marks changed
            for row_id in changed:
                self.replace_option_prompt_at_index(self.get_option_index(row_id), prompts[row_id])
            return
        self._row_ids = ids
        self.set_options(
            Option(prompts[row_id], id=row_id, disabled=_is_header(row_id)) for row_id in ids
        )
        self.highlight_key(keep)

    def _show_nothing(self) -> None:
        if self._row_ids == [_NO_MATCHES]:
            return
        self._row_ids, self._prompts, self._looks = [_NO_MATCHES], {}, {}
        no_matches = Content.styled(_("no matches"), "italic $text-muted")
        self.set_options([Option(no_matches, id=_NO_MATCHES, disabled=True)])

    def action_clear_filter(self) -> None:
        self.post_message(self.ClearFilter())

    def on_resize(self) -> None:
        """Names are fitted to the width: fit them again (only rows with a badge change)."""
        if self._rows and self.scrollable_content_region.width != self._name_width:
            self.show(self._rows, keep=self.highlighted_key)

    def highlight_key(self, key: str | None) -> None:
        """Highlight ``key``'s row, or the first contact if it is not listed."""
        if key is not None and key in self._prompts:
            self.highlighted = self.get_option_index(key)
        elif self.highlighted is None:
            self.highlighted = next(
                (i for i, row_id in enumerate(self._row_ids) if not _is_header(row_id)), None
            )

    # ------------------------------------------------------------------ marks

    def toggle_mark(self, key: str) -> None:
        if key not in self._contacts or self._contacts[key].is_everyone:
            return  # a broadcast already goes to everyone
        self.set_marks({key} - self.marked, self.marked & {key})

    def set_marks(self, add: set[str], remove: set[str] | None = None) -> None:
        """Mark ``add`` and unmark ``remove`` (contact keys), redrawing only their rows."""
        before = set(self.marked)
        self.marked = (self.marked | add) - (remove or set())
        for key in before ^ self.marked:
            contact = self._contacts.get(key)
            if contact is None or key not in self._prompts:
                continue
            width = self._name_width
            prompt = contact_prompt(contact, width, key in self.marked)
            self._prompts[key] = prompt
            self._looks[key] = (*_look(contact, key in self.marked), contact.unread and width)
            self.replace_option_prompt_at_index(self.get_option_index(key), prompt)
        if before != self.marked:
            self.post_message(self.MarksChanged())

    def clear_marks(self) -> None:
        self.set_marks(set(), set(self.marked))

    def _group_of(self, header_index: int) -> set[str]:
        """The contacts listed under the header at ``header_index``."""
        keys: set[str] = set()
        for row_id in self._row_ids[header_index + 1 :]:
            if _is_header(row_id):
                break
            if row_id in self._contacts and not self._contacts[row_id].is_everyone:
                keys.add(row_id)
        return keys

    async def _on_click(self, event: events.Click) -> None:
        index = event.style.meta.get("option")
        if not isinstance(index, int) or not 0 <= index < len(self._row_ids):
            await super()._on_click(event)
            return
        row_id = self._row_ids[index]
        if _is_header(row_id):
            group = self._group_of(index)
            if group <= self.marked:  # all marked: a second click unmarks them
                self.set_marks(set(), group)
            else:
                self.set_marks(group)
            event.stop()
            return
        if event.ctrl or event.shift or event.meta:
            self.toggle_mark(row_id)
            event.stop()
            return
        await super()._on_click(event)

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        """Up from the top row goes to the filter box (OptionList would wrap around)."""
        if not self._step(-1):
            self.post_message(self.FilterRequested())

    def _step(self, direction: int) -> bool:
        """Highlight the next contact that way, skipping headers; False at the end."""
        index = (self.highlighted if self.highlighted is not None else -1) + direction
        while 0 <= index < self.option_count:
            if not self.options[index].disabled:
                self.highlighted = index
                return True
            index += direction
        return False

    def action_filter(self) -> None:
        self.post_message(self.FilterRequested())

    def on_key(self, event: events.Key) -> None:
        """Typing on the list writes to the peer: the keys go to ``type_into``; "/" moves to
        ``filter_into``, and what is typed after it filters.

        Keys reach the list already queued, so the ones after the first printable key (the
        rest of a fast burst, its Enter) are handed back to the app too, in order; the app
        sends them on to the widget that has the focus by then.
        """
        if self._handing_on:
            target, resend = None, True
        elif event.key == "space":
            event.stop()
            event.prevent_default()
            if self.highlighted_key is not None:
                self.toggle_mark(self.highlighted_key)
            return
        elif event.character == "/" and self.filter_into is not None:
            target, resend = self.filter_into, False
        elif event.is_printable and event.character and self.type_into is not None:
            target, resend = self.type_into, True
        else:
            return
        event.stop()
        event.prevent_default()
        if target is not None:
            self._handing_on = True
            self.screen.set_focus(target)
        if resend:
            self.app.post_message(events.Key(event.key, event.character))

    def on_focus(self) -> None:
        self._handing_on = False


class PeerFilter(Input):
    """Narrows the list as you type; Enter or Down moves into it, Escape clears."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "leave", N_("To list"), show=False),
        Binding("escape", "clear", N_("Clear filter")),
    ]

    class Leave(Message):
        def __init__(self, choose: bool) -> None:
            super().__init__()
            self.choose = choose

    def action_leave(self) -> None:
        self.post_message(self.Leave(choose=False))

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Leave(choose=False))


class Sidebar(Vertical):
    """The filter box and the list; it owns nothing but the view."""

    class FilterChanged(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def compose(self) -> ComposeResult:
        yield PeerFilter(placeholder=_("/ filter"), id="peer-filter", compact=True)
        yield PeerList(id="peers")

    def on_mount(self) -> None:
        self.peer_list.filter_into = self.filter_box

    @property
    def peer_list(self) -> PeerList:
        return self.query_one(PeerList)

    @property
    def filter_box(self) -> PeerFilter:
        return self.query_one(PeerFilter)

    @on(Input.Changed, "#peer-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.FilterChanged(event.value))

    @on(Input.Submitted, "#peer-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.peer_list.focus()
        # Run in the list's own context: a message a widget posts from here would not
        # bubble past this container (Textual stops messages at their sender).
        self.peer_list.call_later(self.peer_list.action_select)

    @on(PeerFilter.Leave)
    def _leave_filter(self, event: PeerFilter.Leave) -> None:
        event.stop()
        self.peer_list.focus()

    @on(OptionList.OptionSelected, "#peers")
    def _picked(self) -> None:
        """A peer was picked: the filter has done its job (the app opens the peer too)."""
        self.filter_box.value = ""

    @on(PeerList.ClearFilter)
    def _clear_filter(self, event: PeerList.ClearFilter) -> None:
        event.stop()
        self.filter_box.value = ""

    @on(PeerList.FilterRequested)
    def _focus_filter(self, event: PeerList.FilterRequested) -> None:
        event.stop()
        self.filter_box.focus()
