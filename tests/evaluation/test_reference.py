"""MathDial's teachers as reference figures: the shipped numbers come from the shared slice, measured like practice."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from practicum.cli import cli
from practicum.evaluation.reference import (ARTIFACT_DIR, MANIFEST_FILE, REFERENCE_FILE, compute_reference,
                                            file_sha256, load_reference)
from practicum.records import TEACHER
from tests.tui.stand_ins import RuleClassifier, RuleJudge


def first_lines(path, n: int, out) -> str:
    """The first n records of a MathDial file, in a temp file (never in the repository)."""
    out.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return str(out)


def test_shipped_reference_is_what_the_shared_slice_gives(store, mathdial_path):
    shipped = load_reference()
    manifest = json.loads((ARTIFACT_DIR / MANIFEST_FILE).read_text())
    assert shipped is not None and manifest["data"]["sha256"] == file_sha256(mathdial_path)
    assert manifest["license"] == "CC BY-SA 4.0" and "MathDial (Macina et al." in manifest["attribution"]
    reference, _ = compute_reference(store, mathdial_path)  # no classifier, no judge: the outcomes and labels
    assert reference["sessions"] == shipped["sessions"] == 300 and reference["teacher_turns"] == 1895
    for name in ("success@1", "success@3", "telling@1", "telling@3"):
        assert reference["measures"][name] == shipped["measures"][name], name
    assert reference["labelled_moves"] == shipped["labelled_moves"]
    assert shipped["measures"]["success@3"]["mean"] == pytest.approx(0.587, abs=0.001)  # README's eval table
    assert shipped["measures"]["telling@3"]["mean"] == pytest.approx(0.047, abs=0.001)
    if shipped["judge"]:
        assert any(name.startswith("judge.") for name in shipped["measures"])


def test_judge_and_move_figures_are_per_dialogue_shares(store, mathdial_path, tmp_path):
    path = first_lines(mathdial_path, 6, tmp_path / "six.jsonl")
    judge = RuleJudge()
    reference, manifest = compute_reference(store, path, classifier=RuleClassifier(), judge=judge)
    assert reference["sessions"] == 6 and reference["judge"] == {"rater": judge.rater}
    assert manifest["judge"] == judge.rater and manifest["moves_by"] == RuleClassifier.predicted_by
    shares = []
    for session_id in [row["id"] for row in store.query("select id from sessions order by id")]:
        teacher = [t["text"] for t in store.get_turns(session_id) if t["role"] == TEACHER]
        shares.append(sum("?" in t for t in teacher) / len(teacher))  # the stand-in's rule for a clear next step
    assert reference["measures"]["judge.actionability"]["mean"] == round(sum(shares) / len(shares), 4)
    assert reference["measures"]["judge.actionability"]["n"] == 6
    assert 0 <= reference["measures"]["move_share.probing"]["mean"] <= 1


def test_reference_command_writes_numbers_and_manifest(mathdial_path, tmp_path):
    path = first_lines(mathdial_path, 4, tmp_path / "four.jsonl")
    out = tmp_path / "ref"
    result = CliRunner().invoke(cli, ["eval", "reference", "--input", path, "--out-dir", str(out), "--no-moves",
                                      "--no-judge", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    written = json.loads((out / REFERENCE_FILE).read_text())
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert printed == written and written["sessions"] == 4 and written["judge"] is None
    assert manifest["data"] == {"file": "four.jsonl", "sha256": file_sha256(path), "records": 4, "skipped_lines": 0}
    text = (out / REFERENCE_FILE).read_text()
    first_teacher_line = json.loads(open(path, encoding="utf-8").readline())["conversation"].split("|EOM|")[0]
    assert first_teacher_line[:40] not in text  # numbers only, no dialogue text
    assert load_reference(out / REFERENCE_FILE) == written
    assert load_reference(tmp_path / "missing.json") is None
