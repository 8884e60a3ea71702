"""Agent specs are parsed once into a backend spec and a role program; the builder makes ready speakers."""

from __future__ import annotations

import dspy
import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.backends.spec import parse_spec
from practicum.agents.roles import Student, Teacher
from practicum.agents.session import AgentSpeaker, HumanSpeaker
from practicum.agents.speakers import SpeakerBuilder, parse_agent_spec
from practicum.errors import BackendError, InputError, NotFoundError

DEMO_REPLY = "What do the two denominators have in common?"


@pytest.mark.parametrize("text,backend,program", [
    ("local", "local", ""),
    ("local:program=7", "local", "7"),
    ("local:adapter=3,program=7", "local:adapter=3", "7"),
    ("local:program=/p/x.json,dtype=bfloat16", "local:dtype=bfloat16", "/p/x.json"),
    ("openai:gpt-4o-mini,program=/p/x.json", "openai:gpt-4o-mini", "/p/x.json"),
    ("openai:ft:gpt-4o:org:x:1,base_url=http://h/v1,program=9", "openai:ft:gpt-4o:org:x:1,base_url=http://h/v1", "9"),
    ("scripted:program=5", "scripted", "5"),
    ("scripted:vary=1,program=5", "scripted:vary=1", "5"),
    ("scripted:Yes|No, program=5 is not an option here", "scripted:Yes|No, program=5 is not an option here", ""),
])
def test_an_agent_spec_splits_into_backend_and_program(text, backend, program):
    spec = parse_agent_spec(text)
    assert (spec.text, spec.backend_text, spec.program, spec.is_human) == (text, backend, program, False)
    assert spec.backend == parse_spec(backend)


def test_human_has_neither_backend_nor_program():
    spec = parse_agent_spec("human")
    assert spec.is_human and spec.backend is None and spec.program == ""


@pytest.mark.parametrize("bad,message", [
    ("local:program=", "program= needs a tuning run id"),
    ("gpt4", "unknown backend spec 'gpt4'"),
    ("local:adaptor=3,program=1", "unknown option 'adaptor'"),
])
def test_bad_agent_specs(bad, message):
    with pytest.raises(BackendError, match=message):
        parse_agent_spec(bad)


def test_a_backend_spec_refuses_program_and_says_where_it_goes():
    with pytest.raises(BackendError, match="program= names a role program, not a backend option"):
        parse_spec("local:program=7")


@pytest.fixture
def teacher_program(tmp_path):
    teacher = Teacher()
    teacher.respond.demos = [dspy.Example(situation="s", dialogue=[{"role": "student", "text": "I got 2/7."}],
                                          reply=DEMO_REPLY)]
    path = tmp_path / "teacher.json"
    teacher.save(str(path))
    return path, teacher


def test_each_role_gets_its_default_adapter_backend_and_the_program_reaches_the_prompt(
        store, scenario, teacher_program):
    path, compiled = teacher_program
    made = []

    def factory(spec):
        made.append(spec)
        return ScriptedBackend(spec=spec)

    builder = SpeakerBuilder(store, factory)
    teacher = builder.speaker("teacher", f"local:program={path}")
    student = builder.speaker("student", "local")
    # each role runs its packaged adapter (local.py shares the base weights between them)
    assert len(made) == 2 and made[0].endswith("teacher_adapter") and made[1].endswith("student_adapter")
    assert builder.speaker("teacher", "local").backend is teacher.backend  # built once per spec, then shared
    assert isinstance(teacher, AgentSpeaker) and teacher.spec == f"local:program={path}"
    assert isinstance(teacher.module, Teacher) and isinstance(student.module, Student)
    assert teacher.module.version() == compiled.version() != Teacher().version()
    messages, _ = teacher.request(scenario, [], seed=1)
    assert {"role": "assistant", "content": DEMO_REPLY} in messages


def test_program_run_ids_resolve_through_the_given_store_only(store, teacher_program, monkeypatch):
    from practicum.storage import store as store_module
    from practicum.storage.tuning_runs import create_tuning_run, update_tuning_run

    path, compiled = teacher_program
    run = create_tuning_run(store, tuner="dspy", config={}, role="teacher")
    update_tuning_run(store, run, artifact_path=str(path), status="succeeded")
    monkeypatch.setattr(store_module.Store, "__init__", lambda *a, **k: (_ for _ in ()).throw(AssertionError("opened")))
    builder = SpeakerBuilder(store, lambda spec: ScriptedBackend())
    assert builder.role("teacher", f"local:program={run}").version() == compiled.version()
    with pytest.raises(NotFoundError, match="program=99: no tuning run with id 99"):
        builder.role("teacher", "local:program=99")
    with pytest.raises(InputError, match="no database was given"):
        SpeakerBuilder(None).role("teacher", f"local:program={run}")


def test_a_human_side_becomes_a_human_speaker(store):
    answers = iter(["Why seven?"])
    speaker = SpeakerBuilder(store).speaker("teacher", "human", ask=lambda scenario, history: next(answers))
    assert isinstance(speaker, HumanSpeaker) and speaker.spec == "human" and speaker.module is None
    assert speaker.reply(None, [], None).text == "Why seven?"
