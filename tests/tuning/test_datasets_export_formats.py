"""Each export format checked field by field on a small rated session, rendered with the roles' own prompts."""

from __future__ import annotations

import hashlib
import json

import pytest

from practicum.agents.roles import Student, Teacher
from practicum.records import Turn
from practicum.errors import InputError
from practicum.storage.candidates import add_candidate, rate_candidate, save_rewrite
from practicum.tuning.datasets.export_dspy import load_dspy_examples
from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
from practicum.tuning.datasets.selection import ExportFilters

NO_SPLIT = ExportSettings(val_fraction=0)

TURNS = [
    Turn(0, "teacher", "What did you get when you added 1/3 and 1/4?", move="probing"),
    Turn(1, "student", "I got 2/7."),
    Turn(2, "teacher", "The answer is 7/12.", move="telling"),
    Turn(3, "teacher", "Sorry, let me ask instead: are thirds and fourths the same size?", move="focus"),
    Turn(4, "student", "No, fourths are smaller."),
    Turn(5, "teacher", "So can we add them as they are?", move="probing"),
]


@pytest.fixture
def rated(store, scenario):
    """One session with a low-rated telling turn (2) and a good session score."""
    sid = store.import_transcript(scenario, TURNS, source="simulated")
    store.add_rating(sid, rater="ana", dimension="overall", score=1, turn_idx=2)
    store.add_rating(sid, rater="ana", dimension="overall", score=4)
    return sid


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def strip_weights(messages):
    return [{k: v for k, v in m.items() if k != "weight"} for m in messages]


def reply(text):
    return {"role": "assistant", "content": text}


def test_hf_sft_one_row_per_learned_turn_with_the_teachers_own_prompt(store, scenario, rated, tmp_path):
    out = tmp_path / "sft.jsonl"
    result = export_dataset(store, "hf-sft", out, ExportFilters(min_turn_rating=3), NO_SPLIT)
    rows = read_jsonl(out)
    teacher = Teacher()
    learned = [0, 3, 5]  # turn 2 is scored 1, below 3
    assert rows == [{"prompt": teacher.messages(scenario, TURNS[:k]), "completion": [reply(TURNS[k].text)]}
                    for k in learned]
    assert rows[0]["prompt"][0]["role"] == "system" and scenario.problem in rows[0]["prompt"][0]["content"]
    assert result.counts["train"]["examples"] == 3 and result.counts["not_learned_turns"] == 1
    assert result.files == {"train": str(out)}


def test_openai_sft_packs_conversations_and_weights_low_rated_turns_zero(store, scenario, rated, tmp_path):
    out = tmp_path / "oai.jsonl"
    result = export_dataset(store, "openai-sft", out, ExportFilters(min_turn_rating=3), NO_SPLIT)
    rows = read_jsonl(out)
    teacher = Teacher()
    # Turn 3 follows teacher turn 2, so its prompt ends with practicum's "(Continue.)" cue; turn 5's
    # prompt has no cue there, so the session splits into two conversations rather than lie about a prompt.
    assert [strip_weights(r["messages"]) for r in rows] == [
        teacher.messages(scenario, TURNS[:3]) + [reply(TURNS[3].text)],
        teacher.messages(scenario, TURNS[:5]) + [reply(TURNS[5].text)],
    ]
    weights = [[(m["content"], m["weight"]) for m in r["messages"] if m["role"] == "assistant"] for r in rows]
    assert weights == [
        [(TURNS[0].text, 1), (TURNS[2].text, 0), (TURNS[3].text, 1)],
        [(TURNS[0].text, 0), (TURNS[2].text, 0), (TURNS[3].text, 0), (TURNS[5].text, 1)],
    ]
    assert all("weight" not in m for r in rows for m in r["messages"] if m["role"] != "assistant")
    assert result.counts["train"]["learned"] == 3 and result.counts["train"]["context_only"] == 4


def test_openai_sft_for_the_student_never_learns_the_prompt_only_opening(store, scenario, rated, tmp_path):
    out = tmp_path / "student.jsonl"
    export_dataset(store, "openai-sft", out, ExportFilters(role="student"), NO_SPLIT)
    rows = read_jsonl(out)
    student = Student()
    # The knowledge-state directive in the system prompt changes between the two student turns, so each
    # turn is its own conversation: exactly the prompt that turn was generated from.
    assert [strip_weights(r["messages"]) for r in rows] == [
        student.messages(scenario, TURNS[:1]) + [reply(TURNS[1].text)],
        student.messages(scenario, TURNS[:4]) + [reply(TURNS[4].text)]]
    for row in rows:
        assistant = [(m["content"], m["weight"]) for m in row["messages"] if m["role"] == "assistant"]
        assert assistant[0][1] == 0 and assistant[0][0].startswith("The problem is:")  # the written attempt
        assert assistant[-1][1] == 1 and all(w == 0 for _, w in assistant[1:-1])


def test_dspy_examples_hold_the_signature_inputs_and_load_back(store, scenario, rated, tmp_path):
    out = tmp_path / "dspy.json"
    export_dataset(store, "dspy", out, ExportFilters(), NO_SPLIT)
    document = json.loads(out.read_text())
    assert (document["signature"], document["input_keys"], document["output_key"]) == (
        "TeacherTurn", ["situation", "dialogue"], "reply")
    first = document["examples"][0]
    expected = Teacher().inputs(scenario, [])
    assert first["situation"] == expected["situation"] and first["dialogue"] == expected["dialogue"]
    assert first["reply"] == TURNS[0].text and first["meta"]["turn_idx"] == 0
    assert len(document["examples"]) == 4
    examples = load_dspy_examples(out)
    assert set(examples[1].inputs().keys()) == {"situation", "dialogue"} and examples[1].reply == TURNS[2].text
    assert examples[1].dialogue[-1] == {"role": "student", "text": "I got 2/7."}


def test_preference_pairs_from_a_rewrite_and_from_scored_candidates(store, scenario, rated, tmp_path):
    save_rewrite(store, rated, 0, "What fraction do you get, and how did you find it?", author="ana")
    better = add_candidate(store, rated, 5, "What would we need to change before adding them?", model="scripted")
    worse = add_candidate(store, rated, 5, "Just add the tops and bottoms.", model="scripted")
    store.add_rating(rated, rater="ana", dimension="overall", score=3, turn_idx=5)
    rate_candidate(store, better, rater="ana", dimension="overall", score=5)
    rate_candidate(store, worse, rater="ana", dimension="overall", score=1)
    teacher = Teacher()

    export_dataset(store, "openai-dpo", tmp_path / "o.jsonl", ExportFilters(), NO_SPLIT)
    rows = read_jsonl(tmp_path / "o.jsonl")
    pairs = [(r["preferred_output"][0]["content"], r["non_preferred_output"][0]["content"]) for r in rows]
    assert pairs == [
        ("What fraction do you get, and how did you find it?", TURNS[0].text),
        ("What would we need to change before adding them?", TURNS[5].text),
        ("What would we need to change before adding them?", "Just add the tops and bottoms."),
        (TURNS[5].text, "Just add the tops and bottoms."),
    ]
    assert rows[0]["input"] == {"messages": teacher.messages(scenario, [])}
    assert rows[1]["input"]["messages"] == teacher.messages(scenario, TURNS[:5])
    assert all(r["preferred_output"][0]["role"] == "assistant" for r in rows)

    export_dataset(store, "hf-dpo", tmp_path / "h.jsonl", ExportFilters(), ExportSettings(val_fraction=0, min_margin=3))
    hf = read_jsonl(tmp_path / "h.jsonl")
    assert [(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in hf] == [pairs[0], pairs[2]]
    assert set(hf[1]) == {"prompt", "chosen", "rejected"} and hf[1]["prompt"] == teacher.messages(scenario, TURNS[:5])


def test_kto_labels_follow_scores_and_rewrites(store, scenario, rated, tmp_path):
    save_rewrite(store, rated, 0, "What fraction do you get, and how did you find it?", author="ana")
    export_dataset(store, "hf-kto", tmp_path / "k.jsonl", ExportFilters(), NO_SPLIT)
    rows = read_jsonl(tmp_path / "k.jsonl")
    labels = [(r["completion"][0]["content"], r["label"]) for r in rows]
    assert labels == [
        (TURNS[0].text, False),  # an unscored original that a reviewer rewrote
        ("What fraction do you get, and how did you find it?", True),
        (TURNS[2].text, False),  # scored 1, below the default threshold of 3
    ]
    assert rows[2]["prompt"] == Teacher().messages(scenario, TURNS[:2])


def test_rewrites_replace_the_target_unless_turned_off(store, scenario, rated, tmp_path):
    save_rewrite(store, rated, 2, "What do the denominators tell you?", author="ana")
    export_dataset(store, "hf-sft", tmp_path / "a.jsonl", ExportFilters(min_turn_rating=3), NO_SPLIT)
    completions = [r["completion"][0]["content"] for r in read_jsonl(tmp_path / "a.jsonl")]
    assert completions == [TURNS[0].text, "What do the denominators tell you?", TURNS[3].text, TURNS[5].text]
    export_dataset(store, "hf-sft", tmp_path / "b.jsonl", ExportFilters(min_turn_rating=3, use_rewrites=False), NO_SPLIT)
    assert [r["completion"][0]["content"] for r in read_jsonl(tmp_path / "b.jsonl")] == [
        TURNS[0].text, TURNS[3].text, TURNS[5].text]


def test_dialogue_export_carries_scenario_and_moves(store, scenario, rated, tmp_path):
    export_dataset(store, "dialogue", tmp_path / "d.jsonl", ExportFilters(), NO_SPLIT)
    (row,) = read_jsonl(tmp_path / "d.jsonl")
    assert row["scenario"] == scenario.model_dump()
    assert row["dialogue"][0] == {"role": "teacher", "content": TURNS[0].text, "move": "probing"}
    assert row["dialogue"][1] == {"role": "student", "content": "I got 2/7."}


def test_manifest_row_records_filters_counts_files_and_hash(store, rated, tmp_path):
    out = tmp_path / "m.jsonl"
    result = export_dataset(store, "hf-sft", out, ExportFilters(min_turn_rating=3, sources=["simulated"]), NO_SPLIT)
    row = store.db["datasets"].get(result.dataset_id)
    assert row["format"] == "hf-sft" and row["path"] == str(out)
    assert json.loads(row["files"]) == {"train": str(out), "train_metadata": str(tmp_path / "m.meta.jsonl")}
    filters = json.loads(row["filters"])
    assert filters["min_turn_rating"] == 3 and filters["sources"] == ["simulated"] and filters["role"] == "teacher"
    assert json.loads(row["counts"])["train"]["examples"] == 3
    assert row["content_hash"] == hashlib.sha256(out.read_bytes()).hexdigest() == result.content_hash


def test_session_filters(store, scenario, rated, tmp_path):
    from practicum.scenarios.files import get_builtin

    other = get_builtin("reading-main-idea")
    second = store.import_transcript(other, TURNS[:2], source="practice")
    out = tmp_path / "f.jsonl"

    def sessions(**filters):
        result = export_dataset(store, "dialogue", out, ExportFilters(**filters), NO_SPLIT)
        return sorted(r["meta"]["session_id"] for r in read_jsonl(out)), result

    assert sessions()[0] == [rated, second]
    assert sessions(sources=["practice"])[0] == [second]
    assert sessions(subject=scenario.subject, grade=scenario.grade)[0] == [rated]
    assert sessions(rater="ana")[0] == [rated]
    kept, result = sessions(min_session_rating=3)
    assert kept == [rated] and result.dropped == {"no session rating": 1}
    assert sessions(since="2000-01-01", until="2999-01-01")[0] == [rated, second]
    with pytest.raises(InputError, match="nothing to export"):
        sessions(until="2000-01-01")
    with pytest.raises(InputError, match="nothing to export as hf-dpo.*candidates or rewrites"):
        export_dataset(store, "hf-dpo", out, ExportFilters(), NO_SPLIT)


def test_metric_thresholds_need_stored_metrics(store, scenario, rated, tmp_path):
    out = tmp_path / "x.jsonl"
    with pytest.raises(InputError, match="no metric named 'telling_rate' is stored"):
        export_dataset(store, "hf-sft", out, ExportFilters(min_metrics={"telling_rate": 0.1}), NO_SPLIT)
    # The evaluation issue's table (migration m003): metrics(session_id, name, version, value, detail, created).
    second = store.import_transcript(scenario, TURNS[:1], source="simulated")
    store.db["metrics"].insert_all([
        {"session_id": rated, "name": "telling_rate", "version": "1", "value": 0.9, "detail": "", "created": "2025-01-01"},
        {"session_id": rated, "name": "telling_rate", "version": "2", "value": 0.25, "detail": "", "created": "2025-02-01"},
        {"session_id": second, "name": "telling_rate", "version": "2", "value": 0.0, "detail": "", "created": "2025-02-01"},
    ])
    result = export_dataset(store, "dialogue", out, ExportFilters(max_metrics={"telling_rate": 0.3}), NO_SPLIT)
    assert sorted(r["meta"]["session_id"] for r in read_jsonl(out)) == [rated, second]  # the latest value counts
    result = export_dataset(store, "dialogue", out, ExportFilters(min_metrics={"telling_rate": 0.1}), NO_SPLIT)
    assert [r["meta"]["session_id"] for r in read_jsonl(out)] == [rated]
    assert result.dropped == {"telling_rate below 0.1": 1}
    with pytest.raises(InputError, match="no metric named 'judge_score' is stored"):
        export_dataset(store, "hf-sft", out, ExportFilters(min_metrics={"judge_score": 3}), NO_SPLIT)


def test_cli_export_prints_summary_and_rejects_bad_thresholds(tmp_path, scenario):
    from click.testing import CliRunner

    from practicum.cli import cli
    from practicum.storage.store import Store

    db = tmp_path / "p.db"
    store = Store(db)
    store.import_transcript(scenario, TURNS, source="simulated")
    store.close()
    runner = CliRunner()
    out = tmp_path / "cli.jsonl"
    result = runner.invoke(cli, ["--db", str(db), "export", "--format", "hf-sft", "--out", str(out), "--json"],
                           catch_exceptions=False)
    data = json.loads(result.output)
    assert data["counts"]["train"]["examples"] == 4 and data["files"] == {"train": str(out)}
    table = runner.invoke(cli, ["--db", str(db), "export", "--format", "openai-sft", "--out", str(out)])
    assert table.exit_code == 0 and "learned turns" in table.output
    bad = runner.invoke(cli, ["--db", str(db), "export", "--format", "hf-sft", "--out", str(out),
                              "--min-metric", "telling_rate"])
    assert isinstance(bad.exception, InputError) and "expected NAME=NUMBER" in str(bad.exception)
    listing = runner.invoke(cli, ["--db", str(db), "datasets", "list", "--json"], catch_exceptions=False)
    assert [r["format"] for r in json.loads(listing.output)] == ["openai-sft", "hf-sft"]


def test_failed_sessions_are_left_out_unless_asked_for(store, scenario, rated, tmp_path):
    failed = store.import_transcript(scenario, TURNS[:2], source="simulated")
    store.finish_session(failed, "failed", "error", error="backend down")
    out = tmp_path / "d.jsonl"
    default = export_dataset(store, "dialogue", out, ExportFilters(), NO_SPLIT)
    assert default.counts["sessions_matched"] == 1 and len(read_jsonl(out)) == 1
    asked = export_dataset(store, "dialogue", out, ExportFilters(statuses=["completed", "failed"]), NO_SPLIT)
    assert asked.counts["sessions_matched"] == 2


def test_unrated_turns_are_counted_and_can_be_skipped(store, scenario, rated, tmp_path):
    out = tmp_path / "sft.jsonl"
    learn = export_dataset(store, "hf-sft", out, ExportFilters(min_turn_rating=3), NO_SPLIT)
    assert learn.counts["unrated_turns"] == 3  # teacher turns 0, 3, 5 have no turn score
    assert learn.counts["train"]["examples"] == 3
    with pytest.raises(InputError, match="nothing to export"):  # the only rated turn is below the minimum
        export_dataset(store, "hf-sft", out, ExportFilters(min_turn_rating=3, unrated_turns="skip"), NO_SPLIT)
    store.add_rating(rated, rater="ana", dimension="overall", score=5, turn_idx=5)
    skip = export_dataset(store, "hf-sft", out, ExportFilters(min_turn_rating=3, unrated_turns="skip"), NO_SPLIT)
    assert [row["completion"][0]["content"] for row in read_jsonl(out)] == [TURNS[5].text]
    assert skip.counts["unrated_turns"] == 2


def test_metric_filter_without_metrics_says_to_run_eval(store, scenario, rated, tmp_path):
    with pytest.raises(InputError, match="practicum eval"):
        export_dataset(store, "hf-sft", tmp_path / "x.jsonl", ExportFilters(max_metrics={"telling_rate": 0.3}),
                       NO_SPLIT)
