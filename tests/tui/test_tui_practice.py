"""Practice: the user types as the teacher, the scripted student answers from a worker, every turn is stored."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.errors import BackendError
from practicum.tui.app import make_app

pytestmark = pytest.mark.anyio


async def start_practice(pilot, scenario_filter: str = "fractions unlike"):
    """From the browser: p, filter the picker, pick the first match."""
    await pilot.pause()
    await pilot.press("p")
    await pilot.pause()
    app = pilot.app
    app.screen.query_one("#picker-search").value = scenario_filter  # typing itself is tested once, below
    await pilot.pause()
    await pilot.press("enter")
    await app.workers.wait_for_complete()  # the student is prepared in a worker
    await pilot.pause()


async def say(pilot, app, text: str):
    """Enter a teacher turn, send it, and wait for the student worker."""
    app.screen.query_one("#reply").value = text
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_practise_two_turns_all_stored(store):
    student = ScriptedBackend(["I added 3 and 4 to get 7.", "Oh, so I need the same size pieces?"])
    app = make_app(store, lambda spec: student, rater="ana", student_spec="scripted")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        assert type(app.screen).__name__ == "PracticeScreen"
        await pilot.press(*"How did you get the bottom number?", "enter")  # typed key by key
        await app.workers.wait_for_complete()
        await pilot.pause()
        await say(pilot, app, "What if the pieces were different sizes?")
        session_id = app.screen.session_id
        cards = app.screen.query("TurnCard")
        assert len(cards) == 4
        await pilot.press("escape")  # end: the scorecard appears
        await pilot.pause()
        assert type(app.screen).__name__ == "ScorecardScreen"
    session = store.get_session(session_id)
    assert [(t["role"], t["text"]) for t in session["turns"]] == [
        ("teacher", "How did you get the bottom number?"),
        ("student", "I added 3 and 4 to get 7."),
        ("teacher", "What if the pieces were different sizes?"),
        ("student", "Oh, so I need the same size pieces?"),
    ]
    assert session["source"] == "practice" and session["teacher_spec"] == "human"
    assert session["status"] == "completed" and session["stop_reason"] == "teacher_ended"
    assert session["turns"][1]["model"] == "scripted" and session["turns"][1]["completion_tokens"] > 0
    assert len(student.history) == 2  # the student saw the conversation each time


async def test_each_turn_is_stored_before_the_session_ends(store):
    student = ScriptedBackend(["I think it is 2/7."])
    app = make_app(store, lambda spec: student, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, app, "Tell me how you started.")
        session = store.get_session(app.screen.session_id)
        assert session["status"] == "running"
        assert [t["role"] for t in session["turns"]] == ["teacher", "student"]


async def test_empty_reply_notifies_and_stores_nothing(store, notes):
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert any("Type a reply first" in m for m in notes(app))
        assert type(app.screen).__name__ == "PracticeScreen"
    assert store.count_sessions() == 0


async def test_backend_failing_mid_session_notifies_and_keeps_session_as_failed(store, notes):
    student = ScriptedBackend(["I added the bottoms.", BackendError("endpoint unreachable")])
    app = make_app(store, lambda spec: student, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        practice = app.screen
        await say(pilot, app, "What did you do first?")
        await say(pilot, app, "Why the bottoms?")
        assert any("endpoint unreachable" in m for m in notes(app))
        assert type(app.screen).__name__ == "ScorecardScreen"
        session_id = practice.session_id
    session = store.get_session(session_id)
    assert session["status"] == "failed" and "endpoint unreachable" in session["error"]
    assert [t["role"] for t in session["turns"]] == ["teacher", "student", "teacher"]


async def test_end_then_rate_opens_review(store):
    app = make_app(store, lambda spec: ScriptedBackend(["Is it 2/7?"]), rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, app, "Walk me through it.")
        session_id = app.screen.session_id
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        console = Console(width=100, record=True, file=io.StringIO())
        for widget in app.screen.query("Static"):
            console.print(widget.content)
        shown = console.export_text()
        assert "1 teacher, 1 student" in shown and "success@3" in shown
        await pilot.press("r")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen" and app.screen.session_id == session_id
        await pilot.press("5")
        await pilot.pause()
    assert [(r["turn_idx"], r["score"]) for r in store.ratings(session_id)] == [(0, 5.0)]


async def test_slash_end_and_student_answer_notice(store, notes, scenario):
    answer = scenario.answer
    app = make_app(store, lambda spec: ScriptedBackend([f"Oh! It is {answer}."]), rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, app, "Try again with equal pieces.")
        assert any("stated the correct answer" in m for m in notes(app))
        session_id = app.screen.session_id
        await pilot.press(*"/end", "enter")
        await pilot.pause()
    session = store.get_session(session_id)
    assert session["status"] == "completed" and session["stop_reason"] == "student_answered"


async def test_leaving_before_any_turn_stores_no_session(store):
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "BrowserScreen"
    assert store.count_sessions() == 0


async def test_picker_with_no_match_notifies(store, notes):
    app = make_app(store, lambda spec: ScriptedBackend(), rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot, scenario_filter="no such scenario anywhere")
        assert any("No scenario matches" in m for m in notes(app))
        assert type(app.screen).__name__ == "ScenarioPickerScreen"


def generator_replies(messages):
    """A scripted scenario generator: one reply per question the generator asks (see tests/agents)."""
    system = messages[0]["content"]
    for cue, reply in (("practice problem", "A baker has 12 cupcakes and sells 5 of them. How many are left?"),
                       ("final answer to the problem", "7"),
                       ("common mistake", "Subtracts the wrong way round."),
                       ("wrong attempt", "5 - 12 = -7. So -7 cupcakes are left."),
                       ("Solve the problem step by step", "12 - 5 = 7. The answer is 7.")):
        if cue in system:
            return reply
    return "Okay."


async def test_generate_a_scenario_then_practise_on_it(store):
    app = make_app(store, lambda spec: ScriptedBackend(respond=generator_replies), rater="ana",
                   teacher_spec="scripted")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press(*"math", "tab", *"2", "tab", *"subtraction", "tab", *"scripted", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "PracticeScreen"
        generated = app.screen.scenario
        assert generated.answer == "7" and generated.subject == "math"
    assert store.has_scenario(generated.id)


async def test_generate_offline_builds_a_scenario_with_a_computed_answer(store):
    asked = []

    def factory(spec):  # the student's backend; generation itself asks for none
        asked.append(spec)
        return ScriptedBackend(["Hmm, I think I did it right."])

    app = make_app(store, factory, rater="ana", student_spec="scripted")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press(*"math", "tab", *"5", "tab", *"fractions", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        generated = app.screen.scenario
    profile = generated.student_profile
    assert generated.subject == "math" and profile.misconception_id and profile.wrong_answer
    assert profile.wrong_answer != generated.answer and store.has_scenario(generated.id)
    assert asked == ["scripted"]


async def test_bad_student_backend_notifies_and_returns(store, notes):
    def factory(spec):
        raise BackendError(f"unknown backend spec '{spec}'")

    app = make_app(store, factory, rater="ana", student_spec="nonsense")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        assert any("unknown backend spec 'nonsense'" in m for m in notes(app))
        assert type(app.screen).__name__ == "BrowserScreen"
    assert store.count_sessions() == 0


async def test_practice_loads_the_student_program_and_sends_its_demos(store, tmp_path):
    """`program=` in the student spec is honoured: the compiled program's demo reaches the backend."""
    import dspy

    from practicum.agents.roles import Student

    demo = "I think I have to add the tops and the bottoms."
    compiled = Student()
    compiled.respond.demos = [dspy.Example(situation="s", dialogue=[{"role": "teacher", "text": "Why?"}],
                                           reply=demo)]
    path = tmp_path / "student.json"
    compiled.save(str(path))  # DSPy JSON state, as the DSPy tuner saves it
    student, asked = ScriptedBackend(["I added 3 and 4."]), []

    def factory(spec):
        asked.append(spec)
        return student

    spec = f"local:program={path}"
    app = make_app(store, factory, rater="ana", student_spec=spec)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, app, "How did you get the bottom number?")
        session_id = app.screen.session_id
    # the backend is built from the backend spec (with the student's packaged adapter); the program goes to the role
    assert len(asked) == 1 and asked[0].startswith("local:adapter=") and asked[0].endswith("student_adapter")
    sent = student.history[0][0]
    assert {"role": "assistant", "content": demo} in sent
    assert sent[0]["content"].startswith(compiled.respond.signature.instructions.split("\n")[0])
    session = store.get_session(session_id)
    assert session["student_spec"] == spec and session["student_program"] == compiled.version()
    assert session["student_program"] != Student().version()
