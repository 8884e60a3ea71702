"""Loading scenario files: formats accepted and the one-line errors for malformed ones."""

from __future__ import annotations

import json

import pytest
import yaml

from practicum.errors import InputError
from practicum.scenarios.files import dump_scenario_yaml, load_scenario_file, parse_scenarios
from practicum.scenarios.model import Scenario


def record(scenario_id: str = "sample", **changes) -> dict:
    data = {
        "id": scenario_id,
        "title": "Sample",
        "subject": "math",
        "grade": "6",
        "objective": "Help the student add.",
        "problem": "What is 2 + 3?",
        "answer": "5",
        "student_profile": {"name": "Ana", "grade": "6", "persona": "A sixth grader.", "misconceptions": ["multiplies"]},
    }
    data.update(changes)
    return data


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_single_mapping(tmp_path):
    path = write(tmp_path, "one.yaml", yaml.safe_dump(record()))
    [scenario] = load_scenario_file(path)
    assert scenario.id == "sample" and scenario.student_profile.name == "Ana"


def test_yaml_list_and_multiple_documents(tmp_path):
    path = write(tmp_path, "many.yml", yaml.safe_dump([record("a"), record("b")]) + "---\n" + yaml.safe_dump(record("c")))
    assert [s.id for s in load_scenario_file(path)] == ["a", "b", "c"]


def test_json_mapping_and_list(tmp_path):
    one = write(tmp_path, "one.json", json.dumps(record()))
    many = write(tmp_path, "many.json", json.dumps([record("a"), record("b")]))
    assert [s.id for s in load_scenario_file(one)] == ["sample"]
    assert [s.id for s in load_scenario_file(many)] == ["a", "b"]


def test_jsonl_skips_blank_lines(tmp_path):
    path = write(tmp_path, "rows.jsonl", json.dumps(record("a")) + "\n\n" + json.dumps(record("b")) + "\n")
    assert [s.id for s in load_scenario_file(path)] == ["a", "b"]


def test_numbers_written_without_quotes_become_text(tmp_path):
    text = yaml.safe_dump(record()).replace("answer: '5'", "answer: 5").replace("grade: '6'", "grade: 6")
    assert "answer: 5\n" in text
    [scenario] = load_scenario_file(write(tmp_path, "plain.yaml", text))
    assert scenario.answer == "5" and scenario.grade == "6" and scenario.student_profile.grade == "6"


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "broken.yaml", "id: a\ntitle: ok\n  subject: math\n")
    with pytest.raises(InputError) as caught:
        load_scenario_file(path)
    message = str(caught.value)
    assert "broken.yaml" in message and "line 3" in message and "\n" not in message


def test_jsonl_bad_line_is_named(tmp_path):
    path = write(tmp_path, "rows.jsonl", json.dumps(record("a")) + "\n" + json.dumps(record("b")) + "\n{not json\n")
    with pytest.raises(InputError, match=r"rows\.jsonl: line 3, column 2: invalid JSON"):
        load_scenario_file(path)


def test_malformed_json_names_line(tmp_path):
    path = write(tmp_path, "bad.json", '[\n  {"id": "a"},\n  {"id": 3\n')
    with pytest.raises(InputError, match=r"bad\.json: line \d+, column \d+: invalid JSON"):
        load_scenario_file(path)


def test_validation_error_names_record_line_and_field(tmp_path):
    missing_name = record("b")
    del missing_name["student_profile"]["name"]
    path = write(tmp_path, "scenarios.yaml", yaml.safe_dump([record("a"), missing_name], sort_keys=False))
    first_line_of_b = yaml.safe_dump([record("a")], sort_keys=False).count("\n") + 1
    with pytest.raises(InputError) as caught:
        load_scenario_file(path)
    assert str(caught.value) == (
        f"{path}: record 2 (line {first_line_of_b}): student_profile.name: Field required"
    )


def test_validation_error_in_jsonl_names_line_and_nested_index(tmp_path):
    bad = record("b")
    bad["student_profile"]["misconceptions"] = ["fine", 7]
    path = write(tmp_path, "rows.jsonl", json.dumps(record("a")) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(InputError, match=r"record 2 \(line 2\): student_profile\.misconceptions\[1\]: Input should be a valid string"):
        load_scenario_file(path)


def test_bad_id_and_unknown_field_are_reported(tmp_path):
    path = write(tmp_path, "bad.json", json.dumps(record("Not A Slug", colour="red")))
    with pytest.raises(InputError) as caught:
        load_scenario_file(path)
    message = str(caught.value)
    assert "id: must be lowercase" in message and "colour: Extra inputs are not permitted" in message


def test_duplicate_ids_rejected(tmp_path):
    path = write(tmp_path, "dup.jsonl", json.dumps(record("a")) + "\n" + json.dumps(record("a")) + "\n")
    with pytest.raises(InputError, match=r"record 2 \(line 2\): id: duplicate id 'a'"):
        load_scenario_file(path)


@pytest.mark.parametrize(
    ("name", "text", "pattern"),
    [
        ("empty.yaml", "", "no scenarios in file"),
        ("list.yaml", "- just text\n", r"record 1 \(line 1\): expected a mapping"),
        ("notes.txt", "id: a", "unsupported file type '.txt'"),
    ],
)
def test_other_bad_inputs(tmp_path, name, text, pattern):
    with pytest.raises(InputError, match=pattern):
        load_scenario_file(write(tmp_path, name, text))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_scenario_file(tmp_path / "absent.yaml")


def test_unknown_kind():
    with pytest.raises(InputError, match="unknown scenario format"):
        parse_scenarios("{}", "inline", "toml")


def test_dump_uses_block_style_and_round_trips_awkward_text(tmp_path):
    scenario = Scenario.model_validate(
        record(solution="Step 1: 2 + 3 = 5\nAnswer: 5", problem="What is 2 + 3?  \n(trailing spaces)  ", answer="7/12")
    )
    text = dump_scenario_yaml(scenario)
    assert "solution: |" in text
    assert load_scenario_file(write(tmp_path, "out.yaml", text)) == [scenario]
