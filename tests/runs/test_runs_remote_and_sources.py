"""Runs against an OpenAI-compatible endpoint (fake, loopback), scenario selection and generate:N."""

from __future__ import annotations

import pytest

from practicum.agents.backends.openai_chat import OpenAIChatBackend
from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.runs.generation import drive_run
from practicum.agents.runs.sources import generate_count, resolve_scenarios, topics
from practicum.errors import InputError, NotFoundError
from practicum.scenarios.selection import parse_filter, select_scenarios, spread
from tests.fakes.openai_server import FakeOpenAIServer

IDS = ["fractions-unlike-denominators", "photosynthesis-plant-mass", "reading-main-idea"]


def test_remote_run_counts_requests_retries_and_tokens(store, plan_run):
    with FakeOpenAIServer() as server:
        server.queue_reply(*[f"Reply number {word} in this dialogue." for word in
                             ("one two three four five six seven eight nine ten eleven twelve").split()])
        server.fail_next(429, times=2)
        spec = f"openai:tiny,base_url={server.base_url}"

        def make(s):
            backend = OpenAIChatBackend("tiny", base_url=server.base_url, backoff_base=0.001)
            backend.spec = s
            return backend

        run_id = plan_run(store, IDS, max_turns=4, teacher=spec, student=spec, concurrency=3, stop_on_answer=False)
        summary = drive_run(store, run_id, make_backend=make)
    assert summary.completed == 3 and summary.turns == 12
    assert summary.requests == 12 and summary.backend_requests == 14 and summary.retries == 2
    assert len(server.chat_requests) == 14
    assert summary.completion_tokens == sum(len(t["text"].split()) for s in store.list_sessions(run_id=run_id)
                                            for t in store.get_turns(s["id"]))
    assert {body["seed"] for body in server.chat_requests} >= {0, 1}  # per-turn seeds reach the endpoint


def test_remote_errors_fail_only_their_session(store, plan_run):
    with FakeOpenAIServer() as server:
        server.fail_next(400, times=1)  # not transient: the session that got it fails, the rest complete
        spec = f"openai:tiny,base_url={server.base_url}"
        run_id = plan_run(store, IDS, max_turns=2, teacher=spec, student=spec, concurrency=1, stop_on_answer=False)
        summary = drive_run(store, run_id)
    assert (summary.completed, summary.failed) == (2, 1)
    assert summary.failures[0]["reason"] == "backend_error" and "HTTP 400" in summary.failures[0]["example"]


def test_selection_forms(tmp_path, store):
    assert [s.id for s in select_scenarios("reading-main-idea, area-rectangle")] == ["reading-main-idea",
                                                                                    "area-rectangle"]
    math5 = select_scenarios("subject=math,grade=5")
    assert math5 and all(s.subject == "math" and s.grade == "5" for s in math5)
    assert len(select_scenarios("builtin")) >= 12
    path = tmp_path / "one.yaml"
    path.write_text(select_scenarios("area-rectangle")[0].model_dump_json())
    path = path.rename(tmp_path / "one.json")
    assert [s.id for s in select_scenarios(str(path))] == ["area-rectangle"]


@pytest.mark.parametrize("text,error,message", [
    ("area-rectangel", NotFoundError, "did you mean area-rectangle"),
    ("nope-1,nope-2", NotFoundError, "unknown scenario ids: 'nope-1', 'nope-2'"),
    ("colour=blue", InputError, "unknown key 'colour'"),
    ("subject=", InputError, "expected key=value"),
    ("subject=astrology", NotFoundError, "no scenario matches"),
    ("generate:0", InputError, "generate:N with N from 1"),
    ("generate:lots", InputError, "generate:N"),
])
def test_bad_selections_are_one_line_errors(text, error, message):
    with pytest.raises(error, match=message) as caught:
        resolve_scenarios(text, None)
    assert "\n" not in str(caught.value)


def test_malformed_scenario_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: [unclosed\n")
    with pytest.raises(InputError, match=r"bad.yaml: line \d+"):
        select_scenarios(str(bad))


def test_spread_covers_subjects_and_grades_first():
    scenarios = select_scenarios("builtin")
    groups = {(s.subject, s.grade) for s in scenarios}
    first = spread(scenarios, seed=1)[: len(groups)]
    assert {(s.subject, s.grade) for s in first} == groups
    assert spread(scenarios, seed=1) == spread(scenarios, seed=1) != spread(scenarios, seed=2)
    assert len(spread(scenarios, seed=1, limit=4)) == 4
    assert parse_filter("subject=math, grade=5") == {"subject": "math", "grade": "5"}


def test_generate_n_uses_the_scenario_generator_across_subjects():
    def respond(messages):
        system, user = messages[0]["content"], messages[-1]["content"]
        if "practice problem" in system:
            return f"A class has some items to share for this {user[:40]}: how many does each get in total?"
        if "wrong attempt" in system:  # the generator also asks for the student's attempt (issue 19)
            return "I divided the wrong way and got 7."
        if "final answer" in system:
            return "12"
        return "The student adds the numbers instead of dividing them."

    scenarios, failures = resolve_scenarios("generate:6", None, seed=3, generator_backend=ScriptedBackend(respond=respond))
    assert len(scenarios) == 6 and failures == []
    assert len({s.subject for s in scenarios}) >= 3
    assert len({s.student_profile.name for s in scenarios}) > 1
    assert generate_count("all") is None and len(topics()) >= 4
