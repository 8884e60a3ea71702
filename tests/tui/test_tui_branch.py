"""Branch and replay: `b` on a teacher turn in review practises it again as a new session; the two compare side by side."""

from __future__ import annotations

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.runner import SessionRunner
from practicum.agents.session import HumanSpeaker, SessionOptions
from practicum.agents.speakers import SpeakerBuilder
from practicum.storage.practice_queries import branch_children, judge_turn_scores
from practicum.tui.app import make_app
from tests.tui.stand_ins import RuleClassifier, RuleJudge
from tests.tui.steps import end_session, say, shown_text, start_practice

pytestmark = pytest.mark.anyio


async def open_branch(pilot, session_id: int, turn_idx: int):
    """Open a session in review, move to `turn_idx`, press b, wait for the student."""
    app = pilot.app
    app.open_review(session_id, turn_idx=turn_idx)
    await pilot.pause()
    await pilot.press("b")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_branch_from_a_teacher_turn_new_session_rows_and_side_by_side(store):
    student = ScriptedBackend(["I added 3 and 4 to get 7.", "Twelfths?", "The thirds are bigger.", "Twelfths!"])
    judge = RuleJudge()
    app = make_app(store, lambda spec: student, rater="ana", student_spec="scripted", judge=judge,
                   classifier=RuleClassifier())
    async with app.run_test(size=(120, 40)) as pilot:
        await start_practice(pilot)
        await say(pilot, "What did you do with the bottom numbers?")
        await say(pilot, "The answer is 7/12.")
        parent_id = app.screen.session_id
        await end_session(pilot)
        await pilot.press("escape")  # scorecard -> browser
        await pilot.pause()
        await open_branch(pilot, parent_id, 2)
        screen = app.screen
        assert type(screen).__name__ == "PracticeScreen" and screen.branch.parent_id == parent_id
        assert screen.query_one("#reply").value == "The answer is 7/12."  # the original, to rewrite
        assert [c.turn["text"] for c in screen.query("TurnCard.-copied")] == [
            "What did you do with the bottom numbers?", "I added 3 and 4 to get 7."]
        assert "points at the mistake" in str(screen.query_one("FeedbackLine.-copied").render())
        assert store.count_sessions() == 1  # the branch's row comes with its first new turn
        await say(pilot, "Are a third and a quarter the same size?")
        branch_id = screen.session_id
        await end_session(pilot)
        assert f"Branch of session {parent_id}" in shown_text(app.screen)
        await pilot.press("c")
        await pilot.pause()
        compare = app.screen
        assert type(compare).__name__ == "CompareScreen" and compare.ids == (parent_id, branch_id)
        sides = [[c.turn["text"] for c in side.query("TurnCard")] for side in compare.query(".compare-side")]
        assert sides == [["The answer is 7/12.", "Twelfths?"],
                         ["Are a third and a quarter the same size?", "The thirds are bigger."]]
        feedback = [str(w.render()) for w in compare.query("FeedbackLine")]
        assert feedback[0].startswith("↳ misses the mistake · revealed the answer")
        assert feedback[1] == "↳ misses the mistake · keeps the answer back · guides without telling · clear next step"
        await pilot.press("2")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen" and app.screen.session_id == branch_id
    parent, branch = store.get_session(parent_id), store.get_session(branch_id)
    assert branch["metadata"] == {"parent_session_id": parent_id, "branch_turn_idx": 2, "trainee": "ana"}
    assert branch["source"] == "practice" and branch["teacher_spec"] == "human" and branch["student_spec"] == "scripted"
    assert branch["seed"] == parent["seed"] == 0 and branch["status"] == "completed"
    assert branch["options"]["branch"] is True
    assert [(t["idx"], t["role"], t["text"]) for t in branch["turns"]] == [
        (0, "teacher", "What did you do with the bottom numbers?"), (1, "student", "I added 3 and 4 to get 7."),
        (2, "teacher", "Are a third and a quarter the same size?"), (3, "student", "The thirds are bigger.")]
    assert branch["turns"][0]["predicted_move"] == "probing"  # copied with the turn
    assert [t["text"] for t in parent["turns"]][2:] == ["The answer is 7/12.", "Twelfths?"]  # untouched
    assert branch_children(store, parent_id) == [branch_id]
    copied = [(r["turn_idx"], r["dimension"]) for r in judge_turn_scores(store, [branch_id], judge.rater)]
    assert (0, "mistake_identification") in copied and {t for t, _ in copied} == {0, 2}  # turn 0 copied, 2 judged
    assert len(judge.calls) == 2 + 1  # the parent's two turns and the branch's new one: the copy is not re-judged
    found = store.query("select count(*) as n from turns_fts where turns_fts match 'third'")
    assert found[0]["n"] >= 1  # branch turns are searchable like any


async def test_an_unchanged_turn_asks_the_student_exactly_as_the_original_did(store, scenario):
    """Same turns before, same seed: on a seeded backend the student's reply would be the original one."""
    options = SessionOptions(max_turns=4, seed=7, stop_on_answer=False)
    original_student = ScriptedBackend(["I added the tops and the bottoms.", "So 2/7 is wrong?"])
    builder = SpeakerBuilder(store, lambda spec: original_student)
    said = iter(["How did you get 2/7?", "Are the pieces the same size?"])
    runner = SessionRunner(store, scenario, HumanSpeaker("teacher", lambda s, h: next(said)),
                           builder.speaker("student", "scripted", options.student_options), options, source="practice")
    runner.run()
    parent_id = runner.session_id
    branch_student = ScriptedBackend(["(a reply)"])
    app = make_app(store, lambda spec: branch_student, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_branch(pilot, parent_id, 2)
        assert app.screen.query_one("#reply").value == "Are the pieces the same size?"
        await pilot.press("enter")  # send the turn unchanged
        await app.workers.wait_for_complete()
        await pilot.pause()
        branch_id = app.screen.session_id
    original_messages, original_options = original_student.history[1]
    messages, sent_options = branch_student.history[0]
    assert messages == original_messages
    assert sent_options.seed == original_options.seed == 7 * 1000 + 3
    assert store.get_session(branch_id)["seed"] == 7


async def test_b_on_a_student_turn_explains_and_stays(store, scenario, notes):
    from tests.tui.conftest import add_session

    session_id = add_session(store, scenario, [("teacher", "Why 7?"), ("student", "I added.")])
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.open_review(session_id, turn_idx=1)
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen"
        assert any("Branch from a teacher turn" in m for m in notes(app))
        await pilot.press("v")
        assert any("No branch to compare" in m for m in notes(app))
    assert store.count_sessions() == 1
