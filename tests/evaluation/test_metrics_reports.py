"""Stored metrics, bootstrap intervals, paired comparisons, and the `eval` / `compare` commands."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from practicum.records import Turn
from practicum.cli import cli
from practicum.storage import metrics_queries as mq
from practicum.storage.store import Store
from practicum.evaluation.compute import compute_session_metrics, metrics_version
from practicum.evaluation.reports import (
    bootstrap_ci, compare, evaluate_sessions, paired_permutation_p, unpaired_permutation_p,
)


def _session(store, scenario, teacher_texts, *, seed, teacher="local", run_id=None):
    session_id = store.create_session(scenario, teacher_spec=teacher, student_spec="local", seed=seed, run_id=run_id)
    idx = 0
    for text in teacher_texts:
        store.add_turn(session_id, Turn(idx, "teacher", text))
        store.add_turn(session_id, Turn(idx + 1, "student", "I am not sure."))
        idx += 2
    store.finish_session(session_id, "completed", "max_turns")
    return session_id


def test_migration_adds_metrics_table_and_prediction_columns(store):
    assert {"session_id", "name", "version", "value", "detail", "created"} == set(store.db["metrics"].columns_dict)
    assert store.db["metrics"].pks == ["session_id", "name", "version"]
    assert {"predicted_move", "predicted_by"} <= set(store.db["turns"].columns_dict)


def test_metrics_upsert_per_version_and_cascade_on_delete(store, scenario):
    sid = _session(store, scenario, ["What is 1/2 + 1/3?"], seed=1)
    mq.save_metrics(store, sid, [("question_rate", "v1", 0.5, {"a": 1})])
    mq.save_metrics(store, sid, [("question_rate", "v1", 1.0, {}), ("question_rate", "v2", 0.0, {})])
    rows = mq.metric_rows(store, [sid])
    assert [(r["version"], r["value"]) for r in rows] == [("v1", 1.0), ("v2", 0.0)]
    store.delete_session(sid)
    assert mq.metric_rows(store, [sid]) == []


def test_predicted_moves_leave_human_labels_alone(store, scenario):
    sid = store.import_transcript(scenario, [Turn(0, "teacher", "Hi", move="generic", move_source="human")],
                                  source="mathdial")
    mq.save_predicted_moves(store, sid, {0: "focus"}, "moves:test@1")
    turn = store.get_turns(sid)[0]
    assert (turn["move"], turn["move_source"], turn["predicted_move"], turn["predicted_by"]) == (
        "generic", "human", "focus", "moves:test@1")


def test_compute_without_classifier_stores_text_metrics(store, scenario):
    sid = _session(store, scenario, ["Why?", "Add them."], seed=1)
    values = compute_session_metrics(store, sid, classifier=None)
    assert values["question_rate"] == 0.5
    assert "telling_rate" not in values
    stored = {r["name"]: r["value"] for r in mq.metric_rows(store, [sid], metrics_version(None))}
    assert stored == values


def test_bootstrap_and_permutation_tests_by_hand():
    assert bootstrap_ci([3.0]) == (3.0, 3.0)
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    low, high = bootstrap_ci([0.0, 1.0] * 20)
    assert low < 0.5 < high and bootstrap_ci([0.0, 1.0] * 20) == (low, high)
    # three positive differences: 2 of the 8 sign patterns are as extreme
    assert paired_permutation_p([1.0, 1.0, 1.0]) == 0.25
    assert paired_permutation_p([0.0, 0.0]) == 1.0
    assert unpaired_permutation_p([0.0] * 10, [1.0] * 10) < 0.001


def test_paired_comparison_by_scenario_and_seed(store, scenario):
    before = [_session(store, scenario, ["Add them.", "It is 5/6."], seed=s) for s in (1, 2, 3)]
    after = [_session(store, scenario, ["What do you get?", "Why 6?"], seed=s) for s in (3, 1, 2)]
    result = compare(store, before, after, classifier=None)
    assert result.paired and result.pairing.endswith("3 pairs")
    question = next(m for m in result.metrics if m.name == "question_rate")
    assert (question.mean_a, question.mean_b, question.difference) == (0.0, 1.0, 1.0)
    # three pairs can never reach p < 0.05 by sign flips (the smallest p is 2/8), so the inverted test's
    # interval is unbounded: the CI and the p-value say the same thing (a bootstrap CI said [1, 1] here)
    assert (question.ci_low, question.ci_high, question.p_value, question.n_pairs) == (-float("inf"), float("inf"), 0.25, 3)
    unpaired = compare(store, before, after[:2], classifier=None)
    assert not unpaired.paired and "pair" in unpaired.notes[0]
    forced = compare(store, before, after[:2], classifier=None, paired="yes")
    assert forced.paired and forced.metrics[0].n_pairs == 2


def test_evaluate_sessions_report(store, scenario):
    ids = [_session(store, scenario, ["Why?", "Add them."], seed=s) for s in (1, 2)]
    report = evaluate_sessions(store, ids, classifier=None)
    row = next(m for m in report.metrics if m.name == "question_rate")
    assert (row.n, row.mean, row.ci_low, row.ci_high) == (2, 0.5, 0.5, 0.5)
    assert report.version == "v1"


@pytest.fixture
def db_path(tmp_path, scenario):
    path = tmp_path / "p.db"
    s = Store(path)
    for seed in (1, 2, 3):
        _session(s, scenario, ["Add them.", "It is 5/6."], seed=seed, teacher="local")
        _session(s, scenario, ["What do you get?", "Why 6?"], seed=seed, teacher="openai:m")
    s.close()
    return path


def test_eval_and_compare_commands(db_path, tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli, ["--db", str(db_path), "eval", "--teacher", "local", "--no-moves", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["session_ids"] == [1, 3, 5]
    assert {m["name"]: m["mean"] for m in report["metrics"]}["question_rate"] == 0.0
    prefix = tmp_path / "cmp"
    out = runner.invoke(cli, ["--db", str(db_path), "compare", "teacher:local", "teacher:openai:m", "--no-moves",
                              "--out", str(prefix)])
    assert out.exit_code == 0, out.output
    assert "paired by (scenario, seed): 3 pairs" in out.output
    data = json.loads((tmp_path / "cmp.json").read_text())
    assert data["paired"] and {m["name"]: m["difference"] for m in data["metrics"]}["question_rate"] == 1.0
    assert (tmp_path / "cmp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = runner.invoke(cli, ["--db", str(db_path), "compare", "run:99", "1-2", "--no-moves"])
    assert bad.exit_code != 0 and "matches no finished session" in str(bad.exception or bad.output)


def test_large_samples_use_the_normal_interval_which_matches_the_bootstrap(monkeypatch):
    import numpy as np

    from practicum.evaluation import reports

    data = list((np.random.default_rng(1).random(2500) < 0.1).astype(float))
    normal = reports.bootstrap_ci(data)
    monkeypatch.setattr(reports, "NORMAL_APPROX_N", 10_000)
    resampled = reports.bootstrap_ci(data)
    assert normal != resampled  # two procedures were really used
    assert normal == pytest.approx(resampled, abs=0.002)
