"""Progress over practice sessions (t), targeted practice in the picker (ctrl+n), changing your name (u)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.config import load_settings
from practicum.evaluation.turn_feedback import complete_session
from practicum.storage.practice_queries import set_session_metadata
from practicum.tui.app import make_app
from tests.tui.conftest import add_session
from tests.tui.stand_ins import RuleJudge
from tests.tui.steps import shown_text

pytestmark = pytest.mark.anyio


def practised(store, scenario, teacher_turns: list[str], trainee: str = "ana", judge=None) -> int:
    """A finished practice session by `trainee`, judged by `judge`."""
    turns = []
    for text in teacher_turns:
        turns += [("teacher", text), ("student", "Hmm, let me think.")]
    session_id = add_session(store, scenario, turns, source="practice", teacher="human")
    set_session_metadata(store, session_id, trainee=trainee)
    if judge is not None:
        complete_session(store, session_id, judge=judge)
    return session_id


@pytest.fixture(autouse=True)
def frozen_reference(monkeypatch):
    """MathDial's figures as frozen for the snapshots (no judge figures): the ranking below is the tie rule's,
    not whatever the shipped reference, rebuilt with each judge, happens to say."""
    frozen = json.loads((Path(__file__).parent / "reference_frozen.json").read_text())
    monkeypatch.setattr("practicum.tui.app.PracticumApp.reference", lambda self: frozen)


@pytest.fixture
def history(store, scenario):
    """Three sessions by ana: pointing at the mistake 0, 1, 1 of her turns; guidance and a clear next step 0, 1/2, 1
    (the weakest, guidance first on a tie); one session by bo."""
    judge = RuleJudge()
    ids = [practised(store, scenario, ["Tell me more.", "Okay."], judge=judge),
           practised(store, scenario, ["Where is the mistake?", "The bottoms are wrong."], judge=judge),
           practised(store, scenario, ["Where is the mistake?", "Which bottom number is wrong?"], judge=judge),
           practised(store, scenario, ["Hello."], trainee="bo", judge=judge)]
    return ids


async def test_progress_screen_shows_each_measure_over_the_sessions(store, history):
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "ProgressScreen"
        assert screen.progress.series["judge.mistake_identification"] == [0.0, 1.0, 1.0]
        assert screen.progress.series["judge.actionability"] == [0.0, 0.5, 1.0]
        text = shown_text(screen)
        assert "↑ Points at the mistake" in text and "▁██" in text and "▁▅█" in text
        assert "3 sessions" in text and "Most to gain: Guides without giving it away: 50%" in text
        table = screen.query_one("#progress-sessions")
        assert table.row_count == 3  # bo's session is not ana's
        await pilot.press("enter")  # newest first
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen" and app.screen.session_id == history[2]


async def test_progress_without_sessions_says_how_to_start(store):
    app = make_app(store, lambda spec: ScriptedBackend(), rater="cy")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "No finished practice sessions by cy yet" in shown_text(app.screen)


async def test_picker_sorts_by_need_and_says_the_rule(store, history, scenario):
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        picker = app.screen
        usual = [s.id for s in picker.shown]
        assert usual[-1] != scenario.id
        await pilot.press("ctrl+n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        ordered = [s.id for s in picker.shown]
        assert ordered[-1] == scenario.id and sorted(ordered) == sorted(usual)  # practised: after the new ones
        hint = str(picker.query_one("#picker-hint").render())
        assert "Weakest: Guides without giving it away: 50%" in hint and "not practised come first" in hint
        await pilot.press("ctrl+n")  # back to the usual order
        await pilot.pause()
        assert [s.id for s in picker.shown] == usual


async def test_u_changes_the_name_and_remembers_it(store, notes):
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        field = app.screen.query_one("#prompt-input")
        assert field.value == "ana"  # the current name, to edit
        field.value = "ana lima"
        await pilot.press("enter")
        await pilot.pause()
        assert app.rater == "ana lima" and any("You are now ana lima" in m for m in notes(app))
    assert load_settings()["rater"] == "ana lima"


async def test_practice_asks_the_name_first_and_records_it(store):
    app = make_app(store, lambda spec: ScriptedBackend(["I added."]), remember_rater=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert type(app.screen).__name__ == "TextPromptScreen"
        app.screen.query_one("#prompt-input").value = "dee"
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ScenarioPickerScreen" and app.screen.trainee == "dee"
        app.screen.query_one("#picker-search").value = "fractions unlike"
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        app.screen.query_one("#reply").value = "What did you do?"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        session_id = app.screen.session_id
    assert store.get_session(session_id)["metadata"] == {"trainee": "dee"}
