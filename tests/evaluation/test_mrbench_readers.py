"""MRBench readers (both layouts) and `practicum import` of MRBench files, on small files the tests write."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from practicum.cli import cli
from practicum.errors import InputError
from practicum.evaluation.mrbench import (
    BEA_DIMENSIONS, merge_examples, parse_history, problem_from_history, read_mrbench, read_mrbench_files,
)

HISTORY = ("Tutor: Hi, could you please provide a step-by-step solution for the question below? The question is: "
           "Sam has 3 bags with 4 apples each. How many apples?\u00a0\n\u00a0Student: 3 + 4 = 7.\nSo 7 apples.\u00a0"
           "\n\u00a0Tutor: What does 'each' tell you?\u00a0\n\u00a0Student: I added them.")
BEA_LABELS = {"Mistake_Identification": "Yes", "Mistake_Location": "To some extent", "Providing_Guidance": "No",
              "Actionability": "Yes"}
V2_EXTRA = {"Revealing_of_the_Answer": "Yes (and the answer is correct)", "Coherence": "Yes",
            "Tutor_Tone": "Neutral", "humanlikeness": "To some extent"}


def bea_record(cid="c1", history=HISTORY):
    return {"conversation_id": cid, "conversation_history": history, "tutor_responses": {
        "Expert": {"response": "Each bag has 4 apples; how many bags are there?", "annotation": dict(BEA_LABELS)},
        "GPT4": {"response": "The answer is 12.", "annotation": dict(BEA_LABELS, Providing_Guidance="Yes")},
    }}


def v2_record(cid="c1"):
    return {"conversation_id": cid, "conversation_history": HISTORY, "Data": "MathDial", "Split": "test",
            "Topic": "Not Available", "Ground_Truth_Solution": "3 bags x 4 apples = 12 apples.\n 12",
            "anno_llm_responses": {
                "GPT4": {"response": "The answer is 12.", "annotation": dict(BEA_LABELS, **V2_EXTRA)},
                "Phi3": {"response": "Great job!", "annotation": {**BEA_LABELS, **V2_EXTRA,
                                                                    "Revealing_of_the_Answer": "No"}},
            }}


@pytest.fixture
def files(tmp_path):
    bea, v2 = tmp_path / "bea.json", tmp_path / "v2.json"
    bea.write_text(json.dumps([bea_record("c1"), bea_record("c2")]), encoding="utf-8")
    v2.write_text(json.dumps([v2_record("c1")]), encoding="utf-8")
    return bea, v2


def test_history_parses_into_turns_and_problem():
    turns = parse_history(HISTORY)
    assert [role for role, _ in turns] == ["teacher", "student", "teacher", "student"]
    assert turns[1][1] == "3 + 4 = 7. So 7 apples."  # a multi-line turn is one turn, whitespace normalised
    assert problem_from_history(HISTORY) == "Sam has 3 bags with 4 apples each. How many apples?"
    assert problem_from_history("Tutor: What is 2+2?\nStudent: 5") == ""


def test_both_layouts_read_as_labelled_examples(files):
    bea, v2 = files
    a = read_mrbench(bea)
    assert len(a) == 4 and {e.tutor for e in a} == {"Expert", "GPT4"}
    assert a[0].labels == BEA_LABELS and a[0].answer == "" and a[0].problem.startswith("Sam has")
    b = read_mrbench(v2)
    assert b[0].answer == "12" and b[0].data == "MathDial" and set(b[0].labels) == set(BEA_LABELS) | set(V2_EXTRA)


def test_files_merge_so_a_response_rated_twice_counts_once(files):
    examples, hashes = read_mrbench_files(files)
    assert set(hashes) == {"bea.json", "v2.json"} and all(len(h) == 64 for h in hashes.values())
    assert len(examples) == 5  # c1: Expert, GPT4 (both files), Phi3; c2: Expert, GPT4
    merged = next(e for e in examples if e.conversation_id == "c1" and e.tutor == "GPT4")
    assert merged.labels["Providing_Guidance"] == "Yes" and "Coherence" in merged.labels
    assert merged.answer == "12"  # the ground truth comes from the file that has it
    assert len(merge_examples(read_mrbench(files[0]), read_mrbench(files[0]))) == 4


@pytest.mark.parametrize("record, message", [
    ({"conversation_history": "x"}, "not an MRBench dialogue"),
    ({"conversation_history": "x", "tutor_responses": {"A": {"response": 3}}}, "A.response"),
    ({"conversation_history": "x", "tutor_responses": {"A": {"response": "r",
                                                              "annotation": {"Actionability": "Maybe"}}}},
     "Actionability: unknown label 'Maybe'"),
])
def test_bad_records_name_the_field(tmp_path, record, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_mrbench(path)


def test_bea_dimensions_are_the_shared_task_tracks():
    assert BEA_DIMENSIONS == ("Mistake_Identification", "Mistake_Location", "Providing_Guidance", "Actionability")


def test_import_stores_dialogue_expert_turn_candidates_and_labels(files, tmp_path):
    from practicum.storage.candidates import list_candidates
    from practicum.storage.store import Store

    bea, _ = files
    db = tmp_path / "p.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "import", str(bea), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["format"], report["imported"], report["skipped"]) == ("mrbench", 2, 0)
    store = Store(db)
    session = store.get_session(report["sessions"][0]["session_id"])
    turns = session["turns"]
    assert [t["role"] for t in turns] == ["teacher", "student", "teacher", "student", "teacher"]
    assert turns[-1]["text"].startswith("Each bag has 4 apples") and turns[-1]["model"] == "Expert"
    (candidate,) = list_candidates(store, session["id"], turns[-1]["idx"])
    assert candidate["text"] == "The answer is 12." and candidate["model"] == "GPT4"
    ratings = {r["dimension"]: r["score"] for r in store.ratings(session["id"]) if r["rater"] == "mrbench"}
    # rubric dimensions on the rubric's 1-5 scale (Yes -> 5, No -> 1); mistake location on 0-2 (partly -> 1)
    assert ratings == {"mistake_identification": 5.0, "mistake_location": 1.0, "guidance": 1.0, "actionability": 5.0}
    scenario = store.get_scenario(session["scenario_id"])
    assert scenario.problem.startswith("Sam has 3 bags") and scenario.source == "mrbench"
    again = json.loads(CliRunner().invoke(cli, ["--db", str(db), "import", str(bea), "--json"]).output)
    assert (again["imported"], again["already_imported"]) == (0, 2)


def test_import_skips_a_bad_record_and_keeps_the_rest(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([bea_record("ok"), {"conversation_history": "Tutor: hi", "tutor_responses": {
        "A": {"response": "r", "annotation": {"Actionability": "Maybe"}}}}]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "p.db"), "import", str(path), "--json"])
    report = json.loads(result.output)
    assert report["imported"] == 1 and report["skipped"] == 1
    assert "record 2" in report["skipped_records"][0]["at"]
    assert "Maybe" in report["skipped_records"][0]["reason"]
