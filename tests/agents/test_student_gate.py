"""The fidelity gate refuses each defect class, keeps the best candidate, records why, and falls back in character."""

from __future__ import annotations

import pytest

from practicum.agents.backends.base import Completion, GenerationOptions
from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.fidelity_gate import (
    check, choose, end_at_sentence, is_assistant_speak, is_on_problem, is_teacher_voice,
)
from practicum.agents.roles import Student, Teacher
from practicum.agents.session import AgentSpeaker, Reply, SessionOptions, SessionState
from practicum.agents.student_state import KnowledgeState
from practicum.records import STUDENT, TEACHER, Turn

from .test_student_state import SPOONS

STUCK = KnowledgeState()
UNDERSTOOD = KnowledgeState(stage="understood", reason="the teacher told you the answer")
HISTORY = [Turn(idx=0, role=TEACHER, text="Please talk me through your solution about the spoons.")]


@pytest.mark.parametrize("text", [
    "I'm glad I could help clarify things!", "Let me know if you have any other questions.",
    "Feel free to ask me anything.", "As an AI, I cannot do that.", "You're welcome!", "Happy to help.",
    "Great question!", "Would you like me to explain how I got it?", "I hope this helps.",
    "I'm glad I explained it correctly!", "Absolutely! Let me give you an example.", "No worries, no more mixing up.",
    "I would recommend drinking water.", "I'm glad you're interested in helping me explain the solution.",
])
def test_assistant_speak_rules(text):
    assert is_assistant_speak(text)


@pytest.mark.parametrize("text", [
    "I subtracted 3 from 12 and got 9, so I think she bought 4 spoons.", "Oh, I see. So I should add the 3?",
    "I'm not sure how to start.", "Can you help me with this step?",
    "Thanks for pointing that out!", "Glad I got it right!", "Thank you for helping me understand the problem.",
])
def test_what_students_really_say_is_not_assistant_speak_or_teacher_voice(text):
    assert not is_assistant_speak(text) and not is_teacher_voice(text)


@pytest.mark.parametrize("text", [
    "Let's think about the spoons together.", "Can you tell me how many spoons she used?",
    "What do you think the answer is?", "Does that make sense?", "Good job on that step!",
])
def test_teacher_voice_rules(text):
    assert is_teacher_voice(text)


@pytest.mark.parametrize("text,defect", [
    ("I'm glad I could help! Let me know if you need anything.", "assistant_speak"),
    ("Let's figure out how many spoons she used.", "teacher_voice"),
    ("I love lateral thinking puzzles about cake and percentages.", "off_problem"),
    ("I added 12 and 3 to get 15, so she bought 10 spoons.", "premature_answer"),
    ("I think the answer is 4 because I took 3 away from 12 and then", "unfinished"),
    ("", "empty"),
    ("So he has elevenlegsetsleftaftersalesofgames.", "garbled"),
    ("I'm sorry for any confusion, here's my step-by-step explanation.", "assistant_speak"),
])
def test_each_student_defect_class_is_refused(text, defect):
    assert defect in check(text, STUDENT, SPOONS, HISTORY, STUCK).defects


def test_the_answer_is_fine_once_the_state_allows_it():
    assert check("So she bought 10 spoons.", STUDENT, SPOONS, HISTORY, UNDERSTOOD).clean


def test_an_unfinished_reply_is_cut_back_to_its_last_sentence():
    assert end_at_sentence("I got 9 spoons. Then I took away 5 and") == ("I got 9 spoons.", True)
    checked = check("I got 9 spoons. Then I took away 5 and", STUDENT, SPOONS, HISTORY, STUCK)
    assert checked.clean and checked.text == "I got 9 spoons."


def test_assistant_speak_sentences_are_repaired_away_when_the_rest_is_fine():
    checked = check("I think it is 4 spoons. Let me know if you need more help!", STUDENT, SPOONS, HISTORY, STUCK)
    assert checked.clean and checked.repaired and checked.text == "I think it is 4 spoons."


def test_a_short_acknowledgement_is_on_problem():
    assert is_on_problem("Oh, I see.", SPOONS, HISTORY)


def test_the_teacher_gate_refuses_sign_offs_and_praise_of_a_wrong_answer():
    wrong = HISTORY + [Turn(idx=1, role=STUDENT, text="I think she bought 4 spoons.")]
    assert "praise_wrong" in check("Great job, that's correct!", TEACHER, SPOONS, wrong).defects
    repaired = check("Great job! How many spoons did she use?", TEACHER, SPOONS, wrong)
    assert repaired.clean and repaired.repaired and repaired.text == "How many spoons did she use?"
    assert check("Not quite. How many spoons did she use?", TEACHER, SPOONS, wrong).clean
    assert "sign_off" in check("Happy learning!", TEACHER, SPOONS, HISTORY).defects
    assert check("Good work. Happy learning!", TEACHER, SPOONS, HISTORY).text == "Good work."


def test_choose_keeps_the_first_clean_candidate_and_records_the_rest():
    result = choose(["You're welcome! Happy to help.", "She bought 10 spoons.", "I think she bought 4 spoons."],
                    STUDENT, SPOONS, HISTORY, STUCK)
    assert result.index == 2 and result.text == "I think she bought 4 spoons." and not result.fallback
    record = result.as_metadata()
    assert record["candidates"] == 3 and record["kept"] == 2
    assert [r["index"] for r in record["rejected"]] == [0, 1]
    assert "assistant_speak" in record["rejected"][0]["defects"] and record["rejected"][1]["defects"] == ["premature_answer"]


def test_when_every_candidate_is_refused_the_student_falls_back_in_character():
    result = choose(["She bought 10 spoons.", "Let's think together!"], STUDENT, SPOONS, HISTORY, STUCK)
    assert result.fallback and result.index == -1 and result.text == "I still think the answer is 4."
    assert result.as_metadata()["fallback"] is True


def test_a_student_who_drifts_off_the_problem_falls_back_in_character():
    result = choose(["Enjoying your weekend! That's wonderful.", "How have you been lately?"], STUDENT, SPOONS,
                    HISTORY, STUCK)
    assert result.fallback and result.text == "I still think the answer is 4."
    assert all("off_problem" in c.defects for c in result.candidates)


def test_a_mild_defect_keeps_the_least_bad_candidate():
    result = choose(["I think so and", "Then I"], STUDENT, SPOONS, HISTORY, STUCK)
    assert not result.fallback and result.index == 0


def test_the_speaker_samples_its_candidates_in_one_batch_and_stores_the_gate_record():
    class Recording(ScriptedBackend):
        def complete_batch(self, requests, options=None):
            self.batches = getattr(self, "batches", []) + [len(requests)]
            return super().complete_batch(requests, options)

    backend = Recording(["She bought 10 spoons.", "As an AI I can't.", "I think it's 4 spoons, because 12 - 3 = 9."])
    speaker = AgentSpeaker(Student(), backend, GenerationOptions(max_tokens=48), gate=3)
    state = SessionState(SPOONS, SessionOptions(teacher_first=True))
    state.add(Reply(text=HISTORY[0].text))
    reply = speaker.reply(SPOONS, state.turns, seed=4)
    assert backend.batches == [3]
    seeds = [o.seed for _, o in backend.history]
    assert len(set(seeds)) == 3  # each candidate samples on its own
    assert reply.text == "I think it's 4 spoons, because 12 - 3 = 9."
    assert reply.metadata["gate"]["kept"] == 2 and reply.metadata["knowledge"]["stage"] == "stuck"
    turn = state.add(reply)
    assert turn.metadata == reply.metadata


def test_the_teacher_gate_checks_its_one_reply_without_sampling_more():
    backend = ScriptedBackend(["Good question. How many spoons did she use? Happy learning!"])
    speaker = AgentSpeaker(Teacher(), backend, GenerationOptions(max_tokens=60), gate=1)
    reply = speaker.accept_many(SPOONS, [Completion(text=backend.complete([]).text)], [])
    assert reply.text == "How many spoons did she use?" and reply.metadata["gate"]["repaired"] == [0]
    assert speaker.candidates == 1 and "knowledge" not in reply.metadata


def test_a_list_marker_is_not_a_finished_sentence():
    assert end_at_sentence("I'm not sure. My explanation: 1. First I took") == ("I'm not sure.", True)
    assert end_at_sentence("It is 15. Then I added 5 and") == ("It is 15.", True)


def test_of_the_clean_candidates_the_gate_keeps_one_that_does_what_the_state_says():
    stuck = choose(["I multiplied the spoons.", "I still think 12 - 3 = 9, so 4 spoons."], STUDENT, SPOONS, HISTORY,
                   STUCK)
    assert stuck.index == 1  # stuck: repeats its wrong answer
    told = choose(["Oh, I see now.", "So she bought 10 spoons."], STUDENT, SPOONS, HISTORY, UNDERSTOOD)
    assert told.index == 1  # told the answer: says it
    found = KnowledgeState(stage="understood", reason="you said the answer yourself")
    assert choose(["Oh, I see now.", "So she bought 10 spoons."], STUDENT, SPOONS, HISTORY, found).index == 0
