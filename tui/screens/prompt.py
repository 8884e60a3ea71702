"""A modal that asks for one line of text (a rater's name, a comment) and returns it, or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class TextPromptScreen(ModalScreen[str | None]):
    """Ask one question; Enter answers, Escape cancels. Empty answers are refused with a notification."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, *, value: str = "", placeholder: str = "", empty_message: str = ""):
        """`empty_message` is shown when the user submits nothing."""
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.empty_message = empty_message or "Type something first, or press Escape to cancel."

    def compose(self) -> ComposeResult:
        """A question above an input."""
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label("Enter to save · Escape to cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Return the answer, unless it is empty."""
        event.stop()
        text = event.value.strip()
        if not text:
            self.notify(self.empty_message, severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)
