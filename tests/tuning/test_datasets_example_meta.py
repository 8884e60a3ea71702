"""Scenario fields travel as data: exported examples carry them, the importer reads them, no prompt is parsed."""

from __future__ import annotations

import json

import pytest

from practicum.errors import InputError
from practicum.records import Turn
from practicum.storage.store import Store
from practicum.tuning.datasets.example_meta import meta_path
from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
from practicum.tuning.datasets.importing import import_file
from practicum.tuning.datasets.selection import ExportFilters
from practicum.tuning.datasets.validation import validate_file

NO_SPLIT = ExportSettings(val_fraction=0)
TURNS = [Turn(0, "teacher", "How did you add 1/3 and 1/4?", move="probing"), Turn(1, "student", "I got 2/7."),
         Turn(2, "teacher", "Are thirds and fourths the same size?", move="focus")]


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def session(store, scenario):
    return store.import_transcript(scenario, TURNS, source="simulated")


@pytest.mark.parametrize("fmt", ["openai-sft", "hf-sft"])
def test_service_formats_keep_their_rows_and_put_the_scenario_in_a_sidecar(store, scenario, session, tmp_path, fmt):
    out = tmp_path / "teacher.jsonl"
    result = export_dataset(store, fmt, out, ExportFilters(), NO_SPLIT)
    rows, metas = read_jsonl(out), read_jsonl(meta_path(out))
    assert result.metadata_files == {"train": str(tmp_path / "teacher.meta.jsonl")}
    assert len(metas) == len(rows) > 0
    assert all(set(row) <= {"messages", "prompt", "completion"} for row in rows)  # only the schema's own keys
    assert all(m["scenario"] == scenario.model_dump(mode="json") and m["session_id"] == session for m in metas)
    if fmt == "hf-sft":
        assert [m["turn_idx"] for m in metas] == [0, 2] and [m["move"] for m in metas] == ["probing", "focus"]
    assert not [p for p in validate_file(out, fmt).warnings if p.kind == "unrecognized_key"]


def test_dspy_examples_carry_the_scenario_inline(store, scenario, session, tmp_path):
    out = tmp_path / "teacher.dspy.json"
    export_dataset(store, "dspy", out, ExportFilters(), NO_SPLIT)
    examples = json.loads(out.read_text())["examples"]
    assert [e["meta"]["turn_idx"] for e in examples] == [0, 2]
    assert all(e["meta"]["scenario"] == scenario.model_dump(mode="json") for e in examples)
    assert not meta_path(out).exists()


def test_openai_export_imports_back_to_the_same_scenario_from_the_sidecar(store, scenario, session, tmp_path):
    out = tmp_path / "sft.jsonl"
    export_dataset(store, "openai-sft", out, ExportFilters(), NO_SPLIT)
    second = Store(memory=True)
    report = import_file(second, out, fmt="openai-chat")
    assert report.skipped == [] and len(report.imported) == 1
    assert [s.model_dump() for s in second.list_scenarios()] == [scenario.model_dump()]
    (stored,) = second.list_sessions(limit=None)
    assert [(t["role"], t["text"]) for t in second.get_turns(stored["id"])] == [(t.role, t.text) for t in TURNS]


def test_without_its_sidecar_no_scenario_field_is_read_out_of_the_prompt(store, scenario, session, tmp_path):
    out = tmp_path / "sft.jsonl"
    export_dataset(store, "openai-sft", out, ExportFilters(), NO_SPLIT)
    meta_path(out).unlink()  # what the previous version wrote: the prompt holds "Correct answer: ..."
    second = Store(memory=True)
    import_file(second, out, fmt="openai-chat")
    (imported,) = second.list_scenarios()
    assert imported.answer == "unknown" and imported.id != scenario.id  # built from the record's own fields
    (stored,) = second.list_sessions(limit=None)
    system = read_jsonl(out)[0]["messages"][0]["content"]
    assert f"Correct answer: {scenario.answer}" in system
    assert second.get_session(stored["id"])["metadata"]["system"] == system  # kept, not taken apart


def test_a_sidecar_that_no_longer_lines_up_is_an_error(store, session, tmp_path):
    out = tmp_path / "sft.jsonl"
    export_dataset(store, "openai-sft", out, ExportFilters(), NO_SPLIT)
    meta_path(out).write_text(meta_path(out).read_text() * 2)
    with pytest.raises(InputError, match=r"sft\.meta\.jsonl: 2 metadata records for 1 records"):
        import_file(Store(memory=True), out, fmt="openai-chat")


def test_exporting_another_format_to_the_same_name_removes_a_stale_sidecar(store, session, tmp_path):
    out = tmp_path / "data.jsonl"
    export_dataset(store, "openai-sft", out, ExportFilters(), NO_SPLIT)
    assert meta_path(out).exists()
    export_dataset(store, "dialogue", out, ExportFilters(), NO_SPLIT)
    assert not meta_path(out).exists()
