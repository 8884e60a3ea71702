"""The LLM judge: lenient parsing, recorded failures, ratings by judge:<spec>, agreement with humans."""

from __future__ import annotations

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.records import Turn
from practicum.evaluation.judge import (
    DIMENSIONS, ERROR_DIMENSION, JudgeParseError, judge_agreement, judge_sessions, parse_judge_reply,
)

FULL = ('{"mistake_identification": "Yes", "mistake_location": "To some extent", '
        '"revealing_of_the_answer": "No", "providing_guidance": "yes", "actionability": "no", '
        '"coherence": "Yes", "tutor_tone": "Encouraging", "human_likeness": "To some extent"}')


def test_parses_clean_and_wrapped_json():
    assert len(parse_judge_reply(FULL)) == len(DIMENSIONS)
    wrapped = f"Sure! Here is my grading:\n```json\n{FULL}\n```\nHope this helps."
    assert parse_judge_reply(wrapped) == parse_judge_reply(FULL)


@pytest.mark.parametrize("reply, expected", [
    ("Mistake identification: Yes\nTone: encouraging\nRevealing of the answer: yes, but it is wrong",
     {"mistake_identification": "yes", "tutor_tone": "encouraging", "revealing_of_the_answer": "yes (incorrect)"}),
    ('{"Mistake Identification": "partially", "coherence": true, "actionability": 0}',
     {"mistake_identification": "to some extent", "coherence": "yes", "actionability": "no"}),
    ('{"coherence": "Yes", "tutor_tone": "purple"}', {"coherence": "yes"}),  # unknown label dropped
    ('{"coherence": "Yes", "tutor_tone": "neutral"', {"coherence": "yes", "tutor_tone": "neutral"}),  # unclosed
])
def test_lenient_parsing(reply, expected):
    assert parse_judge_reply(reply) == expected


@pytest.mark.parametrize("reply", ["", "I think the tutor did fine.", "{}", "[1, 2, 3]", '{"score": 5}'])
def test_unreadable_replies_raise_parse_errors(reply):
    with pytest.raises(JudgeParseError):
        parse_judge_reply(reply)


def _session(store, scenario):
    turns = [Turn(0, "teacher", "What did you get?"), Turn(1, "student", "5"),
             Turn(2, "teacher", "Check the second step?"), Turn(3, "student", "Oh"),
             Turn(4, "teacher", "Well done.")]
    return store.import_transcript(scenario, turns, source="test")


def test_judge_stores_scores_and_records_failures(store, scenario):
    session_id = _session(store, scenario)
    backend = ScriptedBackend([FULL, "no idea what you want", "tone: offensive"], spec="scripted")
    result = judge_sessions(store, [session_id], backend)
    assert (result.rater, result.turns, result.parsed, result.failed, result.partial) == ("judge:scripted", 3, 2, 1, 1)
    ratings = [r for r in store.ratings(session_id) if r["rater"] == "judge:scripted"]
    errors = [r for r in ratings if r["dimension"] == ERROR_DIMENSION]
    assert len(errors) == 1 and errors[0]["turn_idx"] == 2 and errors[0]["score"] is None
    assert "no idea what you want" in errors[0]["comment"]
    # tone is stored under the review rubric's name on its scale: encouraging -> top, offensive -> bottom
    from practicum.evaluation.judge_ratings import rating_scale

    low, high = rating_scale("encouraging_tone")
    tone = {r["turn_idx"]: r["score"] for r in ratings if r["dimension"] == "encouraging_tone"}
    assert tone == {0: float(high), 4: float(low)} and not [r for r in ratings if r["dimension"] == "tutor_tone"]
    # the judge saw the problem and the conversation up to the graded turn only
    last_prompt = backend.history[-1][0][-1]["content"]
    assert scenario.problem in last_prompt and "Oh" in last_prompt and "Well done." in last_prompt


def test_backend_failure_is_recorded_not_raised(store, scenario):
    session_id = _session(store, scenario)
    backend = ScriptedBackend([RuntimeError("server down")], spec="scripted")
    result = judge_sessions(store, [session_id], backend, max_turns_per_session=1)
    assert result.failed == 1 and "server down" in result.errors[0]


def test_agreement_with_human_ratings(store, scenario):
    session_id = _session(store, scenario)
    backend = ScriptedBackend(['{"tutor_tone": "encouraging"}', '{"tutor_tone": "neutral"}',
                               '{"tutor_tone": "encouraging"}'], spec="scripted")
    judge_sessions(store, [session_id], backend)
    for idx, score in ((0, 2), (2, 1), (4, 1)):
        store.add_rating(session_id, rater="alice", dimension="tutor_tone", score=score, turn_idx=idx)
    rows = judge_agreement(store, "judge:scripted")
    assert len(rows) == 1
    row = rows[0]
    assert (row["dimension"], row["rater"], row["n"]) == ("tutor_tone", "alice", 3)
    assert row["agreement"] == pytest.approx(2 / 3)
    # judge [2, 1, 2] vs alice [2, 1, 1]: po = 2/3, pe = (2/3)(1/3) + (1/3)(2/3) = 4/9 -> kappa = 0.4
    assert row["kappa"] == pytest.approx(0.4)


def test_agreement_with_the_review_rubric_names_and_scale(store, scenario):
    session_id = _session(store, scenario)
    backend = ScriptedBackend(['{"tutor_tone": "encouraging"}', '{"tutor_tone": "neutral"}',
                               '{"tutor_tone": "offensive"}'], spec="scripted")
    judge_sessions(store, [session_id], backend)
    for idx, score in ((0, 5), (2, 4), (4, 1)):  # the TUI rubric: encouraging_tone on 1-5
        store.add_rating(session_id, rater="ana", dimension="encouraging_tone", score=score, turn_idx=idx)
    (row,) = judge_agreement(store, "judge:scripted")
    assert (row["dimension"], row["rater"], row["binned"]) == ("tutor_tone", "ana", True)
    # judge [2, 1, 0] vs ana binned [2, 2, 0]: 2 of 3 labels agree; her raw 5 > 4 > 1 ranks like the judge's
    assert row["agreement"] == pytest.approx(2 / 3)
    assert row["spearman"] == pytest.approx(1.0)
