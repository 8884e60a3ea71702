"""Cells of the browser's tables: a turn number 0 is shown, long text is cut with an ellipsis."""

from __future__ import annotations

from practicum.tui.widgets.session_rows import hit_cells, hit_columns, short


def test_turn_zero_is_shown_in_search_hits():
    row = {"session_id": 3, "idx": 0, "role": "teacher", "scenario_id": "fractions", "text": "What is 1/2?"}
    cells = hit_cells(row, hit_columns(120))
    assert cells[:3] == ["3", "0", "teacher"]


def test_short_cuts_with_an_ellipsis_and_keeps_blank_for_none():
    assert short("a  b\nc", 10) == "a b c"
    assert short("abcdefghij", 5) == "abcd…"
    assert short(None, 5) == "" and short(0, 5) == "0"
