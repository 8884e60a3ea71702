"""The move classifier against human labels: beats both baselines on unseen dialogues, never reads labels."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from practicum.cli import cli
from practicum.evaluation.scores import macro_f1
from practicum.evaluation.move_baselines import KeywordBaseline, MajorityBaseline
from practicum.evaluation.move_classifier import MoveClassifier
from practicum.evaluation.move_features import SURFACE_FEATURES
from practicum.evaluation.move_training import (
    ARTIFACT_DIR, ARTIFACT_NAME, MANIFEST_NAME, file_hash, load_labelled_turns,
)

MOVES = ("focus", "probing", "telling", "generic")
TRAIN_ROWS, TEST_ROWS = 50, 25  # dev-slice rows (dialogues); a subset keeps the embedding time down


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    from tests.conftest import MATHDIAL_DEV, require_shared

    path = require_shared(MATHDIAL_DEV)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    folder = tmp_path_factory.mktemp("moves")
    train, test = folder / "train.jsonl", folder / "test.jsonl"
    train.write_text("\n".join(lines[:TRAIN_ROWS]) + "\n", encoding="utf-8")
    # unseen dialogues from the far end of the slice
    test.write_text("\n".join(lines[-TEST_ROWS:]) + "\n", encoding="utf-8")
    return load_labelled_turns(train), load_labelled_turns(test), test


@pytest.fixture(scope="module")
def trained(split, sentence_encoder):
    train, _, _ = split
    return MoveClassifier.fit(train.contexts, train.labels, encoder=sentence_encoder)


def test_classifier_beats_both_baselines_on_unseen_dialogues(split, trained):
    train, test, _ = split
    assert not {c.conversation for c in train.contexts} & {c.conversation for c in test.contexts}
    scores = {
        "classifier": macro_f1(test.labels, trained.predict(test.contexts), MOVES),
        "majority": macro_f1(test.labels, MajorityBaseline().fit(train.contexts, train.labels).predict(test.contexts),
                             MOVES),
        "keywords": macro_f1(test.labels, KeywordBaseline().predict(test.contexts), MOVES),
    }
    assert scores["classifier"] > scores["keywords"] + 0.05, scores
    assert scores["classifier"] > scores["majority"] + 0.2, scores


def test_saved_classifier_predicts_the_same(split, trained, tmp_path, sentence_encoder):
    _, test, _ = split
    path = tmp_path / "c.json"
    version = trained.save(path)
    loaded = MoveClassifier.load(path, encoder=sentence_encoder)
    assert loaded.version == version and loaded.predicted_by == f"moves:minilm-tfidf-logreg@{version}"
    assert (abs(loaded.predict_proba(test.contexts[:50]) - trained.predict_proba(test.contexts[:50])) < 1e-5).all()
    data = json.loads(path.read_text())
    data["cues"] = data["cues"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(Exception, match="train-moves"):
        MoveClassifier.load(path)


def test_labels_never_reach_the_classifier(split, tmp_path):
    _, test, test_path = split
    relabelled = tmp_path / "relabelled.jsonl"
    text = test_path.read_text(encoding="utf-8")
    for move in ("focus", "probing", "generic"):
        text = text.replace(f"({move})", "(telling)")
    relabelled.write_text(text, encoding="utf-8")
    other = load_labelled_turns(relabelled)
    assert set(other.labels) == {"telling"} and other.labels != test.labels
    # Everything the classifier sees is identical; only the grouping key (a hash of the raw row) differs.
    assert [replace(c, conversation="") for c in other.contexts] == [replace(c, conversation="") for c in test.contexts]


def test_eval_moves_command_scores_a_file(split, trained, tmp_path):
    _, _, test_path = split
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(test_path.read_text(encoding="utf-8").splitlines()[:8]) + "\n", encoding="utf-8")
    classifier_path = tmp_path / "c.json"
    trained.save(classifier_path)
    out = CliRunner().invoke(cli, ["eval", "moves", "--input", str(small), "--classifier", str(classifier_path),
                                   "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    confusion = report["scores"]["minilm-tfidf-logreg"]["confusion"]
    assert sum(map(sum, confusion)) == report["turns"] == len(load_labelled_turns(small).labels)
    assert set(report["scores"]) == {"minilm-tfidf-logreg", "keywords"}
    text = CliRunner().invoke(cli, ["eval", "moves", "--input", str(small), "--classifier", str(classifier_path)])
    assert text.exit_code == 0 and "confusion matrix" in text.output and "macro-F1" in text.output


def test_packaged_artifact_matches_its_manifest(mathdial_path):
    artifact, manifest_path = ARTIFACT_DIR / ARTIFACT_NAME, ARTIFACT_DIR / MANIFEST_NAME
    if not artifact.exists():
        pytest.skip("no packaged classifier yet (practicum eval train-moves)")
    manifest = json.loads(manifest_path.read_text())
    classifier = MoveClassifier.load(artifact)  # also checks the cue list against the code
    assert manifest["version"] == classifier.version
    assert manifest["features"]["cues"] == list(SURFACE_FEATURES)
    assert manifest["data"]["sha256"] == file_hash(mathdial_path)
    scores = manifest["cross_validation"]["scores"]
    assert scores["minilm-tfidf-logreg"]["macro_f1"] > scores["keywords"]["macro_f1"] > scores["majority"]["macro_f1"]


def test_stored_sessions_get_predicted_moves_and_move_metrics(store, split, sentence_encoder):
    from practicum.scenarios.mathdial import read_mathdial
    from practicum.evaluation.move_training import load_classifier
    from practicum.evaluation.reports import evaluate_sessions

    if not (ARTIFACT_DIR / ARTIFACT_NAME).exists():
        pytest.skip("no packaged classifier yet (practicum eval train-moves)")
    _, _, test_path = split
    ids = [store.import_transcript(r.scenario, r.turns, source="mathdial") for _, r in read_mathdial(test_path)][:6]
    classifier = load_classifier(encoder=sentence_encoder)
    report = evaluate_sessions(store, ids, classifier=classifier)
    assert report.version == f"v1+{classifier.version}"
    teacher = [t for i in ids for t in store.get_turns(i) if t["role"] == "teacher"]
    assert all(t["predicted_move"] in MOVES and t["predicted_by"] == classifier.predicted_by for t in teacher)
    assert all(t["move_source"] == "human" and t["move"] in MOVES for t in teacher)  # human labels kept
    shares = {m.name: m.mean for m in report.metrics}
    per_session = [sum(t["predicted_move"] == "telling" for t in store.get_turns(i) if t["role"] == "teacher")
                   / sum(t["role"] == "teacher" for t in store.get_turns(i)) for i in ids]
    assert shares["telling_rate"] == pytest.approx(sum(per_session) / len(per_session))
