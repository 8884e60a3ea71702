"""The MathDial importer on the real development slice and on malformed rows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from practicum.records import MOVES
from practicum.errors import InputError
from practicum.scenarios.answers import extract_numbers, states_answer
from practicum.scenarios.mathdial import (
    MathDialRecord,
    parse_conversation,
    parse_mathdial_row,
    read_mathdial,
    student_name,
)

from ..conftest import MATHDIAL_DEV as DEV

needs_dev = pytest.mark.usefixtures("mathdial_path")  # skips without ../shared, fails under CI=true


@pytest.fixture(scope="module")
def dev_records() -> list[tuple[int, MathDialRecord]]:
    results = list(read_mathdial(DEV))
    errors = [(line, result) for line, result in results if isinstance(result, InputError)]
    assert errors == []
    return results


def sample_row(**changes) -> dict:
    row = {
        "qid": 123,
        "scenario": 2,
        "question": "Tom has 3 bags with 4 marbles each. How many marbles does he have?",
        "ground_truth": "3 * 4 = 12 marbles.\n 12",
        "student_incorrect_solution": "3 + 4 = 7\n 7",
        "student_profile": "Mary Ann is a 7th grade student. She adds when she should multiply.",
        "teacher_described_confusion": "adds instead of multiplying",
        "self-correctness": "Yes",
        "self-typical-confusion": 4.0,
        "self-typical-interactions": 5.0,
        "conversation": "Teacher: (generic)Hi, walk me through it|EOM|Mary Ann: I added 3 and 4.|EOM|"
        "Teacher: (Probing)  Why add?  |EOM|   |EOM|Student: 12\n|EOM|Teacher: Great (really) work!",
    }
    row.update(changes)
    return row


@needs_dev
def test_all_dev_rows_import_with_unique_ids(dev_records):
    assert len(dev_records) == 300
    ids = [record.scenario.id for _, record in dev_records]
    assert len(set(ids)) == 300
    assert all(record.scenario.source == "mathdial" and record.scenario.grade == "7" for _, record in dev_records)


@needs_dev
def test_dev_teacher_turns_carry_human_move_labels(dev_records):
    teacher = [turn for _, record in dev_records for turn in record.turns if turn.role == "teacher"]
    assert 1850 <= len(teacher) <= 1900
    assert all(turn.move in MOVES and turn.move_source == "human" for turn in teacher)
    counts = Counter(turn.move for turn in teacher)
    assert set(counts) == set(MOVES)
    students = [turn for _, record in dev_records for turn in record.turns if turn.role == "student"]
    assert students and all(turn.move is None and turn.model == "human" for turn in students)


@needs_dev
def test_dev_turn_text_is_clean_and_indexed(dev_records):
    for _, record in dev_records:
        assert [turn.idx for turn in record.turns] == list(range(len(record.turns)))
        for turn in record.turns:
            assert turn.text and turn.text == turn.text.strip()
            assert "  " not in turn.text
            assert not turn.text.startswith(("Teacher:", "Student:", "("+ (turn.move or "") + ")"))


@needs_dev
def test_dev_answers_are_the_ground_truth_final_number(dev_records):
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    for (line, record), row in zip(dev_records, rows, strict=True):
        last_line = row["ground_truth"].strip().splitlines()[-1]
        assert float(record.scenario.answer) == extract_numbers(last_line)[-1]
        assert states_answer(record.scenario.solution, record.scenario.answer)
        assert record.metadata["qid"] == row["qid"] and record.metadata["line"] == line
        assert record.metadata["self-correctness"] == row["self-correctness"]


@needs_dev
def test_dev_student_names_come_from_profiles(dev_records):
    for _, record in dev_records:
        profile = record.scenario.student_profile
        assert profile.name != "Student"
        assert f"{profile.name} is a 7th grade student" in profile.persona
        assert profile.incorrect_solution


@needs_dev
def test_malformed_lines_are_reported_and_the_rest_import(tmp_path):
    lines = DEV.read_text(encoding="utf-8").splitlines()
    missing_question = json.loads(lines[4])
    del missing_question["question"]
    broken = lines[:2] + ["{this is not json"] + lines[2:4] + [json.dumps(missing_question)] + lines[5:20]
    copy = tmp_path / "dev_copy.jsonl"
    copy.write_text("\n".join(broken) + "\n", encoding="utf-8")

    results = list(read_mathdial(copy))
    errors = {line: str(result) for line, result in results if isinstance(result, InputError)}
    good = [result for _, result in results if isinstance(result, MathDialRecord)]
    assert set(errors) == {3, 6}
    assert errors[3].startswith(f"{copy}: line 3, column 2: invalid JSON")
    assert errors[6] == f"{copy}: line 6: missing field: question"
    assert len(good) == 19


def test_row_quirks_are_handled():
    record = parse_mathdial_row(sample_row(), 7)
    scenario = record.scenario
    assert scenario.id.startswith("mathdial-123-2-")
    assert scenario.answer == "12"
    assert scenario.student_profile.name == "Mary Ann"
    assert scenario.student_profile.misconceptions == ["adds instead of multiplying"]
    assert scenario.title == "Tom has 3 bags with 4 marbles each..."
    roles_moves = [(turn.role, turn.move) for turn in record.turns]
    assert roles_moves == [("teacher", "generic"), ("student", None), ("teacher", "probing"), ("student", None), ("teacher", None)]
    assert [turn.text for turn in record.turns] == ["Hi, walk me through it", "I added 3 and 4.", "Why add?", "12", "Great (really) work!"]
    assert record.turns[-1].move_source is None
    assert record.metadata == {
        "qid": 123, "scenario": 2, "line": 7,
        "self-correctness": "Yes", "self-typical-confusion": 4.0, "self-typical-interactions": 5.0,
    }


def test_null_confusion_and_ratings_are_allowed():
    row = sample_row(**{"teacher_described_confusion": None, "self-correctness": None, "self-typical-confusion": None})
    record = parse_mathdial_row(row, 1)
    assert record.scenario.student_profile.misconceptions == []
    assert record.metadata["self-correctness"] is None


def test_ids_differ_when_teachers_share_a_problem():
    first = parse_mathdial_row(sample_row(), 1)
    second = parse_mathdial_row(sample_row(conversation="Teacher: (focus)Look again|EOM|Student: 12"), 2)
    assert first.scenario.id != second.scenario.id
    assert parse_mathdial_row(sample_row(), 9).scenario.id == first.scenario.id


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"ground_truth": "no number here"}, r"^line 4: ground_truth: no final number$"),
        ({"conversation": ""}, r"^line 4: missing field: conversation$"),
        ({"question": 5}, r"^line 4: field must be text: question$"),
        ({"conversation": "Teacher: (focus)Hi|EOM|Someone else: hello"}, r"^line 4: utterance 2 has no 'Teacher:' or 'Student:' speaker"),
    ],
)
def test_bad_rows_raise_input_error_naming_the_line(changes, pattern):
    with pytest.raises(InputError, match=pattern):
        parse_mathdial_row(sample_row(**changes), 4)


def test_non_object_row():
    with pytest.raises(InputError, match="line 2: expected a JSON object"):
        parse_mathdial_row(["not", "a", "row"], 2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("profile", "name"),
    [("Luca is a 7th grade student.", "Luca"), ("  O'Neil is a student.", "O'Neil"), ("A 7th grade student.", "Student")],
)
def test_student_name(profile, name):
    assert student_name(profile) == name


def test_parse_conversation_keeps_unknown_parentheses_as_text():
    [turn] = parse_conversation("Teacher: (hint) try halves", "Cody")
    assert turn.move is None and turn.text == "(hint) try halves"


def test_read_mathdial_missing_file(tmp_path):
    with pytest.raises(InputError, match="absent.jsonl: cannot open"):
        list(read_mathdial(tmp_path / "absent.jsonl"))
