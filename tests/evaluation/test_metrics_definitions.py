"""The metric definitions, pinned by transcripts whose values were computed by hand."""

from __future__ import annotations

import math

import pytest

from practicum.scenarios.model import Scenario, StudentProfile
from practicum.evaluation import session_metrics as sm


def T(text):
    return {"role": "teacher", "text": text}


def S(text):
    return {"role": "student", "text": text}


# The two dialogues of MathDial's own test of evaluate_at_k (answer 6), as hand-checked there.
CORRECTED_BY_STUDENT = [
    T("Can you walk me through?"), S("This is my solution: 2+3=5"),
    T("I don't think it is correct, why did you include 2?"), S("Oh I see, sorry for my incorrect answer."),
    T("What is the answer?"), S("My corrected answer is 2+4=6"),
    T("Good job, you are right, the answer is 6."), S("Thanks"),
]
TOLD_BY_TEACHER = [
    T("Can you walk me through?"), S("This is my solution: 2+3=5"),
    T("I don't think it is correct, why did you include 2?"), S("Oh I see, sorry for my incorrect answer."),
    T("I'll tell you the answer, it is 6. Just do 2+4"), S("Thanks"),
    T("You are welcome"), S("Bye. I will remember the answer is 6."),
]


@pytest.mark.parametrize("k, success, telling", [(1, False, False), (2, True, False), (3, True, False)])
def test_success_and_telling_when_the_student_gets_there_first(k, success, telling):
    assert sm.success_at_k(CORRECTED_BY_STUDENT, "6", k) is success
    assert sm.telling_at_k(CORRECTED_BY_STUDENT, "6", k) is telling


@pytest.mark.parametrize("k, success, telling", [(1, False, False), (2, False, True), (3, True, True)])
def test_success_and_telling_when_the_teacher_reveals_it(k, success, telling):
    assert sm.success_at_k(TOLD_BY_TEACHER, "6", k) is success
    assert sm.telling_at_k(TOLD_BY_TEACHER, "6", k) is telling


def test_answer_given_by_both_in_one_round_counts_as_telling():
    turns = [T("Walk me through it?"), S("I got 5."), T("It is 6, not 5."), S("Oh, so it is 6.")]
    # student index 1, teacher index 1: same round, the teacher spoke first
    assert sm.success_at_k(turns, "6", 1) is True
    assert sm.telling_at_k(turns, "6", 1) is True
    assert sm.success_at_k(turns, "6", 0) is False
    assert sm.telling_at_k(turns, "6", 0) is False


def test_student_first_in_the_same_round_is_not_telling():
    # A student-first transcript: the student said 6 before the teacher repeated it.
    turns = [S("I think it is 6."), T("Yes, 6 is right.")]
    assert sm.telling_at_k(turns, "6", 5) is False
    assert sm.success_at_k(turns, "6", 0) is True


def test_nobody_states_the_answer():
    turns = [T("What did you get?"), S("I got 5."), T("Check the second step."), S("Still 5.")]
    for k in (0, 1, 5, math.inf):
        assert sm.success_at_k(turns, "6", k) is False
        assert sm.telling_at_k(turns, "6", k) is False


def test_no_numeric_answer_leaves_success_and_telling_undefined():
    turns = [T("What do plants take in?"), S("Carbon dioxide.")]
    assert sm.success_at_k(turns, "carbon dioxide", 3) is None
    assert sm.telling_at_k(turns, "carbon dioxide", 3) is None


def test_numbers_inside_other_numbers_do_not_state_the_answer():
    turns = [T("Is it 142?"), S("No, 4.2 maybe"), T("Try again"), S("42!")]
    assert sm.first_statements(turns, "42") == {
        "student_index": 1, "student_position": 3, "teacher_index": math.inf, "teacher_position": math.inf,
    }


def test_teacher_turn_shape_metrics():
    turns = [T("Hi there, what did you get?"), S("I got five apples"), T("Why five?"), S("Because two plus three")]
    assert sm.question_rate(turns) == 1.0
    assert sm.teacher_words_mean(turns) == (6 + 2) / 2
    assert sm.teacher_word_share(turns) == 8 / (8 + 4 + 4)
    assert sm.question_rate([S("hello")]) is None
    assert sm.teacher_word_share([]) is None


def test_uptake_is_the_share_of_student_content_taken_up():
    turns = [
        T("What did you do?"),
        S("I multiplied the apples by 3"),  # content: multiplied, apples, #3
        T("Why multiply the apples by 3 here?"),  # takes up apples and 3, not multiplied -> 2/3
        S("ok"),  # no content: skipped
        T("Good."),
    ]
    assert sm.content_units("I multiplied the apples by 3") == {"multiplied", "apples", "#3"}
    assert sm.uptake_scores(turns) == [pytest.approx(2 / 3)]


def test_move_shares_and_competence_leak():
    assert sm.move_shares(["focus", "focus", "telling", "generic"]) == {
        "focus": 0.5, "probing": 0.0, "telling": 0.25, "generic": 0.25,
    }
    leak = [T("Hi!"), S("The answer is 6."), T("Why?")]
    assert sm.competence_leak(leak, "6", ["generic", "probing"]) is True
    guided = [T("Hi!"), S("I got 5."), T("Check step two?"), S("Oh, 6.")]
    assert sm.competence_leak(guided, "6", ["generic", "focus"]) is False
    opening = [S("It is 6."), T("Hello")]
    assert sm.competence_leak(opening, "6", ["generic"]) is True


def test_misconception_persistence():
    turns = [T("What did you get?"), S("I got 5."), T("Sure?"), S("Yes, 5."), T("Look again"), S("Hmm"),
             T("Step 2?"), S("Oh, 6."), S("5 was wrong")]
    # student turns before the first correct one: "I got 5.", "Yes, 5.", "Hmm" -> 2 of 3 repeat the wrong 5
    assert sm.misconception_persistence(turns, "6", "2+3=5\nSo 5") == pytest.approx(2 / 3)
    assert sm.misconception_persistence(turns, "6", "") is None  # no misconception answer
    assert sm.misconception_persistence(turns, "6", "so it is 6") is None  # wrong answer equals the right one
    assert sm.misconception_persistence([S("6")], "6", "5") is None  # correct from the start


def test_repetitiveness():
    turns = [S("i got five"), T("x"), S("i got five"), S("something new entirely")]
    # second turn repeats the first exactly (1.0); third shares no bigram with either (0.0)
    assert sm.repetitiveness(turns) == pytest.approx(0.5)
    assert sm.repetitiveness([S("only once")]) is None


def _scenario(answer="6", incorrect="2+3=5"):
    profile = StudentProfile(name="Ada", grade="7", persona="A student.", incorrect_solution=incorrect)
    return Scenario(id="s", title="t", subject="math", grade="7", objective="o", problem="2 + 4 = ?",
                    answer=answer, solution="2+4=6", student_profile=profile)


def test_session_metric_values_names_and_omissions():
    values = sm.session_metric_values(TOLD_BY_TEACHER, _scenario(), ["generic", "probing", "telling", "generic"])
    assert values["telling_rate"][0] == 0.25
    assert values["guiding_rate"][0] == 0.25
    assert values["telling@1"][0] == 0.0 and values["telling@3"][0] == 1.0
    assert values["success@1"][0] == 0.0 and values["success@3"][0] == 1.0
    assert values["success"][0] == 1.0 and values["telling"][0] == 1.0
    assert values["telling@3"][1]["teacher_index"] == 2
    assert set(values) <= set(sm.METRIC_HELP)
    without_moves = sm.session_metric_values(TOLD_BY_TEACHER, _scenario(), None)
    assert "telling_rate" not in without_moves and "question_rate" in without_moves
    words = sm.session_metric_values([T("What do plants need?"), S("Carbon dioxide")], _scenario("carbon dioxide"),
                                     ["focus"])
    assert not any(name.startswith(("success", "telling@")) or name == "telling" for name in words)
    with pytest.raises(ValueError):
        sm.session_metric_values(TOLD_BY_TEACHER, _scenario(), ["focus"])
