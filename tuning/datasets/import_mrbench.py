"""Import MRBench files as dialogues with candidate next tutor responses and their human labels.

An MRBench record is a dialogue that stops at a student's mistake plus several
candidate next tutor responses, each labelled by trained annotators. Imported,
the dialogue becomes a session; the expert tutor's response (a person's, when
the record has one, else the first listed) becomes its next teacher turn, and
every other response is stored as a `candidate` of that turn with the tutor's
name as its model. The annotators' labels are stored as ratings by `mrbench`
(on the turn, and on each candidate) under the review rubric's names and scales
(see `evaluation.judge_ratings`), so the review, the agreement screen and the
preference exports read them like any rater's. Both layouts (BEA 2025 and
MRBench V2) are read by `evaluation.mrbench`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from practicum.errors import InputError
from practicum.records import STUDENT, TEACHER, Turn
from practicum.evaluation.judge_ratings import to_rating_rows
from practicum.evaluation.mrbench import examples_from_record, layout_of
from practicum.scenarios.model import Scenario, StudentProfile

FORMAT = "mrbench"
RATER = "mrbench"
_EXPERT = ("Expert", "Human", "Human_Expert")
_TITLE_WORDS = 8


def looks_like_mrbench(path: str | Path) -> bool:
    """True when `path` is a .json list whose first item is an MRBench dialogue (either layout)."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, list) and bool(data) and layout_of(data[0]) is not None


def _scenario(example) -> Scenario:
    problem = example.problem or " ".join(t for r, t in example.turns[:1]) or "(no problem text)"
    words = problem.split()
    title = " ".join(words[:_TITLE_WORDS]) + ("..." if len(words) > _TITLE_WORDS else "")
    digest = hashlib.sha1(f"{example.conversation_id}\n{problem}".encode()).hexdigest()[:12]
    first_student = next((t for r, t in example.turns if r == STUDENT), "")
    return Scenario(
        id=f"mrbench-{digest}", title=title or "MRBench dialogue", subject="math", grade="unknown",
        topic=example.data, objective="Respond to the student's mistake so that they can find and fix it.",
        problem=problem, answer=example.answer or "unknown", solution=example.ground_truth,
        student_profile=StudentProfile(name="Student", grade="unknown", persona="A student in an MRBench dialogue.",
                                       incorrect_solution=first_student if example.problem else ""),
        source=FORMAT,
    )


def parse_mrbench_record(record: dict, where: str):
    """(scenario, turns, chosen response example, other response examples) for one MRBench record."""
    examples = examples_from_record(record, where)
    if not examples:
        raise InputError(f"{where}: no tutor responses")
    chosen = next((e for e in examples if e.tutor in _EXPERT), examples[0])
    others = [e for e in examples if e is not chosen]
    turns = [Turn(i, TEACHER if role == TEACHER else STUDENT, text, model="human")
             for i, (role, text) in enumerate(chosen.turns)]
    if not turns:
        raise InputError(f"{where}: conversation_history has no turns")
    turns.append(Turn(len(turns), TEACHER, chosen.response.strip() or "(empty response)", model=chosen.tutor))
    return _scenario(chosen), turns, chosen, others


def import_mrbench(store, path: str | Path, *, source: str | None = None, on_record=None):
    """Import every record of an MRBench file; returns an `importing.ImportReport`."""
    from practicum.storage.dataset_queries import find_imported
    from practicum.tuning.datasets.importing import ImportReport

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read as JSON: {exc}") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON list of MRBench dialogues")
    report = ImportReport(path=str(path), format=FORMAT, detected_at="record 1")
    for number, record in enumerate(data, 1):
        where = f"record {number}"
        if on_record:
            on_record(where)
        try:
            scenario, turns, chosen, others = parse_mrbench_record(record, where)
        except InputError as exc:
            report.skipped.append((where, str(exc).removeprefix(f"{where}: ")))
            continue
        content = [scenario.id, [[t.role, t.text] for t in turns], sorted(e.response for e in others)]
        digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[:20]
        existing = find_imported(store, digest)
        if existing is not None:
            report.duplicates.append((where, existing))
            continue
        metadata = {"import_hash": digest, "import_file": path.name, "import_at": where,
                    "conversation_id": chosen.conversation_id, "response_tutor": chosen.tutor}
        # One transaction per record: the session, its candidates and every label, or nothing.
        with store._lock, store.db.atomic():
            session_id = _store_record(store, scenario, turns, chosen, others, source or FORMAT, metadata)
        report.imported.append((where, session_id))
        report.turns += len(turns)
    return report


def _store_record(store, scenario, turns, chosen, others, source: str, metadata: dict) -> int:
    from practicum.storage.candidates import add_candidate, rate_candidate

    session_id = store.import_transcript(scenario, turns, source=source, metadata=metadata)
    last = turns[-1].idx
    for dimension, score, comment in to_rating_rows(chosen.labels):
        store.add_rating(session_id, rater=RATER, dimension=dimension, score=score, turn_idx=last, comment=comment)
    for example in others:
        if not example.response.strip():
            continue
        candidate = add_candidate(store, session_id, last, example.response, model=example.tutor,
                                  note=f"MRBench response by {example.tutor}")
        for dimension, score, comment in to_rating_rows(example.labels):
            rate_candidate(store, candidate, rater=RATER, dimension=dimension, score=score, comment=comment)
    return session_id
