"""The rating panel: the selected item's rubric dimensions, their current scores, and the cursor."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from practicum.evaluation.rubric import Dimension


def rubric_text(title: str, dimensions: list[Dimension], scores: dict[str, float], current: int,
                suggestions: dict[str, float] | None = None) -> Text:
    """A title with the current dimension's help, then one line per dimension: cursor, label, dots, score,
    and the judge's suggested score (if any) after it.

    The stylesheet keeps each line to one row (cut with an ellipsis): the panel is as tall as the rubric.
    """
    text = Text()
    text.append(title, style="bold")
    if dimensions and 0 <= current < len(dimensions) and dimensions[current].help:
        text.append(f"  {dimensions[current].help}", style="italic")
    if not dimensions:
        text.append("\nNothing to rate here.", style="dim")
        return text
    width = max(len(d.label) for d in dimensions)
    for i, dim in enumerate(dimensions):
        selected = i == current
        score = scores.get(dim.name)
        text.append("\n")
        text.append("▸ " if selected else "  ", style="bold yellow")
        text.append(dim.label.ljust(width), style="bold" if selected else "")
        text.append("  ")
        for value in range(dim.low, dim.high + 1):
            filled = score is not None and value <= score
            text.append("●" if filled else "○", style="green" if filled else "dim")
        text.append(f" {score:g}" if score is not None else " –", style="bold green" if score is not None else "dim")
        if dim.low != 1:
            text.append(f"  ({dim.low}-{dim.high})", style="dim")
        if suggestions and suggestions.get(dim.name) is not None:
            text.append(f"  judge {suggestions[dim.name]:g}", style="italic blue")
    return text


class RubricPanel(Static):
    """Shows the rubric of the item under the cursor; the screen owns the state and calls `show`."""

    def show(self, title: str, dimensions: list[Dimension], scores: dict[str, float], current: int,
             suggestions: dict[str, float] | None = None) -> None:
        """Redraw for an item (with a judge's suggested scores, shown apart from the rater's)."""
        self.update(rubric_text(title, dimensions, scores, current, suggestions))
