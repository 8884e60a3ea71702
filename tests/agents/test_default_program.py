"""A role's packaged program: a `local` role loads it when its spec names none; `program=none` keeps the own prompt."""

from __future__ import annotations

import dspy
import pytest

from practicum.agents import speakers
from practicum.agents.roles import Teacher
from practicum.agents.speakers import SpeakerBuilder


@pytest.fixture
def packaged(tmp_path, monkeypatch):
    teacher = Teacher()
    teacher.respond.demos = [dspy.Example(situation="Problem: 2+2", dialogue=[], reply="What is 2 and 2 more?")]
    teacher.save(str(tmp_path / "teacher_program.json"))
    monkeypatch.setattr(speakers, "ARTIFACTS", tmp_path)
    monkeypatch.setattr(Teacher, "default_program", "teacher")
    return tmp_path / "teacher_program.json"


def test_a_local_teacher_loads_the_packaged_program_unless_told_otherwise(packaged, tmp_path):
    builder = SpeakerBuilder(None)
    assert [d["reply"] for d in builder.role("teacher", "local").respond.demos] == ["What is 2 and 2 more?"]
    assert builder.role("teacher", "local:program=none").respond.demos == []
    assert builder.role("teacher", "local:model=/another/model").respond.demos == []  # compiled for the embedded one
    assert builder.role("teacher", "openai:gpt-4o-mini").respond.demos == []
    assert builder.role("student", "local").respond.demos == []  # the student ships none
    own = Teacher()
    own.save(str(tmp_path / "own.json"))
    assert builder.role("teacher", f"local:program={tmp_path / 'own.json'}").respond.demos == []


def test_without_a_packaged_file_nothing_is_loaded(packaged):
    packaged.unlink()
    assert SpeakerBuilder(None).role("teacher", "local").respond.demos == []
