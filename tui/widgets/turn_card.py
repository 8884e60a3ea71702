"""A turn shown as a chat bubble: who spoke, the teacher move, tokens, latency, current scores, and a judge's
suggested scores (in their own colour, never mixed with a person's)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from practicum.storage.rating_queries import COMMENT
from practicum.evaluation.rubric import Dimension

ROLE_STYLE = {"teacher": "bold cyan", "student": "bold magenta"}


def turn_header(turn: dict, student_name: str = "") -> Text:
    """'Teacher · focus · 12+30 tok · 1.2s' for a stored turn row."""
    role = turn["role"]
    label = "Teacher" if role == "teacher" else (f"Student ({student_name})" if student_name else "Student")
    header = Text()
    header.append(label, style=ROLE_STYLE.get(role, "bold"))
    details = []
    if turn.get("move"):
        details.append(turn["move"] + (f" ({turn['move_source']})" if turn.get("move_source") else ""))
    elif turn.get("predicted_move"):
        details.append(f"{turn['predicted_move']} (predicted)")
    tokens = (turn.get("prompt_tokens") or 0, turn.get("completion_tokens") or 0)
    if any(tokens):
        details.append(f"{tokens[0]}+{tokens[1]} tok")
    if turn.get("latency_ms"):
        details.append(f"{turn['latency_ms'] / 1000:.1f}s")
    if turn.get("model") and turn["model"] != "human":
        details.append(turn["model"])
    if details:
        header.append("  " + " · ".join(details), style="dim")
    return header


def scores_line(dimensions: list[Dimension], ratings: dict[str, dict]) -> Text | None:
    """'Mistake identification 4 · Coherence 3' from one rater's current ratings of an item."""
    parts = [f"{d.label} {ratings[d.name]['score']:g}" for d in dimensions
             if d.name in ratings and ratings[d.name]["score"] is not None]
    line = Text()
    line.append(" · ".join(parts), style="green")
    if ratings.get(COMMENT, {}).get("comment"):
        if parts:
            line.append("\n")
        line.append(f"comment: {ratings[COMMENT]['comment']}", style="italic yellow")
    return line if line.plain else None


def student_state_line(turn: dict) -> Text | None:
    """'state: stuck (the profile's misconception) · gate: 2 of 4 refused (premature_answer)' for a student turn."""
    metadata = turn.get("metadata") or {}
    knowledge, gate = metadata.get("knowledge"), metadata.get("gate")
    parts = []
    if knowledge:
        parts.append(f"state: {knowledge.get('stage', '?')} ({knowledge.get('reason', '')})")
    if gate:
        defects = sorted({d for r in gate.get("rejected", []) for d in r.get("defects", [])})
        refused = len(gate.get("rejected", []))
        text = f"gate: {refused} of {gate.get('candidates', 0)} refused" + (f" ({', '.join(defects)})" if defects else "")
        parts.append(text + ("; fell back to a line from the state" if gate.get("fallback") else ""))
    return Text(" · ".join(parts), style="dim italic") if parts else None


def suggestions_line(dimensions: list[Dimension], suggestions: dict[str, dict], judge: str = "") -> Text | None:
    """'judge suggests: Mistake identification 5 · Coherence 3' from a judge's ratings of a turn."""
    parts = [f"{d.label} {suggestions[d.name]['score']:g}" for d in dimensions
             if d.name in suggestions and suggestions[d.name]["score"] is not None]
    if suggestions.get("revealing_of_the_answer", {}).get("score") == 0:
        parts.append("reveals the answer")
    if not parts:
        return None
    line = Text()
    line.append(f"{judge or 'judge'} suggests: ", style="italic dim")
    line.append(" · ".join(parts), style="italic blue")
    return line


class TurnCard(Static):
    """One turn of a transcript; the screen marks the selected one with the `-selected` class."""

    def __init__(self, turn: dict, student_name: str = "", *, show_state: bool = False, **kwargs):
        """Show `turn` (a stored turn row, or one shaped like it); `show_state` adds the student's state line."""
        super().__init__(**kwargs)
        self.turn = turn
        self.student_name = student_name
        self.show_state = show_state  # review shows it; practice does not give the simulation away to a trainee
        self.add_class(f"-{turn['role']}")
        self.set_scores([], {})

    def set_scores(self, dimensions: list[Dimension], ratings: dict[str, dict],
                   suggestions: dict[str, dict] | None = None, judge: str = "") -> None:
        """Redraw with the current scores of this turn (dimension name -> rating row) and a judge's suggestions."""
        body = turn_header(self.turn, self.student_name)
        body.append("\n")
        body.append(self.turn["text"])
        state = student_state_line(self.turn) if self.show_state and self.turn.get("role") == "student" else None
        for line in (state, scores_line(dimensions, ratings), suggestions_line(dimensions, suggestions or {}, judge)):
            if line is not None:
                body.append("\n")
                body.append_text(line)
        self.update(body)


class SessionCard(Static):
    """The last item of a transcript: the session as a whole, rated overall and commented."""

    def __init__(self, summary: str, **kwargs):
        """Show a one-line summary of how the session ended."""
        super().__init__(**kwargs)
        self.summary = summary
        self.set_scores([], {})

    def set_scores(self, dimensions: list[Dimension], ratings: dict[str, dict]) -> None:
        """Redraw with the session-level scores."""
        body = Text()
        body.append("Whole session", style="bold")
        body.append("  " + self.summary, style="dim")
        line = scores_line(dimensions, ratings)
        if line is not None:
            body.append("\n")
            body.append_text(line)
        self.update(body)
