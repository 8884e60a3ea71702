"""Snapshots of the key screens (browser, review, practice), checked by eye before they were committed.

Update after a deliberate visual change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`,
then look at the new SVGs before committing them.
"""

from __future__ import annotations

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.records import Turn
from practicum.tui.app import make_app


def fixed_session(store, scenario, turns, **kwargs) -> int:
    """A session with fixed token counts and latencies, so the picture never changes by itself."""
    session_id = store.create_session(scenario, **kwargs)
    for i, (role, text, move) in enumerate(turns):
        store.add_turn(session_id, Turn(i, role, text, move=move, move_source="human" if move else None,
                                        prompt_tokens=120 + 10 * i, completion_tokens=14 + i, latency=0.8 + i / 10,
                                        model=kwargs["teacher_spec"] if role == "teacher" else kwargs["student_spec"]))
    store.finish_session(session_id, "completed", "student_answered")
    return session_id


@pytest.fixture
def snapshot_store(store, scenario):
    from practicum.scenarios.files import get_builtin

    turns = [
        ("teacher", "Can you tell me how you got 2/7?", "probing"),
        ("student", "I added the tops, 1 plus 1, and the bottoms, 3 plus 4.", None),
        ("teacher", "If you cut one pizza in 3 and another in 4, are the slices the same size?", "focus"),
        ("student", "No, the thirds are bigger. So I can't just add them?", None),
        ("teacher", "Right! What could you cut both pizzas into so the slices match?", "focus"),
        ("student", "Twelfths! 4/12 plus 3/12 is 7/12.", None),
    ]
    first = fixed_session(store, scenario, turns, teacher_spec="local", student_spec="local")
    fixed_session(store, get_builtin("percent-discount"), turns[:2], teacher_spec="openai:gpt-4o-mini",
                  student_spec="local")
    fixed_session(store, get_builtin("reading-main-idea"), turns[:4], teacher_spec="human", student_spec="human",
                  source="mathdial")
    store.add_rating(first, rater="ana", dimension="overall", score=4)
    store.add_rating(first, rater="ana", dimension="mistake_identification", score=5, turn_idx=0)
    store.add_rating(first, rater="ana", dimension="guidance", score=4, turn_idx=0)
    return store


def test_browser_screen(snap_compare, snapshot_store):
    app = make_app(snapshot_store, lambda spec: ScriptedBackend(), rater="ana")
    assert snap_compare(app, terminal_size=(100, 24))


def test_browser_screen_narrow(snap_compare, snapshot_store):
    app = make_app(snapshot_store, lambda spec: ScriptedBackend(), rater="ana")
    assert snap_compare(app, terminal_size=(80, 24))


def test_review_screen(snap_compare, snapshot_store):
    app = make_app(snapshot_store, lambda spec: ScriptedBackend(), rater="ana")
    # open the oldest session (rated), move to the student's first turn, score realism
    assert snap_compare(app, press=["down", "down", "enter", "j", "3"], terminal_size=(120, 32))


def test_practice_screen(snap_compare, store):
    student = ScriptedBackend(["I added the tops and the bottoms, so 2/7.", "The thirds are bigger, I think."])
    app = make_app(store, lambda spec: student, rater="ana", student_spec="scripted")

    async def practise(pilot):
        await pilot.press("p")
        await pilot.pause()
        pilot.app.screen.query_one("#picker-search").value = "fractions unlike"
        await pilot.pause()
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for text in ("How did you get 2/7?", "Are a third and a quarter the same size?"):
            pilot.app.screen.query_one("#reply").value = text
            await pilot.press("enter")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        pilot.app.clear_notifications()  # the empty-database toast would otherwise depend on timing
        pilot.app.screen.query_one("#reply").cursor_blink = False  # a blinking cursor would too (hidden now)
        await pilot.pause()

    assert snap_compare(app, run_before=practise, terminal_size=(120, 30))
