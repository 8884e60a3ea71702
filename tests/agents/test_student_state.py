"""The student's knowledge state: scripted teacher turns move it, and its directive says what the student may say."""

from __future__ import annotations

import pytest

from practicum.agents.roles import Student
from practicum.agents.student_state import (
    PARTIAL, STUCK, UNDERSTOOD, StudentFacts, directive, infer_move, states_after_each, student_directive, track,
)
from practicum.records import STUDENT, TEACHER, Turn
from practicum.scenarios.model import Scenario, StudentProfile

SPOONS = Scenario(
    id="spoons", title="Spoons", subject="math", grade="7", objective="Find the package size.",
    problem=("Julia bought a package of spoons. Her husband gave her a package of 5 new spoons. She used 3 of the "
             "spoons to sample her stew. Later she had a total of 12 spoons. How many spoons were in her package?"),
    answer="10",
    solution=("The total number of spoons from Julia and her husband was 12+3=15 spoons.\n"
              "Since the husband bought a package of five spoons, Julia's package contained 15-5=10 spoons.\n 10"),
    student_profile=StudentProfile(
        name="Mariana", grade="7", persona="Mariana is a 7th grade student.",
        misconceptions=["subtracting instead of adding"],
        incorrect_solution="She had 12 - 3 = 9 spoons left. x + 5 = 9, so x = 4. Julia bought 4 spoons.\n 4"),
)


def turns(*pairs):
    return [Turn(idx=i, role=role, text=text) for i, (role, text) in enumerate(pairs)]


def test_facts_read_the_wrong_answer_the_steps_and_the_misconception():
    facts = StudentFacts.of(SPOONS)
    assert facts.wrong_answer == "4" and facts.answer == "10"
    assert [s.result for s in facts.steps] == [15.0]  # the final step (10) is the answer, not a step
    assert {"subtract", "add"} <= facts.misconception_stems
    assert 9.0 in facts.wrong_numbers and 15.0 in facts.result_numbers


def test_the_student_starts_stuck_with_its_misconception_and_wrong_answer():
    line, state = student_directive(SPOONS, [])
    assert state.stage == STUCK
    assert "still believe" in line and "subtracting instead of adding" in line and "4" in line
    assert "10" not in line  # the answer is never in a directive before the student may say it


def test_a_generic_turn_changes_nothing():
    history = turns((TEACHER, "Hi Mariana, nice to see you today."), (STUDENT, "Hi."),
                    (TEACHER, "Thank you for talking with me."))
    assert infer_move(history[0].text, StudentFacts.of(SPOONS)) == "generic"
    assert track(SPOONS, history).stage == STUCK


def test_a_turn_that_addresses_the_mistake_moves_the_student_to_partial_without_the_answer():
    history = turns((TEACHER, "She used 3 spoons while tasting. Does she still have those 3 spoons?"))
    state = track(SPOONS, history)
    assert state.stage == PARTIAL and state.addressed == 1 and state.told == 0
    line = directive(state, StudentFacts.of(SPOONS))
    assert "not yet sure of the final answer" in line and "10" not in line


def test_telling_the_answer_lets_the_student_state_it():
    history = turns((TEACHER, "Hi Mariana."), (STUDENT, "I think it is 4."),
                    (TEACHER, "No: she has 12 + 3 = 15 spoons, so her package had 10 spoons."))
    state = track(SPOONS, history)
    assert state.stage == UNDERSTOOD and state.reason == "the teacher told you the answer"
    assert "you may say the answer 10" in directive(state, StudentFacts.of(SPOONS))


def test_telling_a_step_is_progress_but_not_the_answer():
    history = turns((TEACHER, "You need to add: she still has them, so 12 + 3 = 15 spoons altogether."))
    state = track(SPOONS, history)
    assert state.stage == PARTIAL and state.told == 1 and state.steps_seen == (0,)
    line = directive(state, StudentFacts.of(SPOONS))
    assert "12+3=15" in line and "10" not in line


def test_enough_guiding_turns_after_the_steps_let_the_student_answer():
    guiding = [(TEACHER, "How many spoons did she have before she tasted the stew, with the 3 she used?"),
               (STUDENT, "She had 12 + 3 = 15 spoons."),
               (TEACHER, "Good. And how many of those 15 came from her husband's package of 5?"),
               (STUDENT, "5 of them."),
               (TEACHER, "So what do you do with the 15 and the 5?"),
               (STUDENT, "Take away?"),
               (TEACHER, "Yes, try subtracting the 5 from the 15."),
               (STUDENT, "Okay."),
               (TEACHER, "What do you get when you subtract 5 spoons from 15 spoons?")]
    states = states_after_each(SPOONS, turns(*guiding))
    assert [s.stage for s in states[:2]] == [STUCK, PARTIAL]
    assert all(s.stage != UNDERSTOOD for s in states[:-1])  # four addressing turns are not enough
    assert states[-1].stage == UNDERSTOOD and states[-1].reason == "the teacher guided you through your mistake"


def test_a_student_who_said_the_answer_has_understood():
    history = turns((TEACHER, "Can you check your work on the 3 spoons?"), (STUDENT, "Oh, so it is 10 spoons."))
    assert track(SPOONS, history).stage == UNDERSTOOD


def test_given_moves_override_the_content_rules():
    history = turns((TEACHER, "Let's look at the 3 spoons again."))
    assert track(SPOONS, history).stage == PARTIAL
    assert track(SPOONS, history, moves=["generic"]).stage == STUCK


def test_the_state_is_a_pure_function_of_the_turns_so_a_resumed_session_gets_the_same_one():
    history = turns((TEACHER, "She used 3 spoons. Where did they go?"), (STUDENT, "Into the stew, 12 - 3 = 9."),
                    (TEACHER, "She still has them. So how many does she have in all?"))
    stored = [{"role": t.role, "text": t.text} for t in history]  # rows as the store returns them
    assert track(SPOONS, history) == track(SPOONS, stored) == track(SPOONS, list(history))


def test_the_student_prompt_ends_with_the_directive_and_the_raw_baseline_has_none():
    history = turns((TEACHER, "She used 3 spoons. Does she still have them?"))
    system = Student().messages(SPOONS, history)[0]["content"]
    assert system.rstrip().endswith(student_directive(SPOONS, history)[0])
    raw = Student()
    raw.knowledge_state = False
    assert "Right now" not in raw.messages(SPOONS, history)[0]["content"]
    assert raw.knowledge_state_for(SPOONS, history) is None


@pytest.mark.parametrize("field,value", [("wrong_answer", "7"), ("misconception_id", "add-instead-of-subtract")])
def test_structured_profile_fields_win_over_parsing(field, value):
    profile = SPOONS.student_profile.model_copy(update={field: value})
    facts = StudentFacts.of(SPOONS.model_copy(update={"student_profile": profile}))
    assert facts.wrong_answer == ("7" if field == "wrong_answer" else "4")
