"""Rubric files: valid YAML/JSON load; mistakes name the file and field; the command checks them early."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from practicum.cli import cli
from practicum.errors import InputError
from practicum.evaluation.rubric import DEFAULT_RUBRIC, load_rubric


def test_default_rubric_dimensions():
    assert [d.name for d in DEFAULT_RUBRIC.teacher] == [
        "mistake_identification", "guidance", "actionability", "coherence", "encouraging_tone"]
    assert [d.name for d in DEFAULT_RUBRIC.for_role("student")] == ["realism"]
    assert [d.name for d in DEFAULT_RUBRIC.for_role(None)] == ["overall"]


def test_load_yaml_and_json(tmp_path):
    yaml_file = tmp_path / "r.yaml"
    yaml_file.write_text("teacher:\n  - name: warmth\n    low: 0\n    high: 2\n    help: Is it warm?\n")
    rubric = load_rubric(yaml_file)
    assert rubric.teacher[0].label == "Warmth" and rubric.teacher[0].high == 2 and rubric.student == []
    json_file = tmp_path / "r.json"
    json_file.write_text(json.dumps({"session": [{"name": "overall", "label": "Overall", "high": 9}]}))
    assert load_rubric(json_file).session[0].high == 9


@pytest.mark.parametrize("text, fragment", [
    ("teacher:\n  - {name: Bad Name}\n", "teacher.0.name"),
    ("teacher:\n  - {name: ok, low: 4, high: 2}\n", "low (4) must be below high (2)"),
    ("teacher:\n  - {name: ok, high: 12}\n", "teacher.0.high"),
    ("student:\n  - {name: comment}\n", "reserved"),
    ("teachers: []\n", "teachers"),
    ("- just a list\n", "a rubric is a mapping"),
    ("teacher: [\n", "not valid YAML"),
    ("teacher:\n  - {name: x, help: Why?}\n", "line 2: not valid YAML"),
    ("{}\n", "no dimensions"),
])
def test_bad_rubric_files_name_the_problem(tmp_path, text, fragment):
    path = tmp_path / "rubric.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_rubric(path)
    assert str(path) in str(err.value) and fragment in str(err.value)


def test_tui_command_rejects_bad_rubric_and_spec_before_starting(tmp_path):
    bad = tmp_path / "rubric.yaml"
    bad.write_text("teacher:\n  - {name: ok, high: 12}\n")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "tui", "--rubric", str(bad)])
    assert isinstance(result.exception, InputError)
    result = CliRunner().invoke(cli, ["tui", "--student", "nonsense"])
    assert "unknown backend spec" in str(result.exception)


def test_tui_command_help():
    result = CliRunner().invoke(cli, ["tui", "--help"])
    assert result.exit_code == 0 and "--rubric" in result.output and "--rater" in result.output


def test_example_in_the_module_docstring_loads(tmp_path):
    import textwrap

    import practicum.evaluation.rubric as module

    doc = module.__doc__
    example = doc[doc.index("    teacher:"):doc.index("Scores are single digits")]
    path = tmp_path / "example.yaml"
    path.write_text(textwrap.dedent(example))
    rubric = load_rubric(path)
    assert [d.name for d in rubric.teacher] == ["mistake_identification"] and rubric.session[0].name == "overall"
