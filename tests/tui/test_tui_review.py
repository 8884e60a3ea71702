"""Review and rating: keys set scores that land in the store at once, with the rater's name and history."""

from __future__ import annotations

import pytest

from practicum.config import load_settings
from practicum.storage.rating_queries import current_ratings
from practicum.tui.app import make_app
from practicum.evaluation.rubric import DEFAULT_RUBRIC

pytestmark = pytest.mark.anyio


def scripted_factory(spec):
    from practicum.agents.backends.scripted import ScriptedBackend

    return ScriptedBackend(spec=spec)


async def open_first_session(pilot):
    """From the browser, open the highlighted (newest) session."""
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_rate_teacher_turn_with_digits(store, seeded):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_session(pilot)
        assert type(app.screen).__name__ == "ReviewScreen"
        assert app.screen.session_id == seeded[2]
        await pilot.press("4", "2")  # teacher turn 0: first two dimensions
        await pilot.pause()
    rows = store.ratings(seeded[2])
    assert [(r["turn_idx"], r["dimension"], r["score"], r["rater"]) for r in rows] == [
        (0, "mistake_identification", 4.0, "ana"),
        (0, "guidance", 2.0, "ana"),
    ]
    assert all(r["created"] for r in rows)


async def test_student_turn_gets_realism_and_session_gets_overall(store, seeded):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_session(pilot)
        await pilot.press("j", "3")  # student turn 1: realism
        await pilot.press("o", "5")  # the whole session: overall
        await pilot.pause()
    rows = [(r["turn_idx"], r["dimension"], r["score"]) for r in store.ratings(seeded[2])]
    assert rows == [(1, "realism", 3.0), (None, "overall", 5.0)]


async def test_rerating_keeps_history_and_latest_counts(store, seeded):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_session(pilot)
        await pilot.press("2", "left", "5")  # score, back to the same dimension, score again
        await pilot.pause()
        panel = str(app.screen.query_one("#rubric").render())
    assert [r["score"] for r in store.ratings(seeded[2])] == [2.0, 5.0]
    current = current_ratings(store, seeded[2], "ana")
    assert current[(0, "mistake_identification")]["score"] == 5.0
    assert "Mistake identification" in panel


async def test_out_of_scale_digit_notifies_and_saves_nothing(store, seeded, notes):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_session(pilot)
        await pilot.press("8")
        await pilot.pause()
        assert any("scored 1-5" in m for m in notes(app))
    assert store.ratings(seeded[2]) == []


async def test_rater_name_is_asked_once_and_remembered(store, seeded):
    app = make_app(store, scripted_factory)  # no rater known: PRACTICUM_HOME is a fresh temp dir
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_session(pilot)
        await pilot.press("3")
        await pilot.pause()
        assert type(app.screen).__name__ == "TextPromptScreen"
        await pilot.press("enter")  # empty name is refused, the prompt stays
        await pilot.pause()
        assert type(app.screen).__name__ == "TextPromptScreen"
        await pilot.press(*"bo", "enter")
        await pilot.pause()
        await pilot.press("4")  # second score: no prompt this time
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen"
    assert [(r["rater"], r["score"]) for r in store.ratings(seeded[2])] == [("bo", 3.0), ("bo", 4.0)]
    assert load_settings()["rater"] == "bo"


async def test_comment_is_stored_and_empty_comment_refused(store, seeded, notes):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_session(pilot)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert any("comment is empty" in m for m in notes(app))
        await pilot.press(*"too leading", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen"
    rows = store.ratings(seeded[2])
    assert [(r["turn_idx"], r["dimension"], r["score"], r["comment"]) for r in rows] == [
        (0, "comment", None, "too leading")
    ]


async def test_n_and_p_move_between_sessions_in_browser_order(store, seeded, notes):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_session(pilot)
        screen = app.screen
        await pilot.press("n")
        await pilot.pause()
        assert screen.session_id == seeded[1]
        await pilot.press("n", "n")
        await pilot.pause()
        assert screen.session_id == seeded[0]
        assert any("No next session" in m for m in notes(app))
        await pilot.press("p")
        await pilot.pause()
        assert screen.session_id == seeded[1]
        await pilot.press("2")
        await pilot.pause()
    assert [r["session_id"] for r in store.ratings(seeded[1])] == [seeded[1]]


async def test_custom_rubric_dimensions_are_used(store, seeded):
    from practicum.evaluation.rubric import Dimension, Rubric

    rubric = Rubric(teacher=[Dimension(name="warmth", low=0, high=2)], session=DEFAULT_RUBRIC.session)
    app = make_app(store, scripted_factory, rater="ana", rubric=rubric)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_session(pilot)
        await pilot.press("0")
        await pilot.pause()
    assert [(r["dimension"], r["score"]) for r in store.ratings(seeded[2])] == [("warmth", 0.0)]


async def test_side_panel_toggles_and_keys_screen_opens(store, seeded):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(120, 30)) as pilot:
        await open_first_session(pilot)
        side = app.screen.query_one("#side")
        assert side.display
        await pilot.press("i")
        assert not side.display
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "KeysScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen"


def test_turn_header_shows_move_tokens_latency_and_predicted_moves():
    from practicum.tui.widgets.turn_card import turn_header

    turn = {"role": "teacher", "move": "focus", "move_source": "human", "prompt_tokens": 120,
            "completion_tokens": 14, "latency_ms": 1500.0, "model": "local"}
    assert turn_header(turn).plain == "Teacher  focus (human) · 120+14 tok · 1.5s · local"
    predicted = {"role": "teacher", "move": None, "predicted_move": "telling", "model": "human"}
    assert turn_header(predicted).plain == "Teacher  telling (predicted)"
    assert turn_header({"role": "student"}, "Ava").plain == "Student (Ava)"
