"""Snapshots of the trainee's screens at 80x24 and 160x45: practice with feedback, scorecard, progress, branches.

Stand-in judge and classifier (tests/tui/stand_ins.py), a frozen copy of the MathDial reference numbers
(reference_frozen.json, so rebuilding the shipped reference does not move the pictures) and fixed
timestamps keep them still. Each was looked at before it was committed; after a deliberate visual change
run `pytest tests/tui/test_tui_snapshots_practice.py --snapshot-update` and look at the new SVGs again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.evaluation.turn_feedback import complete_session
from practicum.records import Turn
from practicum.scenarios.files import get_builtin
from practicum.storage.practice_queries import fork_session
from practicum.tui.app import make_app
from tests.tui.stand_ins import RuleClassifier, RuleJudge

SIZES = {"small": (80, 24), "large": (160, 45)}
FROZEN = json.loads((Path(__file__).parent / "reference_frozen.json").read_text())
TURNS = [
    ("teacher", "Can you tell me how you got 2/7?"),
    ("student", "I added the tops, 1 plus 1, and the bottoms, 3 plus 4."),
    ("teacher", "The answer is 7/12, you add 4/12 and 3/12."),
    ("student", "Oh. So it is 7/12."),
    ("teacher", "Good."),
    ("student", "Thanks."),
]
BRANCH_TURNS = [
    ("teacher", "If you cut one pizza in 3 and another in 4, are the slices the same size?"),
    ("student", "No, the thirds are bigger."),
    ("teacher", "What could you cut both into so the slices match? Is there a mistake in 2/7?"),
    ("student", "Twelfths! 4/12 plus 3/12 is 7/12."),
]


@pytest.fixture(autouse=True)
def frozen_reference(monkeypatch):
    monkeypatch.setattr("practicum.tui.app.PracticumApp.reference", lambda self: FROZEN)


def stored(store, scenario, turns, *, started: str, trainee="ana", judge=None, classifier=None, parent=None,
           at=None) -> int:
    """A finished practice session with fixed numbers and time, judged and classified by the stand-ins."""
    if parent is None:
        session_id = store.create_session(scenario, teacher_spec="human", student_spec="scripted", seed=0,
                                          source="practice", metadata={"trainee": trainee})
        first = 0
    else:
        session_id = fork_session(store, parent, at, student_spec="scripted", seed=0, trainee=trainee)
        first = at
    for i, (role, text) in enumerate(turns, start=first):
        store.add_turn(session_id, Turn(i, role, text, prompt_tokens=0 if role == "teacher" else 90 + i,
                                        completion_tokens=0 if role == "teacher" else 8 + i,
                                        latency=0.0 if role == "teacher" else 0.6 + i / 10,
                                        model="human" if role == "teacher" else "scripted"))
    store.finish_session(session_id, "completed", "teacher_ended")
    store.db.execute("update sessions set started = ?, ended = ? where id = ?", [started, started, session_id])
    complete_session(store, session_id, judge=judge, classifier=classifier)
    from practicum.evaluation.compute import compute_session_metrics

    compute_session_metrics(store, session_id, classifier)
    return session_id


@pytest.fixture
def practised(store, scenario):
    """Three sessions by ana (the last a branch of the first at turn 2) and their judge ratings."""
    judge, classifier = RuleJudge(), RuleClassifier()
    first = stored(store, scenario, TURNS, started="2026-12-01T09:00:00", judge=judge, classifier=classifier)
    stored(store, get_builtin("percent-discount"),
           [("teacher", "What is 20% of 40?"), ("student", "8?"), ("teacher", "Where is your mistake? Check it."),
            ("student", "Oh, 8 is right.")], started="2026-12-02T09:00:00", judge=judge, classifier=classifier)
    branch = stored(store, scenario, BRANCH_TURNS, started="2026-12-03T09:00:00", judge=judge, classifier=classifier,
                    parent=first, at=2)
    return first, branch


def app_for(store, **kwargs):
    return make_app(store, lambda spec: ScriptedBackend(), rater="ana", judge=RuleJudge(), classifier=RuleClassifier(),
                    **kwargs)


async def settle(pilot):
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_practice_with_feedback(snap_compare, store, size):
    student = ScriptedBackend(["I added the tops and the bottoms, so 2/7.", "The thirds are bigger, I think."])
    # no knowledge state or gate: this picture is about the feedback lines (the student's state line has its own tests)
    app = make_app(store, lambda spec: student, rater="ana", student_spec="scripted:state=off,gate=0",
                   judge=RuleJudge(), classifier=RuleClassifier())

    async def practise(pilot):
        await pilot.press("p")
        await pilot.pause()
        pilot.app.screen.query_one("#picker-search").value = "fractions unlike"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        for text in ("How did you get 2/7? Where is the mistake?", "The answer is 7/12."):
            pilot.app.screen.query_one("#reply").value = text
            await pilot.press("enter")
            await settle(pilot)
        pilot.app.screen.query_one("#reply").cursor_blink = False

    assert snap_compare(app, run_before=practise, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_scorecard(snap_compare, store, practised, size):
    app = app_for(store)

    async def show(pilot):
        await pilot.pause()
        pilot.app.show_summary(practised[0])
        await settle(pilot)

    assert snap_compare(app, run_before=show, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_progress(snap_compare, store, practised, size):
    app = app_for(store)

    async def show(pilot):
        await pilot.pause()
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(app, run_before=show, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_branches_side_by_side(snap_compare, store, practised, size):
    app = app_for(store)

    async def show(pilot):
        await pilot.pause()
        pilot.app.open_compare(*practised)
        await settle(pilot)

    assert snap_compare(app, run_before=show, terminal_size=SIZES[size])
