"""The `?` screen: every key of the screen it was opened from, with what it does."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "Esc", "enter": "Enter", "up": "↑", "down": "↓",
             "left": "←", "right": "→", "pageup": "PgUp", "pagedown": "PgDn"}


def key_label(keys: str) -> str:
    """'j,down' -> 'j / ↓'."""
    return " / ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


class KeysScreen(ModalScreen[None]):
    """A table of keys; any of Escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, title: str, keys: list[tuple[str, str]], note: str = ""):
        """`keys` are (key, description) pairs."""
        super().__init__()
        self.title_text = title
        self.keys = keys
        self.note = note

    def compose(self) -> ComposeResult:
        """Title, table and note."""
        table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        table.add_column(style="bold yellow", no_wrap=True)
        table.add_column()
        for keys, description in self.keys:
            table.add_row(key_label(keys), description)
        with Vertical(classes="dialog keys-dialog"):
            yield Label(f"{self.title_text}  [dim](Esc, q or ? closes)[/dim]", classes="dialog-title")
            with VerticalScroll():
                yield Static(table)
                if self.note:
                    yield Static(self.note, classes="dialog-hint")

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)


def keys_of(screen) -> list[tuple[str, str]]:
    """The (key, description) pairs of a screen's visible and hidden bindings that have descriptions."""
    pairs = []
    for binding in screen.BINDINGS:
        if isinstance(binding, Binding) and binding.description:
            pairs.append((binding.key, binding.tooltip or binding.description))
    return pairs
