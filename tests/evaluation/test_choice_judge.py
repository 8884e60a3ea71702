"""The yes/no-probability judge the loop uses with a local model: scores stored as ratings, checked against the answer."""

from __future__ import annotations

import pytest

from practicum.records import Turn
from practicum.storage.rating_queries import current_ratings
from practicum.evaluation.choice_judge import QUESTIONS, answer_agreement, choice_prompt, judge_sessions_by_choice


def test_prompt_asks_one_question_with_the_answer_filled_in():
    messages = choice_prompt("What is 3 x 4?", "12", [{"role": "student", "text": "7?"}], "Is it 12?",
                             QUESTIONS["revealing_of_the_answer"][0])
    assert messages[0]["role"] == "system" and "Yes or No" in messages[0]["content"]
    assert "final answer (12)" in messages[1]["content"] and "Teacher: Is it 12?" in messages[1]["content"]


def test_scores_are_stored_per_turn_and_dimension(store, scenario, tiny_llama_dir):
    session = store.create_session(scenario, teacher_spec="local", student_spec="local", seed=1)
    texts = [("teacher", "How did you add them?"), ("student", "I added the tops."),
             ("teacher", f"The answer is {scenario.answer}."), ("student", "Oh."), ("teacher", "Well done!")]
    for i, (role, text) in enumerate(texts):
        store.add_turn(session, Turn(i, role, text))
    store.finish_session(session, "completed", "max_turns")
    spec = f"local:model={tiny_llama_dir}"
    result = judge_sessions_by_choice(store, [session], spec, max_turns_per_session=2)
    assert result.rater == f"judge-choice:{spec}" and result.turns == 2
    ratings = current_ratings(store, session, result.rater)
    assert set(ratings) == {(idx, dim) for idx in (0, 2) for dim in QUESTIONS}  # the third teacher turn is past the cap
    for (idx, dimension), row in ratings.items():
        p_yes = float(row["comment"].removeprefix("P(yes)="))
        good = p_yes if QUESTIONS[dimension][1] else 1 - p_yes
        assert 0 <= row["score"] <= 2 and row["score"] == pytest.approx(2 * good, abs=2e-3)
    agreement = answer_agreement(store, result)
    assert agreement["turns"] == 2 and agreement["stating_answer"] == 1  # turn 2 states the answer, turn 0 not
    assert agreement["balanced_accuracy"] in (0.0, 0.5, 1.0) and agreement["agreement"] in (0.0, 0.5, 1.0)
