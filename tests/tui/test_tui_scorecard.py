"""The scorecard after practice: judge, moves and MathDial outcomes beside MathDial's teachers; turns to revisit."""

from __future__ import annotations

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.evaluation.reference import load_reference
from practicum.storage.practice_queries import judge_turn_scores
from practicum.tui.app import make_app
from tests.tui.conftest import add_session
from tests.tui.stand_ins import RuleClassifier, RuleJudge
from tests.tui.steps import end_session, say, shown_text, start_practice

pytestmark = pytest.mark.anyio


def revisit_items(screen) -> list[str]:
    """The turns offered for revisiting, as plain text."""
    options = screen.query_one("#revisit")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_scorecard_after_practice_beside_mathdial_and_revisit_opens_review(store):
    reference = load_reference()
    assert reference is not None, "the shipped MathDial reference (evaluation/artifacts) is missing"
    student = ScriptedBackend(["I added 3 and 4 to get 7.", "So it is 7/12?", "Thanks!"])
    app = make_app(store, lambda spec: student, rater="ana", judge=RuleJudge(), classifier=RuleClassifier())
    async with app.run_test(size=(120, 40)) as pilot:
        await start_practice(pilot)
        await say(pilot, "What did you do with the bottom numbers?")  # probing, points at the mistake
        await say(pilot, "The answer is 7/12.")                      # telling, reveals the answer
        await say(pilot, "Good job.")                                # generic, no next step
        session_id = app.screen.session_id
        await end_session(pilot)
        screen = app.screen
        assert type(screen).__name__ == "ScorecardScreen"
        text = shown_text(screen)
        success3 = reference["measures"]["success@3"]["mean"]
        telling = reference["measures"]["move_share.telling"]["mean"]
        assert "3 teacher, 3 student" in text
        assert "Points at the mistake" in text and "33%" in text  # 1 of 3 turns
        assert "Keeps the answer back" in text and "67%" in text  # 2 of 3
        assert f"{telling:.0%}" in text and f"{success3:.0%}" in text  # MathDial's teachers, from the shipped file
        assert "▼ worse" in text  # telling share 33% against MathDial's 18%
        items = revisit_items(screen)
        assert items[0].startswith("turn 2  telling move, misses the mistake, revealed the answer")
        assert items[1].startswith("turn 4") and "no clear next step" in items[1]
        assert all(not item.startswith("turn 0") for item in items)
        await pilot.press("enter")  # the first turn worth revisiting
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen"
        assert app.screen.session_id == session_id and app.screen.current_turn_idx() == 2
    metrics = {r["name"]: r["value"] for r in store.query("select name, value from metrics where session_id = ?",
                                                          [session_id])}
    assert metrics["move_share.telling"] == pytest.approx(1 / 3) and metrics["telling@1"] == 1.0


async def test_scorecard_judges_turns_the_feedback_did_not_reach(store, scenario):
    session_id = add_session(store, scenario, [("teacher", "Where is your mistake?"), ("student", "The bottoms?"),
                                               ("teacher", "It is 7/12.")])
    judge = RuleJudge()
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana", judge=judge)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.show_summary(session_id)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Points at the mistake" in shown_text(app.screen)
        app.show_summary(session_id)  # a second time: nothing is judged twice
        await pilot.pause()
        await app.workers.wait_for_complete()
    assert {r["turn_idx"] for r in judge_turn_scores(store, [session_id], judge.rater)} == {0, 2}
    assert len(judge.calls) == 1 and len(judge.calls[0][1]) == 2


async def test_scorecard_without_judge_or_reference_says_what_is_missing(store, scenario, monkeypatch):
    monkeypatch.setattr("practicum.tui.app.PracticumApp.reference", lambda self: None)
    session_id = add_session(store, scenario, [("teacher", "Where is your mistake?"), ("student", "It is 7/12.")])
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.show_summary(session_id)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = shown_text(app.screen)
        assert "success@1" in text and "yes" in text  # the student stated 7/12 in their first turn
        assert "This scorecard has no judge (no judge given)." in text
        assert "No MathDial reference numbers here" in text
        await pilot.press("c")
        assert type(app.screen).__name__ == "ScorecardScreen"  # not a branch: nothing to compare
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "BrowserScreen"
