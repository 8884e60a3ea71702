"""The ScenarioGenerator's model steps (rewording, model-written scenarios) and generate:N, on scripted backends."""

from __future__ import annotations

import re

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.runs.sources import resolve_scenarios
from practicum.agents.scenario_generator import ScenarioGenerator
from practicum.errors import InputError
from practicum.scenarios.checks import scenario_faults
from practicum.scenarios.problems.build import build_scenarios


def _bump_first_number(text: str) -> str:
    return re.sub(r"\d+", lambda m: str(int(m.group()) + 1), text, count=1)


def test_reword_keeps_a_faithful_rewording_and_rejects_one_that_changes_a_number():
    made, _ = build_scenarios("math", 5, 3, seed=2)
    originals = [s.problem for s in made]
    faithful = "Across town, " + originals[0]
    backend = ScriptedBackend([faithful, _bump_first_number(originals[1]), "Sure! Here is a new problem."])
    report = ScenarioGenerator().reword_batch(backend, made, seed=1)
    assert (report.kept, report.rejected) == (1, 2)
    assert report.reasons["numbers changed"] == 2 and report.reasons["talks about the task instead of rewording it"] == 1
    assert made[0].problem == faithful and made[0].source == "generated:construct+reworded:scripted"
    assert [s.problem for s in made[1:]] == originals[1:] and made[1].source == "generated:construct"
    assert all(scenario_faults(s) == [] for s in made)
    system, demo_user, demo_reply, user = (m["content"] for m in backend.history[0][0])
    assert "Keep every number exactly as written" in system and "12 pens" in demo_user and "12 apples" in demo_reply
    assert user == originals[0] and {opts.seed for _, opts in backend.history} == {1000, 1001, 1002}


def _respond(problem="A recipe needs 1/2 cup of sugar and 1/3 cup of flour. How many cups is that in total?",
             answer="5/6", attempt="1/2 + 1/3 = 2/5. So it is 2/5 cups.", solve="3/6 + 2/6 = 5/6. The answer is 5/6."):
    calls = []

    def respond(messages):
        system = messages[0]["content"]
        calls.append(system.split(".")[0])
        if "practice problem" in system:
            return problem
        if "final answer to the problem" in system:
            return answer
        if "common mistake" in system:
            return "Adds the numerators and the denominators separately."
        if "wrong attempt" in system:
            return attempt
        if "Solve the problem step by step" in system:
            return solve
        raise AssertionError(system)
    return respond, calls


def test_model_written_scenario_passes_the_same_checks():
    respond, calls = _respond()
    scenario = ScenarioGenerator().generate(ScriptedBackend(respond=respond), subject="math", grade="5",
                                            topic="fractions", seed=4)
    profile = scenario.student_profile
    assert scenario.answer == "5/6" and profile.wrong_answer == "2/5" and profile.problem_family == "model-written"
    assert profile.misconceptions == ["Adds the numerators and the denominators separately."]
    assert scenario.source == "generated:scripted" and scenario.id.startswith("gen-math-fractions-")
    assert scenario_faults(scenario) == [] and len(calls) == 5


@pytest.mark.parametrize("overrides,reason", [
    ({"solve": "1/2 + 1/3 = 2/5."}, "an independent solve ended at 2/5, not 5/6"),
    ({"attempt": "I think 3/6 + 2/6 = 5/6."}, "the incorrect attempt ends at the correct answer 5/6"),
    ({"answer": "five sixths of a cup"}, "a math answer must be a single number"),
    ({"problem": "Add them?"}, "problem is shorter than 6 words"),
])
def test_model_written_scenarios_that_fail_a_check_are_refused(overrides, reason):
    respond, _ = _respond(**overrides)
    with pytest.raises(InputError, match=re.escape(reason)):
        ScenarioGenerator().generate(ScriptedBackend(respond=respond), subject="math", grade="5", topic="fractions",
                                     attempts=2)


def test_model_written_with_a_library_misconception_uses_its_belief():
    respond, calls = _respond()
    scenario = ScenarioGenerator().generate(ScriptedBackend(respond=respond), subject="math", grade="5",
                                            topic="fractions", misconception="add-across")
    assert scenario.student_profile.misconception_id == "add-across"
    assert "add the tops and add the bottoms" in scenario.student_profile.misconceptions[0]
    assert not any("common mistake" in c for c in calls) and len(calls) == 4


def test_generate_n_builds_without_a_model_across_subjects():
    scenarios, failures = resolve_scenarios("generate:12", None, seed=3)
    assert len(scenarios) == 12 and failures == []
    assert {s.subject for s in scenarios} == {"math", "science", "reading", "history"}
    assert all(s.source == "generated:construct" and scenario_faults(s) == [] for s in scenarios)
    assert len({s.problem for s in scenarios}) == 12


def test_generate_n_with_a_generator_backend_writes_them_with_the_model():
    respond, _ = _respond()
    backend = ScriptedBackend(respond=respond)
    scenarios, failures = resolve_scenarios("generate:2", None, seed=1, generator_backend=backend)
    assert scenarios and all(s.source == "generated:scripted" for s in scenarios)
    assert len(backend.history) >= 8


def test_model_written_retries_after_a_bad_try():
    respond, _ = _respond()
    backend = ScriptedBackend(["Too short?", "12", "Adds tops and bottoms.", "I got 7."], respond=respond)
    scenario = ScenarioGenerator().generate(backend, subject="math", grade="5", topic="fractions", seed=4)
    assert scenario.answer == "5/6" and len(backend.history) == 4 + 5
    assert {opts.seed for _, opts in backend.history[:4]}.isdisjoint({opts.seed for _, opts in backend.history[4:]})
