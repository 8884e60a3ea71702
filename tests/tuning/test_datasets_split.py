"""Train/validation split by scenario problem: seedable, stable across filters, and never leaking."""

from __future__ import annotations

import json

import pytest

from practicum.errors import InputError
from practicum.tuning.datasets.exporting import ExportSettings, export_dataset, validation_path
from practicum.tuning.datasets.importing import import_file
from practicum.tuning.datasets.selection import ExportFilters
from practicum.tuning.datasets.splitting import validation_groups

KEYS = [f"scenario-{i}" for i in range(200)]


def test_split_is_seeded_and_about_the_fraction():
    first = validation_groups(KEYS, 0.2, seed=1)
    assert first == validation_groups(list(reversed(KEYS)), 0.2, seed=1)
    assert first != validation_groups(KEYS, 0.2, seed=2)
    assert 20 <= len(first) <= 60


def test_a_groups_side_does_not_depend_on_the_other_groups():
    full = validation_groups(KEYS, 0.3, seed=5)
    subset = KEYS[::3]
    assert validation_groups(subset, 0.3, seed=5) == full & set(subset)


def test_small_sets_keep_both_sides_and_edges():
    assert validation_groups(["a"], 0.5) == set()
    assert validation_groups(["a", "b"], 0.0) == set()
    two = validation_groups(["a", "b"], 0.01)
    assert len(two) == 1  # a fraction above 0 always holds out something when it can
    assert len(validation_groups(["a", "b"], 0.99)) == 1  # and always trains on something
    with pytest.raises(InputError):
        validation_groups(KEYS, 1.0)


def test_mathdial_export_has_no_scenario_or_problem_on_both_sides(store, mathdial_path, tmp_path):
    import_file(store, mathdial_path)
    out = tmp_path / "teacher.json"
    result = export_dataset(store, "dspy", out, ExportFilters(), ExportSettings(val_fraction=0.3, seed=7))
    sides = {"train": json.loads(out.read_text()), "validation": json.loads(validation_path(out).read_text())}
    scenarios = {side: {e["meta"]["scenario_id"] for e in doc["examples"]} for side, doc in sides.items()}
    sessions = {side: {e["meta"]["session_id"] for e in doc["examples"]} for side, doc in sides.items()}
    problems = {side: {e["situation"].split("Problem: ")[1].split("\nCorrect answer:")[0] for e in doc["examples"]}
                for side, doc in sides.items()}
    assert scenarios["train"] and scenarios["validation"]
    assert not scenarios["train"] & scenarios["validation"]
    assert not sessions["train"] & sessions["validation"]
    assert not problems["train"] & problems["validation"]  # MathDial repeats problems under different scenario ids
    total = sum(len(doc["examples"]) for doc in sides.values())
    assert total == result.counts["train"]["examples"] + result.counts["validation"]["examples"] == 1895
    again = export_dataset(store, "dspy", tmp_path / "again.json", ExportFilters(), ExportSettings(val_fraction=0.3, seed=7))
    assert again.content_hash == result.content_hash
