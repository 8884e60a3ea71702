"""Round trips: import -> store -> export -> import gives the same turns (and, for dialogue files, scenario)."""

from __future__ import annotations

import json

from practicum.storage.store import Store
from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
from practicum.tuning.datasets.importing import import_file
from practicum.tuning.datasets.selection import ExportFilters

NO_SPLIT = ExportSettings(val_fraction=0)

RECORDS = [
    {"problem": "Ana has 3 bags of 4 apples. How many apples?", "answer": "12", "subject": "math", "grade": "3",
     "name": "Ana", "dialogue": [
         {"role": "teacher", "content": "How many apples are in each bag?", "move": "focus"},
         {"role": "student", "content": "3 + 4 = 7 apples."},
         {"role": "teacher", "content": "Let's look again.", "move": "generic"},
         {"role": "teacher", "content": "How many bags are there?", "move": "probing"},
         {"role": "student", "content": "3 bags."},
         {"role": "teacher", "content": "So how many apples in all?", "move": "probing"},
     ]},
    {"problem": "Which is bigger, 0.5 or 0.45?", "answer": "0.5", "subject": "math", "grade": "5",
     "conversation": [
         {"role": "student", "content": "0.45 is bigger because 45 > 5."},
         {"role": "tutor", "content": "What is 0.5 in hundredths?"},
     ]},
]


def turns_of(store: Store) -> list[list[tuple]]:
    return [[(t["role"], t["text"], t["move"]) for t in store.get_turns(s["id"])]
            for s in sorted(store.list_sessions(limit=None), key=lambda s: s["id"])]


def test_dialogue_round_trip_keeps_scenarios_turns_and_moves(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    first = Store(memory=True)
    assert len(import_file(first, source).imported) == 2
    export_dataset(first, "dialogue", tmp_path / "out.jsonl", ExportFilters(), NO_SPLIT)
    second = Store(memory=True)
    report = import_file(second, tmp_path / "out.jsonl")
    assert report.format == "dialogue" and len(report.imported) == 2
    assert turns_of(second) == turns_of(first)
    assert [s.model_dump() for s in second.list_scenarios()] == [s.model_dump() for s in first.list_scenarios()]
    assert len(import_file(first, tmp_path / "out.jsonl").duplicates) == 2  # same dialogues: not imported again


def test_openai_sft_round_trip_gives_the_teacher_conversation_back(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    first = Store(memory=True)
    import_file(first, source)
    export_dataset(first, "openai-sft", tmp_path / "sft.jsonl", ExportFilters(), NO_SPLIT)
    second = Store(memory=True)
    report = import_file(second, tmp_path / "sft.jsonl", fmt="openai-chat")
    assert report.skipped == []
    back = {tuple((role, text) for role, text, _ in turns) for turns in turns_of(second)}
    for turns in turns_of(first):
        last_teacher = max(i for i, (role, _, _) in enumerate(turns) if role == "teacher")
        # The system prompt, the student's prompt-only opening line and the "(Continue.)" cue are not turns.
        assert tuple((role, text) for role, text, _ in turns[: last_teacher + 1]) in back
    originals = {s.problem: s for s in first.list_scenarios()}
    for scenario in second.list_scenarios():  # read back from the teacher prompt
        original = originals[scenario.problem]
        assert (scenario.answer, scenario.subject, scenario.grade, scenario.objective) == (
            original.answer, original.subject, original.grade, original.objective)
        assert scenario.student_profile.name == original.student_profile.name
