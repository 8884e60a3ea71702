"""The built-in scenario library: complete, varied, and internally consistent."""

from __future__ import annotations

from pathlib import Path

import pytest

from practicum.errors import NotFoundError
from practicum.scenarios.answers import final_answer, parse_numeric_answer, states_answer
from practicum.scenarios.files import builtin_scenarios, dump_scenario_yaml, get_builtin, load_scenario_file

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"


def test_library_is_large_and_spans_subjects():
    scenarios = builtin_scenarios()
    assert len(scenarios) >= 12
    subjects = {s.subject for s in scenarios}
    assert {"math", "science", "reading", "history"} <= subjects
    grades = {int(s.grade) for s in scenarios}
    assert min(grades) <= 3 and max(grades) >= 11


def test_ids_are_unique_and_match_file_names():
    scenarios = builtin_scenarios()
    ids = [s.id for s in scenarios]
    assert len(ids) == len(set(ids))
    assert sorted(path.stem for path in LIBRARY.glob("*.yaml")) == sorted(ids)


@pytest.mark.parametrize("scenario", builtin_scenarios(), ids=lambda s: s.id)
def test_every_student_profile_is_complete(scenario):
    profile = scenario.student_profile
    assert profile.name and profile.persona and profile.knowledge_state and profile.learning_style
    assert profile.misconceptions and all(m.strip() for m in profile.misconceptions)
    assert profile.incorrect_solution.strip()
    assert profile.grade == scenario.grade
    assert scenario.source == "builtin"


@pytest.mark.parametrize("scenario", builtin_scenarios(), ids=lambda s: s.id)
def test_solution_states_the_answer_and_the_wrong_attempt_does_not(scenario):
    assert states_answer(scenario.solution, scenario.answer)
    wrong = scenario.student_profile.incorrect_solution
    if parse_numeric_answer(scenario.answer) is not None:
        # A wrong attempt may repeat numbers from the problem; only its final answer must differ.
        wrong = final_answer(wrong)
    assert not states_answer(wrong, scenario.answer)


def test_get_builtin_returns_a_copy():
    first = get_builtin("fractions-unlike-denominators")
    assert first.answer == "7/12"
    first.answer = "changed"
    assert get_builtin("fractions-unlike-denominators").answer == "7/12"
    assert builtin_scenarios()[0] is not builtin_scenarios()[0]


def test_get_builtin_unknown_id_suggests_close_matches():
    with pytest.raises(NotFoundError, match="did you mean fractions-unlike-denominators"):
        get_builtin("fraction-unlike-denominator")


def test_dump_round_trips_every_library_scenario(tmp_path):
    for scenario in builtin_scenarios():
        path = tmp_path / f"{scenario.id}.yaml"
        path.write_text(dump_scenario_yaml(scenario), encoding="utf-8")
        assert load_scenario_file(path) == [scenario]
