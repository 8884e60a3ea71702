"""Judge rows join a comparison the way its metrics were compared: paired, or as independent samples."""

from __future__ import annotations

import pytest

from practicum.evaluation.reports import compare
from practicum.records import Turn
from practicum.tuning.loop_report import add_judge_rows

RATER = "judge:test@1"


def _judged(store, scenario, guidance: float) -> int:
    turns = [Turn(0, "teacher", "What did you do with the bottoms?"), Turn(1, "student", "I added them.")]
    session = store.import_transcript(scenario, turns, source="test")
    store.add_rating(session, rater=RATER, dimension="guidance", score=guidance, turn_idx=0)
    return session


def test_unpaired_sessions_get_independent_sample_judge_rows(store, scenario):
    ids_a = [_judged(store, scenario, score) for score in (1, 1, 2, 1)]
    ids_b = [_judged(store, scenario, score) for score in (5, 4, 5, 5, 4)]
    comparison = compare(store, ids_a, ids_b, classifier=None, paired="no")
    assert not comparison.paired
    assert add_judge_rows(comparison, store, ids_a, ids_b, RATER) == 1
    row = next(r for r in comparison.metrics if r.name == "judge.guidance")
    assert not row.paired and (row.n_a, row.n_b, row.n_pairs) == (4, 5, 0)
    assert row.mean_a == pytest.approx(1.25) and row.mean_b == pytest.approx(4.6)
    assert row.difference == pytest.approx(3.35) and row.ci_low > 0 and row.p_value < 0.05


def test_a_dimension_nobody_judged_adds_no_row(store, scenario):
    ids_a, ids_b = [_judged(store, scenario, 1)], [_judged(store, scenario, 5)]
    comparison = compare(store, ids_a, ids_b, classifier=None, paired="no")
    add_judge_rows(comparison, store, ids_a, ids_b, RATER)
    assert [r.name for r in comparison.metrics if r.name.startswith("judge.")] == ["judge.guidance"]
