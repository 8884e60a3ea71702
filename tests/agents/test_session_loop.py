"""The session loop's stop rules, seeds, callbacks and human speakers, on the scripted backend."""

from __future__ import annotations

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.roles import Student, Teacher
from practicum.agents.session import (
    AgentSpeaker, HumanSpeaker, SessionError, SessionOptions, run_to_end, simulate,
)


def speakers(teacher_replies, student_replies):
    t, s = ScriptedBackend(teacher_replies, default=None), ScriptedBackend(student_replies, default=None)
    return AgentSpeaker(Teacher(), t), AgentSpeaker(Student(), s), t, s


def test_max_turns_and_callback_order(scenario):
    teacher, student, *_ = speakers([f"Question {i}?" for i in range(5)], [f"Maybe {i} halves." for i in range(5)])
    stored = []
    turns = list(simulate(scenario, teacher, student, SessionOptions(max_turns=4), on_turn=stored.append))
    assert [t.role for t in turns] == ["teacher", "student", "teacher", "student"]
    assert stored == turns and [t.idx for t in turns] == [0, 1, 2, 3]


def test_student_stating_answer_stops(scenario):
    assert scenario.answer == "7/12"
    teacher, student, *_ = speakers(["What do you get?", "Check the denominators?", "x"], ["I got 2/7.", "Oh, it is 7/12!", "unused"])
    transcript = run_to_end(scenario, teacher, student, SessionOptions(max_turns=10))
    assert transcript.stop_reason == "student_answered"
    assert transcript.turns[-1].text == "Oh, it is 7/12!"


def test_answer_stop_can_be_disabled(scenario):
    teacher, student, *_ = speakers(["Q1?", "Q2?"], ["It is 7/12.", "Still 7/12."])
    transcript = run_to_end(scenario, teacher, student, SessionOptions(max_turns=4, stop_on_answer=False))
    assert transcript.stop_reason == "max_turns" and len(transcript.turns) == 4


def test_teacher_end_marker_ends_and_is_removed(scenario):
    teacher, student, *_ = speakers(["Try again?", "Well done, that is right! [END]"], ["Is it 2/7?"])
    transcript = run_to_end(scenario, teacher, student, SessionOptions(max_turns=10))
    assert transcript.stop_reason == "teacher_ended"
    assert transcript.turns[-1].text == "Well done, that is right!"


def test_loop_guard_stops_repetition(scenario):
    teacher, student, *_ = speakers(["Why?", "Why?!"], ["Because.", "Because!"])
    transcript = run_to_end(scenario, teacher, student, SessionOptions(max_turns=10))
    assert transcript.stop_reason == "loop_guard"
    assert len(transcript.turns) == 3  # the repeated teacher line is kept, then the loop stops


def test_empty_reply_retried_then_fails(scenario):
    teacher, student, t, _ = speakers(["", "  "], [])
    with pytest.raises(SessionError, match="empty reply"):
        run_to_end(scenario, teacher, student)
    assert len(t.history) == 2  # one retry


def test_empty_reply_retry_recovers(scenario):
    teacher, student, *_ = speakers(["", "How did you add them?"], ["I added tops and bottoms."])
    transcript = run_to_end(scenario, teacher, student, SessionOptions(max_turns=2))
    assert [t.text for t in transcript.turns] == ["How did you add them?", "I added tops and bottoms."]


def test_backend_exception_becomes_session_error(scenario):
    teacher, student, *_ = speakers([RuntimeError("boom")], [])
    with pytest.raises(SessionError, match="boom"):
        run_to_end(scenario, teacher, student)


def test_seeds_are_derived_per_turn_and_sent(scenario):
    teacher, student, t, s = speakers(["A?", "B?"], ["x one", "y two"])
    run_to_end(scenario, teacher, student, SessionOptions(max_turns=4, seed=7))
    assert [o.seed for _, o in t.history] == [7000, 7002]
    assert [o.seed for _, o in s.history] == [7001, 7003]


def test_student_prompt_carries_profile_and_dialogue_from_its_side(scenario):
    teacher, student, t, s = speakers(["How did you add 2/3 and 1/4?"], ["I added the tops."])
    run_to_end(scenario, teacher, student, SessionOptions(max_turns=2))
    messages, _ = s.history[0]
    system = messages[0]["content"]
    assert scenario.student_profile.name in system
    assert scenario.student_profile.misconceptions[0] in system
    assert scenario.answer not in system  # the student must not be told the answer
    assert messages[-1] == {"role": "user", "content": "How did you add 2/3 and 1/4?"}
    teacher_system = t.history[0][0][0]["content"]
    assert f"Correct answer: {scenario.answer}" in teacher_system


def test_human_teacher_and_end_command(scenario):
    typed = iter(["What did you do first?", "/end"])
    human = HumanSpeaker("teacher", lambda sc, hist: next(typed))
    student = AgentSpeaker(Student(), ScriptedBackend(["I added the numerators."]))
    transcript = run_to_end(scenario, human, student, SessionOptions(max_turns=10))
    assert [t.model for t in transcript.turns] == ["human", "scripted"]
    assert transcript.stop_reason == "teacher_ended"


def test_resume_from_history_continues_indices(scenario):
    teacher, student, *_ = speakers(["Q2?"], ["A2 thing"])
    first = run_to_end(scenario, *speakers(["Q1?"], ["A1 thing"])[:2], SessionOptions(max_turns=2))
    more = list(simulate(scenario, teacher, student, SessionOptions(max_turns=4), history=first.turns))
    assert [t.idx for t in more] == [2, 3] and more[0].role == "teacher"
