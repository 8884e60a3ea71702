"""Watch: two scripted agents on a scenario, turns stored and shown live; failures and cancels stay stored."""

from __future__ import annotations

import threading

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.errors import BackendError
from practicum.tui.app import make_app

pytestmark = pytest.mark.anyio


async def open_watch(pilot, turns: str = "4"):
    """From the browser: w, pick the fractions scenario, set the turn budget."""
    app = pilot.app
    await pilot.pause()
    await pilot.press("w")
    await pilot.pause()
    app.screen.query_one("#picker-search").value = "fractions unlike"
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    app.screen.query_one("#w-turns").value = turns


async def test_watch_runs_and_stores_a_session(store):
    backend = ScriptedBackend(["What did you do first?", "I added the bottoms.", "Why the bottoms?", "Hmm, not sure."])
    app = make_app(store, lambda spec: backend, rater="ana", teacher_spec="scripted", student_spec="scripted")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_watch(pilot)
        watch = app.screen
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(watch.query("TurnCard")) == 4
        session_id = watch.session_id
        await pilot.press("r")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen"
    session = store.get_session(session_id)
    assert session["status"] == "completed" and session["stop_reason"] == "max_turns"
    assert [t["text"] for t in session["turns"]][:2] == ["What did you do first?", "I added the bottoms."]
    assert session["teacher_spec"] == "scripted" and session["source"] == "simulated"


async def test_failing_backend_notifies_and_keeps_failed_session(store, notes):
    backend = ScriptedBackend(["What did you do first?", "I added the bottoms.", BackendError("model crashed")])
    app = make_app(store, lambda spec: backend, rater="ana", teacher_spec="scripted", student_spec="scripted")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_watch(pilot, turns="6")
        watch = app.screen
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("model crashed" in m for m in notes(app))
        session_id = watch.session_id
    session = store.get_session(session_id)
    assert session["status"] == "failed" and "model crashed" in session["error"]
    assert len(session["turns"]) == 2


async def test_cancel_stops_between_turns_and_keeps_interrupted_session(store, notes):
    release = threading.Event()

    def slow(messages):
        release.wait(5)  # the second reply blocks until the test has asked to cancel
        return "Still thinking."

    backend = ScriptedBackend(["What did you do first?"], respond=slow)
    app = make_app(store, lambda spec: backend, rater="ana", teacher_spec="scripted", student_spec="scripted")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_watch(pilot, turns="10")
        watch = app.screen
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("escape")  # cancel while the student is "thinking"
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        session_id = watch.session_id
        assert any("cancelled" in m for m in notes(app))
        await pilot.press("escape")  # now it goes back
        await pilot.pause()
        assert type(app.screen).__name__ == "BrowserScreen"
    session = store.get_session(session_id)
    assert session["status"] == "interrupted" and session["stop_reason"] == "cancelled"
    assert 1 <= len(session["turns"]) < 10


async def test_bad_setup_notifies(store, notes):
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana", teacher_spec="scripted")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_watch(pilot, turns="0")
        await pilot.press("enter")
        await pilot.pause()
        assert any("Turns must be a number" in m for m in notes(app))
        app.screen.query_one("#w-turns").value = "4"
        app.screen.query_one("#w-teacher").value = "human"
        await pilot.press("enter")
        await pilot.pause()
        assert any("use practice" in m for m in notes(app))
    assert store.count_sessions() == 0


async def test_watch_loads_the_teacher_program_and_sends_its_demos(store, tmp_path):
    """`program=` in the teacher spec is honoured: the compiled program's demo reaches the teacher's backend."""
    import dspy

    from practicum.agents.roles import Teacher

    demo = "What do the two denominators have in common?"
    compiled = Teacher()
    compiled.respond.demos = [dspy.Example(situation="s", dialogue=[{"role": "student", "text": "I got 2/7."}],
                                           reply=demo)]
    path = tmp_path / "teacher.json"
    compiled.save(str(path))
    backends = {}

    def factory(spec):
        backends[spec] = ScriptedBackend(spec=spec)
        return backends[spec]

    spec = f"local:adapter=none,program={path}"  # the raw model: the factory sees "local"
    app = make_app(store, factory, rater="ana", teacher_spec=spec, student_spec="scripted")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_watch(pilot, turns="2")
        watch = app.screen
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        session_id = watch.session_id
    assert sorted(backends) == ["local", "scripted"]
    teacher_sent = backends["local"].history[0][0]
    assert {"role": "assistant", "content": demo} in teacher_sent
    assert all({"role": "assistant", "content": demo} not in m for m, _ in backends["scripted"].history)
    session = store.get_session(session_id)
    assert session["teacher_spec"] == spec and session["teacher_program"] == compiled.version()
    assert session["teacher_program"] != Teacher().version() and session["status"] == "completed"
