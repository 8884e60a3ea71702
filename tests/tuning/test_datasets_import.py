"""Importing dialogue files: format detection, each format's parser, per-line report, all-or-nothing records."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from practicum.cli import cli
from practicum.errors import InputError
from practicum.tuning.datasets.importers import ImportOptions, detect_format, parse_record
from practicum.tuning.datasets.importing import import_file


def write_jsonl(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


DIALOGUE = {
    "problem": "What is 3 x 4?", "answer": "12", "subject": "math", "grade": "3",
    "dialogue": [
        {"role": "teacher", "content": "What did you get for 3 x 4?", "move": "probing"},
        {"role": "student", "content": "7, because 3 + 4 = 7."},
        {"role": "teacher", "content": "Is 3 x 4 the same as 3 + 4?", "move": "focus"},
    ],
}


@pytest.mark.parametrize("record, expected", [
    (DIALOGUE, "dialogue"),
    ({"conversation": [{"role": "student", "content": "hi"}]}, "dialogue"),
    ({"messages": [{"role": "user", "content": "hi"}]}, "openai-chat"),
    ({"input": "q", "output": "a"}, "io-pairs"),
    ({"instruction": "q", "input": "", "output": "a"}, "io-pairs"),
    ({"question": "q", "ground_truth": "1", "conversation": "Teacher: hi"}, "mathdial"),
    ({"text": "hello"}, None),
    (["not", "an", "object"], None),
])
def test_detect_format(record, expected):
    assert detect_format(record) == expected


def test_dialogue_record_keeps_roles_moves_and_builds_scenario_from_fields():
    parsed = parse_record("dialogue", DIALOGUE, "line 1", ImportOptions())
    assert [(t.idx, t.role, t.text, t.move) for t in parsed.turns] == [
        (0, "teacher", "What did you get for 3 x 4?", "probing"),
        (1, "student", "7, because 3 + 4 = 7.", None),
        (2, "teacher", "Is 3 x 4 the same as 3 + 4?", "focus"),
    ]
    assert parsed.turns[0].move_source == "human"
    s = parsed.scenario
    assert (s.problem, s.answer, s.subject, s.grade, s.source) == ("What is 3 x 4?", "12", "math", "3", "import")
    same_problem = parse_record("dialogue", {**DIALOGUE, "dialogue": DIALOGUE["dialogue"][:1]}, "line 2", ImportOptions())
    assert same_problem.scenario.id == s.id  # records about one problem share a scenario (and a split side)


def test_openai_chat_teacher_role_is_configurable():
    record = {"messages": [
        {"role": "system", "content": "You tutor."},
        {"role": "user", "content": "I think 1/2 + 1/3 = 2/5."},
        {"role": "assistant", "content": "What is a common denominator?"},
    ]}
    default = parse_record("openai-chat", record, "line 1", ImportOptions())
    assert [(t.role, t.text) for t in default.turns] == [
        ("student", "I think 1/2 + 1/3 = 2/5."), ("teacher", "What is a common denominator?")]
    assert default.metadata["system"] == "You tutor."
    flipped = parse_record("openai-chat", record, "line 1", ImportOptions(teacher_role="user"))
    assert [t.role for t in flipped.turns] == ["teacher", "student"]


def test_io_pairs_join_instruction_and_input():
    parsed = parse_record("io-pairs", {"instruction": "Explain.", "input": "Why is 0.5 > 0.25?", "output": "Compare tenths."},
                          "line 1", ImportOptions())
    assert [(t.role, t.text) for t in parsed.turns] == [
        ("student", "Explain.\n\nWhy is 0.5 > 0.25?"), ("teacher", "Compare tenths.")]


def test_scenario_given_by_id_or_object(scenario):
    lookup = {scenario.id: scenario}.get
    by_id = parse_record("dialogue", {**DIALOGUE, "scenario": scenario.id}, "line 1", ImportOptions(lookup=lookup))
    assert by_id.scenario == scenario
    by_object = parse_record("dialogue", {**DIALOGUE, "scenario": scenario.model_dump()}, "line 1", ImportOptions())
    assert by_object.scenario == scenario
    with pytest.raises(InputError, match="no stored or built-in scenario 'nope'"):
        parse_record("dialogue", {**DIALOGUE, "scenario": "nope"}, "line 1", ImportOptions(lookup=lookup))


def test_bad_lines_are_reported_by_line_and_never_half_written(store, tmp_path):
    bad_late_message = {**DIALOGUE, "dialogue": DIALOGUE["dialogue"] + [{"role": "student", "content": "   "}]}
    path = write_jsonl(tmp_path / "mixed.jsonl", [
        DIALOGUE,
        "{not json",
        {**DIALOGUE, "dialogue": [{"role": "narrator", "content": "Once upon a time"}]},
        bad_late_message,
        {"messages": [{"role": "user", "content": "a different format"}]},
        {**DIALOGUE, "problem": "What is 5 x 5?", "answer": 25},
    ])
    report = import_file(store, path)
    assert report.format == "dialogue" and report.detected_at == "line 1"
    assert [at for at, _ in report.imported] == ["line 1", "line 6"]
    reasons = dict(report.skipped)
    assert set(reasons) == {"line 2", "line 3", "line 4", "line 5"}
    assert "invalid JSON" in reasons["line 2"]
    assert "dialogue[0].role" in reasons["line 3"] and "narrator" in reasons["line 3"]
    assert "dialogue[3].content: content is empty" in reasons["line 4"]
    assert "looks like openai-chat" in reasons["line 5"]
    assert store.count_sessions() == 2
    assert store.db["turns"].count == 6  # nothing from the three-turn record with a bad fourth message


def test_importing_twice_skips_what_is_stored(store, tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [DIALOGUE])
    first = import_file(store, path)
    second = import_file(store, path)
    assert len(first.imported) == 1 and second.imported == []
    assert second.duplicates == [("line 1", first.imported[0][1])]


def test_json_array_files_and_explicit_format(store, tmp_path):
    path = tmp_path / "pairs.json"
    path.write_text(json.dumps([{"input": "q1", "output": "a1"}, {"input": "q2", "output": ""}]))
    report = import_file(store, path, fmt="io-pairs")
    assert [at for at, _ in report.imported] == ["record 1"]
    assert report.skipped == [("record 2", "output: content is empty")]
    assert store.list_sessions()[0]["source"] == "io-pairs"


def test_file_with_no_known_records_is_an_error(store, tmp_path):
    with pytest.raises(InputError, match="no record looks like"):
        import_file(store, write_jsonl(tmp_path / "x.jsonl", [{"text": "hi"}]))


def test_cli_import_report_json_and_strict(tmp_path):
    db = tmp_path / "p.db"
    path = write_jsonl(tmp_path / "d.jsonl", [DIALOGUE, {"dialogue": []}])
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(db), "import", str(path), "--json"], catch_exceptions=False)
    data = json.loads(result.output)
    assert result.exit_code == 0
    assert (data["format"], data["imported"], data["turns"], data["skipped"]) == ("dialogue", 1, 3, 1)
    assert data["skipped_records"] == [{"at": "line 2", "reason": "no teacher or student turns"}]
    strict = runner.invoke(cli, ["--db", str(db), "import", str(path), "--strict"])
    assert isinstance(strict.exception, InputError) and "1 records skipped" in str(strict.exception)
