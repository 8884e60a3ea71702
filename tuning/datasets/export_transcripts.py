"""Whole transcripts in the dialogue-list format that `practicum import` reads: the lossless exchange format.

One row per session: `{"scenario": {...}, "dialogue": [{"role", "content", "move"?}], "meta": {...}}`.
Nothing is rendered or weighted; it carries the scenario and teacher-move labels, so exporting and
importing again restores the same scenario and turns, and other tools can read it as plain JSON.
"""

from __future__ import annotations

from practicum.tuning.datasets.examples import ExportRow, TurnExample
from practicum.tuning.datasets.selection import ExportFilters, SessionData


def dialogue_rows(items: list[tuple[SessionData, list[TurnExample]]], filters: ExportFilters, settings) -> list[ExportRow]:
    """One row per kept session with every turn as said."""
    rows = []
    for session, examples in items:
        dialogue = []
        for turn in session.turns:
            item = {"role": turn.role, "content": turn.text}
            if turn.move:
                item["move"] = turn.move
            dialogue.append(item)
        data = {"scenario": session.scenario.model_dump(), "dialogue": dialogue,
                "meta": {"session_id": session.session_id, "source": session.source}}
        rows.append(ExportRow(session.scenario.id, session.session_id, data,
                              learned=sum(1 for e in examples if e.learned), meta=data["meta"]))
    return rows
