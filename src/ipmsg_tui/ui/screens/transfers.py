"""The transfers panel (ctrl+t): every upload and download of this session, newest first,
with progress, speed, time left and state; cancel, retry, forget, copy where it is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Protocol

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Label, ProgressBar, Static

from ...net.transfers import Direction, Transfer, TransferState
from ..model.paths import tilde
from ..model.timefmt import file_size
from ..model.transfertext import arrow, state_text

EMPTY = (
    "No transfers yet. Attach files or folders with ctrl+f; files offered to you appear in "
    "the chat, where Enter accepts them."
)


class TransferActions(Protocol):
    """What the panel's keys do (the app's file commands)."""

    def cancel(self, transfer: Transfer) -> None: ...
    def retry(self, transfer: Transfer) -> None: ...
    def forget(self, transfer: Transfer) -> None: ...
    def show_path(self, transfer: Transfer) -> None: ...


def title_line(transfer: Transfer) -> Content:
    """``⇣ report.pdf  from 阿明 · 2.3 MB``"""
    way = "from" if transfer.direction == Direction.IN else "to"
    size = "folder" if transfer.is_folder else ""
    if transfer.total:
        size = f"{size} · {file_size(transfer.total)}" if size else file_size(transfer.total)
    return Content.assemble(
        (f"{arrow(transfer)} ", "bold $text-accent"),
        (transfer.name, "bold"),
        (f"  {way} {transfer.peer_name}", "$text-muted"),
        (f" · {size}" if size else "", "$text-muted"),
    )


class TransferRow(Widget, can_focus=True):
    """Two lines: what and with whom, with its bar; then its state (path, speed or error)."""

    DEFAULT_CSS = """
    TransferRow {
        height: auto;
        padding: 0 1;
        &:focus { background: $block-hover-background; }
        & > Horizontal { height: 1; }
        & #what { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
        & ProgressBar { width: auto; margin-left: 1; }
        & #state { width: 1fr; padding-left: 2; }
        &.-failed Bar > .bar--bar { color: $error; }
        &.-cancelled Bar > .bar--bar { color: $warning; }
    }
    """

    def __init__(self, transfer: Transfer) -> None:
        super().__init__(id=f"transfer-{transfer.id}")
        self.transfer = transfer
        # Kept, not queried: a row may be told of progress before or after it is composed.
        self._what = Label(id="what")
        self._bar = ProgressBar(total=100, show_eta=False, id="bar")
        self._state = Label(id="state")
        self.summary = ""  # what the row says, as plain text

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield self._what
            yield self._bar
        yield self._state

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        transfer = self.transfer
        title = title_line(transfer)
        self._what.update(title)
        self._bar.update(total=100, progress=(transfer.fraction or 0.0) * 100)
        text, style = state_text(transfer)
        if transfer.state == TransferState.DONE and transfer.direction == Direction.OUT:
            text = f"{text} · {tilde(transfer.path or '')}"
        self._state.update(Content.styled(text, style))
        self.summary = f"{title.plain} | {text}"
        for state in TransferState:
            self.set_class(transfer.state == state, f"-{state.value}")


class TransfersScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,ctrl+t", "close", "Back"),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("down", "move(1)", "Next", show=False),
        Binding("c", "cancel", "Cancel", tooltip="Stop this transfer (both sides see it end)"),
        Binding("r", "retry", "Retry", tooltip="Download again, resuming where possible"),
        Binding("f", "forget", "Forget", tooltip="Remove a finished transfer from the list"),
        Binding("enter,p", "show_path", "Path", tooltip="Show and copy where the file is"),
    ]

    def __init__(self, transfers: Iterable[Transfer], actions: TransferActions, where: str):
        super().__init__()
        self.initial = list(transfers)
        self.actions = actions
        self.where = where

    def compose(self) -> ComposeResult:
        yield Static(id="transfers-title")
        with VerticalScroll(id="transfer-rows"):
            yield Static(EMPTY, id="transfers-empty")
            for transfer in reversed(self.initial):
                yield TransferRow(transfer)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._retitle()
        rows = self.query(TransferRow)
        if rows:
            rows.first().focus()

    @property
    def rows(self) -> list[TransferRow]:
        return list(self.query(TransferRow))

    def _retitle(self) -> None:
        transfers = [row.transfer for row in self.rows]
        running = sum(1 for t in transfers if not t.state.finished)
        parts: list[tuple[str, str] | str] = [("Transfers", "bold")]
        if running:
            parts.append((f" · {running} running", "$text-accent"))
        parts.append((f" · downloads go to {tilde(self.where)}", "$text-muted"))
        self.query_one("#transfers-title", Static).update(Content.assemble(*parts))
        self.query_one("#transfers-empty").display = not transfers

    def changed(self, transfers: Iterable[Transfer]) -> None:
        """Transfers that moved on, or are new."""
        transfers = list(transfers)
        if not self.query("#transfer-rows"):  # pushed, not composed yet: after that
            self.call_after_refresh(self.changed, transfers)
            return
        for transfer in transfers:
            found = self.query(f"#transfer-{transfer.id}")
            if found:
                row = found.first(TransferRow)
                row.show()
            else:
                container = self.query_one("#transfer-rows")
                container.mount(TransferRow(transfer), after=self.query_one("#transfers-empty"))
        self._retitle()

    def _focused_row(self) -> TransferRow | None:
        return self.focused if isinstance(self.focused, TransferRow) else None

    def action_move(self, step: int) -> None:
        rows = self.rows
        if not rows:
            return
        current = self._focused_row()
        index = rows.index(current) + step if current in rows else 0
        rows[max(0, min(index, len(rows) - 1))].focus()

    def action_cancel(self) -> None:
        row = self._focused_row()
        if row is not None:
            self.actions.cancel(row.transfer)

    def action_retry(self) -> None:
        row = self._focused_row()
        if row is not None:
            self.actions.retry(row.transfer)

    def action_forget(self) -> None:
        row = self._focused_row()
        if row is None:
            return
        if not row.transfer.state.finished:
            self.notify("Cancel it first (c): only finished transfers can be forgotten", timeout=3)
            return
        self.action_move(1 if row is not self.rows[-1] else -1)
        self.actions.forget(row.transfer)
        row.remove()
        self.call_after_refresh(self._retitle)

    def action_show_path(self) -> None:
        row = self._focused_row()
        if row is not None:
            self.actions.show_path(row.transfer)

    def action_close(self) -> None:
        self.dismiss(None)
