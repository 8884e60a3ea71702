"""The small line under a teacher turn in practice: its move and the judge's dimensions in plain words."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from practicum.evaluation.turn_feedback import BAD, GOOD, PARTLY, TurnFeedback

TONE_STYLE = {GOOD: "green", PARTLY: "yellow", BAD: "red"}


def feedback_text(feedback: TurnFeedback | None, note: str = "", brief: bool = True) -> Text:
    """'↳ probing · points at the mistake · keeps the answer back · no clear next step' (coloured by tone)."""
    text = Text("↳ ", style="dim")
    if feedback is None:
        text.append(note or "checking this turn…", style="dim italic")
        return text
    parts: list[tuple[str, str]] = []
    if feedback.move:
        parts.append((feedback.move, "bold cyan" if feedback.move != "telling" else "bold red"))
    parts += [(words, TONE_STYLE[tone]) for words, tone in feedback.phrases(brief)]
    if feedback.error:
        parts.append((f"judge failed: {feedback.error}", "dim red"))
    if not parts:
        text.append(note or "no feedback on this turn", style="dim italic")
        return text
    for i, (words, style) in enumerate(parts):
        if i:
            text.append(" · ", style="dim")
        text.append(words, style=style)
    return text


class FeedbackLine(Static):
    """Feedback on one teacher turn; starts as 'checking…' and is filled in when the worker answers."""

    def __init__(self, turn_idx: int, feedback: TurnFeedback | None = None, note: str = "", **kwargs):
        """A line for the teacher turn `turn_idx` (pending until `show` is called, unless `feedback` is given)."""
        super().__init__(feedback_text(feedback, note), **kwargs)
        self.turn_idx = turn_idx
        self.feedback = feedback
        self.ready = feedback is not None

    def show(self, feedback: TurnFeedback | None, note: str = "") -> None:
        """Fill in the feedback (or say why there is none)."""
        self.feedback = feedback
        self.ready = True
        self.update(feedback_text(feedback, note))
