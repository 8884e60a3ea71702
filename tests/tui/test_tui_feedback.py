"""Per-turn feedback in practice: a line under each teacher turn, computed beside the student and stored as ratings."""

from __future__ import annotations

import time

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.config import load_settings
from practicum.storage.practice_queries import judge_turn_scores
from practicum.tui.app import make_app
from tests.tui.stand_ins import FailingJudge, RuleClassifier, RuleJudge, SlowJudge
from tests.tui.steps import say, start_practice, wait_until

pytestmark = pytest.mark.anyio


def lines(app):
    """The feedback lines of the practice screen, as plain text by turn index."""
    return {line.turn_idx: str(line.render()) for line in app.screen.query("FeedbackLine")}


async def test_feedback_line_under_each_teacher_turn_and_stored_as_judge_ratings(store):
    student = ScriptedBackend(["I added 3 and 4 to get 7.", "Twelfths? So 4/12 and 3/12?"])
    judge = RuleJudge()
    app = make_app(store, lambda spec: student, rater="ana", judge=judge, classifier=RuleClassifier())
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, "What did you do with the bottom numbers?")
        await say(pilot, "Let's cut both into twelfths. 1/3 + 1/4 = 7/12.")
        shown = lines(app)
        session_id = app.screen.session_id
    assert sorted(shown) == [0, 2]
    assert shown[0] == "↳ probing · points at the mistake · keeps the answer back · guides the student · clear next step"
    assert shown[2] == ("↳ telling · misses the mistake · revealed the answer · some guidance · no clear next step")
    rows = judge_turn_scores(store, [session_id], judge.rater)
    by_turn = {(r["turn_idx"], r["dimension"]): r["score"] for r in rows}
    # stored under the review rubric's names and scales (1-5), revealing on 0-2: review and agreement read them
    assert by_turn[(0, "mistake_identification")] == 5 and by_turn[(0, "actionability")] == 5
    assert by_turn[(2, "guidance")] == 1 and by_turn[(2, "revealing_of_the_answer")] == 0
    assert {r["turn_idx"] for r in rows} == {0, 2}
    turns = store.get_session(session_id)["turns"]
    assert [t["predicted_move"] for t in turns] == ["probing", None, "telling", None]
    assert store.get_session(session_id)["metadata"]["trainee"] == "ana"
    # the judge saw only what came before each turn, and the scenario's answer
    contexts, responses = judge.calls[1]
    # the judge reads MRBench's opening (the request and the student's attempt), then the session so far
    assert [t.role for t in contexts[0][:2]] == ["teacher", "student"]
    assert [t.text for t in contexts[0][2:]] == ["What did you do with the bottom numbers?", "I added 3 and 4 to get 7."]


async def test_the_student_answers_while_a_slow_judge_is_still_thinking(store):
    student = ScriptedBackend(["I added the bottoms."])
    judge = SlowJudge()
    app = make_app(store, lambda spec: student, rater="ana", judge=judge)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, "What did you do with the bottom numbers?", wait_all=False)
        # the student's reply is on screen and stored while the judge has not answered
        session_id = app.screen.session_id
        assert judge.started.is_set() and not judge.release.is_set()
        assert [t["role"] for t in store.get_session(session_id)["turns"]] == ["teacher", "student"]
        student_seen = time.monotonic()
        assert lines(app)[0] == "↳ checking this turn…"
        assert judge_turn_scores(store, [session_id], judge.rater) == []
        judge.release.set()
        await wait_until(pilot, lambda: app.screen.query_one("FeedbackLine").ready, what="the feedback")
        assert "points at the mistake" in lines(app)[0]
    assert student_seen < judge.finished_at[0]
    assert {r["turn_idx"] for r in judge_turn_scores(store, [session_id], judge.rater)} == {0}


async def test_ctrl_f_hides_the_feedback_but_it_is_still_stored(store, notes):
    student = ScriptedBackend(["I added them.", "Same size pieces?"])
    judge = RuleJudge()
    app = make_app(store, lambda spec: student, rater="ana", judge=judge)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, "Where is the mistake?")
        line = app.screen.query_one("FeedbackLine")
        assert line.display
        await pilot.press("ctrl+f")
        assert not line.display and any("Feedback hidden" in m for m in notes(app))
        await say(pilot, "Are the pieces the same size?")
        assert [w.display for w in app.screen.query("FeedbackLine")] == [False, False]
        session_id = app.screen.session_id
    assert load_settings()["practice_feedback"] is False  # remembered
    assert {r["turn_idx"] for r in judge_turn_scores(store, [session_id], judge.rater)} == {0, 2}
    again = make_app(store, lambda spec: student, rater="ana")
    assert again.feedback_on is False


async def test_without_judge_and_classifier_there_is_no_line_and_one_notice(store, notes):
    app = make_app(store, lambda spec: ScriptedBackend(["I added them."]), rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, "What did you do?")
        assert len(app.screen.query("FeedbackLine")) == 0
        assert [m for m in notes(app) if m.startswith("No feedback here")] == [
            "No feedback here: no judge (no judge given); no move classifier (no move classifier given)."]


async def test_a_failing_judge_is_shown_on_the_line_and_practice_goes_on(store):
    student = ScriptedBackend(["I added them.", "Oh."])
    app = make_app(store, lambda spec: student, rater="ana", judge=FailingJudge())
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, "What did you do?")
        assert lines(app)[0] == "↳ feedback failed: judge exploded"
        await say(pilot, "And then?")
        assert len(app.screen.query("TurnCard")) == 4
