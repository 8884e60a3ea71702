"""The loop's paired comparison on scripted backends: a planted improvement is detected, identical teachers are not."""

from __future__ import annotations

import pytest

from practicum.tuning.loop import LoopConfig, run_loop
from practicum.tuning.loop_report import headline_rows
from tests.fakes.openai_server import FakeOpenAIServer
from tests.tuning.test_dspy_tuner_loop import install_roles
from tests.tuning.test_tuner_protocol import ScriptedTuner


class UnchangedTuner(ScriptedTuner):
    """Saves the base Teacher program as it is: the 'tuned' teacher is the base teacher."""

    def run(self, config):
        from practicum.agents.roles import Teacher
        from practicum.storage.tuning_runs import create_tuning_run, update_tuning_run
        from practicum.tuning.tuner import TunedArtifact
        from pathlib import Path

        run_id = create_tuning_run(self.store, tuner=self.name, config={}, role="teacher",
                                   data_hash=self.prepared[-1].hashed().data_hash, status="running")
        path = Path(config["workdir"]) / "unchanged-program.json"
        Teacher().save(str(path))
        update_tuning_run(self.store, run_id, status="succeeded", artifact_path=str(path))
        return TunedArtifact(self.name, "teacher", run_id, f"program={run_id}", path, summary={})


@pytest.fixture
def subset(tmp_path, mathdial_path):
    path = tmp_path / "mathdial60.jsonl"
    path.write_text("".join(mathdial_path.read_text(encoding="utf-8").splitlines(keepends=True)[:60]))
    return path


def _loop(tmp_path, store, subset, tuner):
    with FakeOpenAIServer() as server:
        specs = install_roles(server)
        config = LoopConfig(data=str(subset), tuner="dspy", scenarios=10, seeds=1, turns=2, seed=3, judge="none",
                            concurrency=5, workdir=str(tmp_path / "work"), out=str(tmp_path / "report"),
                            teacher=specs["teacher"], student=specs["student"])
        result = run_loop(config, store, tuners=lambda name: (tuner, {"name": name, "workdir": config.workdir}))
    (outcome,) = result.outcomes
    return {row.name: (row, verdict) for row, verdict in headline_rows(outcome.comparison)}


def test_a_planted_improvement_is_outside_noise(tmp_path, store, subset):
    rows = _loop(tmp_path, store, subset, ScriptedTuner(store))
    # the planted teacher asks a question instead of stating the answer, in every one of 10 paired sessions
    row, verdict = rows["question_rate"]
    assert row.n_pairs == 10 and row.difference > 0.5 and verdict == "better"


def test_identical_teachers_are_within_noise_on_every_headline_metric(tmp_path, store, subset):
    rows = _loop(tmp_path, store, subset, UnchangedTuner(store))
    assert rows and all(verdict == "within noise" and row.difference == 0 for row, verdict in rows.values())
