"""Import MathDial rows: each becomes a scenario (problem + student profile) and a human dialogue.

MathDial (Macina et al., EMNLP Findings 2023, CC BY-SA 4.0) pairs grade-7 word
problems and a student's typical wrong solution with real teacher-student
dialogues whose teacher turns carry move labels. Its quirks, as found in the
data: student utterances are usually prefixed `Student:` but sometimes with the
student's name (`Cody: ...`); teacher text has trailing spaces, newlines and
runs of spaces; one row has no teacher ratings or confusion (all null); and
(qid, scenario) is not unique, because the same problem was tutored by several
teachers, so ids add a short hash of the conversation.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from practicum.records import MOVES, STUDENT, TEACHER, Turn
from practicum.errors import InputError
from practicum.scenarios.answers import final_answer
from practicum.scenarios.files import describe_validation_error
from practicum.scenarios.model import Scenario, StudentProfile

SOURCE = "mathdial"
GRADE = "7"
UTTERANCE_SEPARATOR = "|EOM|"
REQUIRED_FIELDS = (
    "qid", "scenario", "question", "ground_truth", "student_incorrect_solution", "student_profile", "conversation",
)
METADATA_FIELDS = ("self-correctness", "self-typical-confusion", "self-typical-interactions")

_SPEAKER = re.compile(r"^\s*(?P<speaker>[^\W\d_][\w .'\u2019-]{0,40}?)\s*:\s*(?P<rest>.*)$", re.DOTALL)
_MOVE = re.compile(r"^\((?P<move>[A-Za-z]+)\)\s*(?P<text>.*)$", re.DOTALL)
_PROFILE_NAME = re.compile(r"^\s*(?P<name>[^\W\d_][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*)\s+(?:is|was)\b")
_TITLE_WORDS = 8


@dataclass
class MathDialRecord:
    """One imported MathDial row: the scenario, its human dialogue, and the teacher's ratings."""

    scenario: Scenario
    turns: list[Turn]
    metadata: dict[str, Any] = field(default_factory=dict)


def read_mathdial(path: str | Path) -> Iterator[tuple[int, MathDialRecord | InputError]]:
    """Yield (line number, record or InputError) for each non-blank line of a MathDial .jsonl file."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None
    with handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            yield line_no, _parse_line(line, line_no, path)


def _parse_line(line: str, line_no: int, path: Path) -> MathDialRecord | InputError:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return InputError(f"{path}: line {line_no}, column {exc.colno}: invalid JSON: {exc.msg}")
    try:
        return parse_mathdial_row(row, line_no)
    except InputError as exc:
        return InputError(f"{path}: {exc}")


def parse_mathdial_row(row: dict[str, Any], line_no: int) -> MathDialRecord:
    """Turn one MathDial row into a MathDialRecord; InputError messages start with `line N:`."""
    where = f"line {line_no}"
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(row).__name__}")
    missing = [name for name in REQUIRED_FIELDS if row.get(name) in (None, "")]
    if missing:
        raise InputError(f"{where}: missing field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    text_fields = REQUIRED_FIELDS[2:]
    not_text = [name for name in text_fields if not isinstance(row[name], str)]
    if not_text:
        raise InputError(f"{where}: field{'s' if len(not_text) > 1 else ''} must be text: {', '.join(not_text)}")

    answer = final_answer(row["ground_truth"])
    if not answer:
        raise InputError(f"{where}: ground_truth: no final number")
    profile_text = _clean(row["student_profile"])
    name = student_name(profile_text)
    confusion = row.get("teacher_described_confusion")
    try:
        profile = StudentProfile(
            name=name,
            grade=GRADE,
            persona=_first_sentence(profile_text),
            knowledge_state=profile_text[len(_first_sentence(profile_text)) :].strip(),
            misconceptions=[_clean(confusion)] if isinstance(confusion, str) and confusion.strip() else [],
            incorrect_solution=row["student_incorrect_solution"].strip(),
        )
        scenario = Scenario(
            id=mathdial_id(row),
            title=_title(row["question"]),
            subject="math",
            grade=GRADE,
            topic="multi-step word problem",
            objective=f"Help {name} find and fix the mistake in their solution and reach the correct answer.",
            problem=row["question"].strip(),
            answer=answer,
            solution=row["ground_truth"].strip(),
            student_profile=profile,
            source=SOURCE,
        )
    except ValidationError as exc:
        raise InputError(f"{where}: {describe_validation_error(exc)}") from None
    turns = parse_conversation(row["conversation"], name, where)
    metadata = {"qid": row["qid"], "scenario": row["scenario"], "line": line_no}
    metadata.update({key: row.get(key) for key in METADATA_FIELDS})
    return MathDialRecord(scenario=scenario, turns=turns, metadata=metadata)


def mathdial_id(row: dict[str, Any]) -> str:
    """Return `mathdial-{qid}-{scenario}-{hash}`: stable per row and unique even when teachers share a problem."""
    digest = hashlib.sha1(str(row["conversation"]).encode("utf-8")).hexdigest()[:8]
    return f"mathdial-{row['qid']}-{row['scenario']}-{digest}"


def student_name(profile_text: str) -> str:
    """Return the student's name from a profile such as "Luca is a 7th grade student..."; "Student" if none."""
    match = _PROFILE_NAME.match(profile_text or "")
    return match.group("name") if match else "Student"


def parse_conversation(conversation: str, student: str, where: str = "conversation") -> list[Turn]:
    """Split a `|EOM|`-joined MathDial conversation into Turns, skipping empty utterances."""
    turns: list[Turn] = []
    for number, utterance in enumerate(conversation.split(UTTERANCE_SEPARATOR), 1):
        if not utterance.strip():
            continue
        match = _SPEAKER.match(utterance)
        speaker = match.group("speaker").strip().lower() if match else ""
        if speaker == TEACHER:
            move, text = _split_move(match.group("rest"))
            if text:
                turns.append(
                    Turn(idx=len(turns), role=TEACHER, text=text, move=move,
                         move_source="human" if move else None, model="human")
                )
        elif speaker in (STUDENT, student.lower()):
            text = _clean(match.group("rest"))
            if text:
                turns.append(Turn(idx=len(turns), role=STUDENT, text=text, model="human"))
        else:
            preview = _clean(utterance)[:40]
            raise InputError(f"{where}: utterance {number} has no 'Teacher:' or 'Student:' speaker: {preview!r}")
    return turns


def _split_move(rest: str) -> tuple[str | None, str]:
    match = _MOVE.match(rest.strip())
    if match and match.group("move").lower() in MOVES:
        return match.group("move").lower(), _clean(match.group("text"))
    # A parenthesis that is not a known move label is part of what the teacher said.
    return None, _clean(rest)


def _clean(text: str) -> str:
    """Trim the ends and collapse runs of spaces and tabs, keeping line breaks."""
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.strip().splitlines()]
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    match = re.match(r"^.*?[.!?](?=\s|$)", text, re.DOTALL)
    return match.group(0).strip() if match else text.strip()


def _title(question: str) -> str:
    words = _clean(question).split()
    title = " ".join(words[:_TITLE_WORDS]).rstrip(",;:.")
    return title + ("..." if len(words) > _TITLE_WORDS else "")
