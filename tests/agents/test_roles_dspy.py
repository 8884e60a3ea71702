"""Roles are DSPy modules whose DSPy path sends exactly the messages the session loop sends."""

from __future__ import annotations

import dspy
import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.dspy_bridge import OPENING_CUE, PlainChatAdapter, dspy_lm
from practicum.agents.roles import Student, Teacher, clean_reply, opening_turn
from practicum.agents.scenario_generator import ScenarioGenerator
from practicum.records import Turn
from practicum.errors import InputError


def test_dspy_forward_sends_the_same_messages_as_the_session_path(scenario):
    teacher = Teacher()
    history = [Turn(0, "teacher", "How did you start?"), Turn(1, "student", "I added 2 and 1 on top.")]
    backend = ScriptedBackend(["And the bottoms?"])
    with dspy.context(lm=dspy_lm(backend)):
        inputs = teacher.inputs(scenario, history)
        prediction = teacher(situation=inputs["situation"], dialogue=inputs["dialogue"])
    assert prediction.reply == "And the bottoms?"
    sent = backend.history[0][0]
    assert sent == teacher.messages(scenario, history)
    # from the teacher's side: the student's opening attempt and replies are user turns
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1]["content"] == opening_turn(scenario)["text"]


def test_demos_render_as_pairs_and_change_the_version(scenario):
    student = Student()
    before = student.version()
    student.respond.demos = [dspy.Example(
        situation="s", dialogue=[{"role": "teacher", "text": "What is 1/2 + 1/4?"}], reply="Is it 2/6?"
    ).with_inputs("situation", "dialogue")]
    assert student.version() != before
    messages = student.messages(scenario, [Turn(0, "teacher", "Hi! Walk me through it.")])
    assert messages[1:3] == [
        {"role": "user", "content": "What is 1/2 + 1/4?"}, {"role": "assistant", "content": "Is it 2/6?"}]
    assert messages[-1] == {"role": "user", "content": "Hi! Walk me through it."}


def test_saved_program_state_reloads_identically(tmp_path, scenario):
    teacher = Teacher()
    teacher.respond.signature = teacher.respond.signature.with_instructions("Ask short questions only.")
    teacher.respond.demos = [dspy.Example(situation="s", dialogue=[], reply="What did you try?")]
    path = tmp_path / "teacher.json"
    teacher.save(str(path))
    loaded = Teacher()
    loaded.load(str(path))
    assert loaded.messages(scenario, []) == teacher.messages(scenario, [])
    assert loaded.version() == teacher.version()


def test_adapter_opening_cue_when_dialogue_is_empty():
    adapter = PlainChatAdapter("teacher")
    messages = adapter.format(Teacher().respond.signature, [], {"situation": "S", "dialogue": []})
    assert messages[-1] == {"role": "user", "content": OPENING_CUE}


@pytest.mark.parametrize("raw,expected", [
    ("Teacher: What did you do first?", "What did you do first?"),
    ("Why 2/7? Student: because I added", "Why 2/7?"),
    ("Good.\nStudent: thanks\nTeacher: ok", "Good."),
    ("One. Two. Three. Four. Five.", "One. Two. Three."),
    ("\ufffdHello  there", "Hello there"),
])
def test_clean_reply(raw, expected):
    assert clean_reply(raw) == expected


def test_clean_reply_strips_student_name():
    assert clean_reply("Marcus: I think it's 3/7.", "Marcus") == "I think it's 3/7."


def test_scenario_generator_gives_up_with_reason():
    backend = ScriptedBackend(default="ok")
    with pytest.raises(InputError, match="problem is shorter than 6 words"):
        ScenarioGenerator().generate(backend, subject="math", grade="5", topic="fractions", attempts=2)


def test_program_loads_from_path_or_tuning_run(tmp_path, scenario, store):
    from practicum.agents.programs import load_role_program
    from practicum.storage.tuning_runs import create_tuning_run, update_tuning_run

    tuned = Teacher()
    tuned.respond.signature = tuned.respond.signature.with_instructions("Only ask why.")
    path = tmp_path / "program.json"
    tuned.save(str(path))
    by_path = load_role_program(Teacher(), str(path))
    assert by_path.messages(scenario, [])[0]["content"].startswith("Only ask why.")
    run = create_tuning_run(store, tuner="dspy", config={})
    update_tuning_run(store, run, artifact_path=str(tmp_path))
    by_run = load_role_program(Teacher(), str(run), store)
    assert by_run.version() == tuned.version()


def test_program_errors_are_input_errors(tmp_path):
    from practicum.agents.programs import load_role_program
    from practicum.errors import NotFoundError

    bad = tmp_path / "bad.json"
    bad.write_text('{"something": 1}')
    with pytest.raises(InputError, match="not a saved Teacher program"):
        load_role_program(Teacher(), str(bad))
    with pytest.raises(NotFoundError):
        load_role_program(Teacher(), str(tmp_path / "missing.json"))
