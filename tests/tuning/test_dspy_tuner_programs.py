"""A compiled program named by `program=` in a backend spec drives `practicum generate` runs."""

from __future__ import annotations

import dspy
import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.roles import Teacher
from practicum.agents.runs.generation import drive_run, start_run
from practicum.agents.runs.plan import RunConfig
from practicum.errors import NotFoundError
from practicum.scenarios.files import get_builtin
from practicum.storage.tuning_runs import create_tuning_run, update_tuning_run
from practicum.tuning.loop import with_option

DEMO_REPLY = "What do the two denominators have in common?"


@pytest.fixture
def program_file(tmp_path):
    teacher = Teacher()
    teacher.respond.demos = [dspy.Example(situation="s", dialogue=[{"role": "student", "text": "I got 2/7."}],
                                          reply=DEMO_REPLY)]
    path = tmp_path / "program.json"
    teacher.save(str(path))
    return path, teacher


def plan(store, teacher_spec):
    scenario = get_builtin("fractions-unlike-denominators")
    config = RunConfig(scenarios=scenario.id, scenario_ids=[scenario.id], max_turns=2, teacher=teacher_spec,
                       student="scripted", concurrency=1)
    return start_run(store, config, [scenario])


@pytest.mark.parametrize("by", ["run id", "path"])
def test_generation_run_loads_the_program_into_the_teacher(store, program_file, by):
    path, compiled = program_file
    ref = str(path)
    if by == "run id":
        run = create_tuning_run(store, tuner="dspy", config={}, role="teacher")
        update_tuning_run(store, run, artifact_path=str(path.parent), status="succeeded")
        ref = str(run)
    spec = f"local:adapter=none,program={ref}"  # the raw model: the factory sees "local"
    backends = {}

    def make_backend(s):
        backends[s] = ScriptedBackend(["Which number is the denominator?", "The bottom one."], spec=s)
        return backends[s]

    run_id = plan(store, spec)
    summary = drive_run(store, run_id, make_backend=make_backend)
    assert summary.completed == 1
    session = store.list_sessions(run_id=run_id)[0]
    assert session["teacher_spec"] == spec and session["teacher_program"] == compiled.version()
    assert session["teacher_program"] != Teacher().version()
    assert list(backends) == ["local", "scripted"]  # the factory gets the backend spec; program= is the role's
    sent = backends["local"].history[0][0]
    assert {"role": "assistant", "content": DEMO_REPLY} in sent  # the demo reached the prompt


def test_a_missing_program_fails_before_the_run_is_created(store):
    with pytest.raises(NotFoundError, match="program file not found"):
        plan(store, "local:program=/nowhere/program.json")
    assert not store.db["runs"].exists() or store.db["runs"].count == 0


def test_with_option_appends_to_a_spec():
    assert with_option("local", "program", 5) == "local:program=5"
    assert with_option("local:model=/m", "program", 5) == "local:model=/m,program=5"
    assert with_option("openai:gpt-4o-mini", "program", 5) == "openai:gpt-4o-mini,program=5"
