"""Read MRBench files (both released layouts) as labelled tutor responses.

MRBench (Maurya et al., NAACL 2025; CC BY-SA 4.0, built on MathDial and Bridge)
stops each dialogue at a student's mistake and rates several candidate tutor
responses. Two layouts exist: the BEA 2025 shared-task layout
(`tutor_responses`, four dimensions, no ground truth) and MRBench V2
(`anno_llm_responses`, eight dimensions, `Ground_Truth_Solution`). Both read into
the same `MRBenchExample`; `merge_examples` joins files that rate the same
response (same conversation, history and text) into one example carrying every
label given to it, so dialogues that appear in both files are counted once.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError
from practicum.scenarios.answers import final_answer

BEA_DIMENSIONS = ("Mistake_Identification", "Mistake_Location", "Providing_Guidance", "Actionability")
# Every labelled dimension, with its classes in a fixed order (the first is the good pole where one exists).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "Mistake_Identification": ("Yes", "To some extent", "No"),
    "Mistake_Location": ("Yes", "To some extent", "No"),
    "Providing_Guidance": ("Yes", "To some extent", "No"),
    "Actionability": ("Yes", "To some extent", "No"),
    "Revealing_of_the_Answer": ("No", "Yes (but the answer is incorrect)", "Yes (and the answer is correct)"),
    "Coherence": ("Yes", "To some extent", "No"),
    "Tutor_Tone": ("Encouraging", "Neutral", "Offensive"),
    "humanlikeness": ("Yes", "To some extent", "No"),
}
LENIENT_MERGE = {"To some extent": "Yes"}  # the shared task's lenient F1 merges these two classes

_SPEAKER = re.compile(r"(?:^|\n)[ \t\u00a0]*(Tutor|Teacher|Student)[ \t\u00a0]*:", re.IGNORECASE)
_QUESTION_IS = re.compile(r"the question is\s*:\s*", re.IGNORECASE)
_NOT_AVAILABLE = {"", "not available", "n/a", "na", "none"}


@dataclass(frozen=True)
class MRBenchExample:
    """One candidate tutor response with the dialogue before it and its human labels (if any)."""

    conversation_id: str
    history: str  # the dialogue as released, `Tutor:` / `Student:` lines
    response: str
    tutor: str = ""  # who wrote the response (a model name, Expert, Novice); never a prediction input
    problem: str = ""
    ground_truth: str = ""  # worked solution, '' when the file gives none
    answer: str = ""  # the solution's final number, '' when unknown
    data: str = ""  # MathDial or Bridge, when the file says
    labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def turns(self) -> list[tuple[str, str]]:
        """The history as (role, text) pairs, role 'teacher' or 'student'."""
        return parse_history(self.history)

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two records the same rated response."""
        return (self.conversation_id, _clean(self.history), _clean(self.response))


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\u00a0", " ")).strip()


def parse_history(history: str) -> list[tuple[str, str]]:
    """Split `Tutor: ... Student: ...` text into (role, text) turns; unprefixed lines continue the turn."""
    text = (history or "").replace("\r", "")
    marks = list(_SPEAKER.finditer(text))
    turns: list[tuple[str, str]] = []
    if marks and text[: marks[0].start()].strip():
        turns.append(("student", _clean(text[: marks[0].start()])))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        role = "student" if mark.group(1).lower() == "student" else "teacher"
        body = _clean(text[mark.end() : end])
        if body:
            turns.append((role, body))
    if not marks and text.strip():
        turns.append(("student", _clean(text)))
    return turns


def problem_from_history(history: str) -> str:
    """The word problem of a MathDial-style opening ("... The question is: ..."), else ''."""
    turns = parse_history(history)
    if turns and turns[0][0] == "teacher":
        match = _QUESTION_IS.search(turns[0][1])
        if match:
            return turns[0][1][match.end() :].strip()
    return ""


def _ground_truth(value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    return "" if text.lower() in _NOT_AVAILABLE else text


def layout_of(record) -> str | None:
    """'bea' (tutor_responses), 'v2' (anno_llm_responses), or None when the record is neither."""
    if not isinstance(record, dict) or "conversation_history" not in record:
        return None
    if isinstance(record.get("tutor_responses"), dict):
        return "bea"
    if isinstance(record.get("anno_llm_responses"), dict):
        return "v2"
    return None


def examples_from_record(record: dict, where: str) -> list[MRBenchExample]:
    """The labelled responses of one dialogue record; InputError names `where` and the field."""
    layout = layout_of(record)
    if layout is None:
        raise InputError(f"{where}: not an MRBench dialogue (expected conversation_history and "
                         "tutor_responses or anno_llm_responses)")
    history = record["conversation_history"]
    if not isinstance(history, str):
        raise InputError(f"{where}: conversation_history: expected text")
    conversation_id = str(record.get("conversation_id") or hashlib.sha256(history.encode()).hexdigest()[:16])
    truth = _ground_truth(record.get("Ground_Truth_Solution"))
    responses = record["tutor_responses" if layout == "bea" else "anno_llm_responses"]
    out = []
    for tutor, item in responses.items():
        if not isinstance(item, dict) or not isinstance(item.get("response"), str):
            raise InputError(f"{where}: {tutor}.response: expected text")
        annotation = item.get("annotation") or {}
        if not isinstance(annotation, dict):
            raise InputError(f"{where}: {tutor}.annotation: expected an object")
        labels = {}
        for dimension, label in annotation.items():
            if dimension in DIMENSIONS:
                if label not in DIMENSIONS[dimension]:
                    raise InputError(f"{where}: {tutor}.annotation.{dimension}: unknown label {label!r} "
                                     f"(expected one of {', '.join(DIMENSIONS[dimension])})")
                labels[dimension] = label
        out.append(MRBenchExample(
            conversation_id=conversation_id, history=history, response=item["response"], tutor=str(tutor),
            problem=problem_from_history(history), ground_truth=truth, answer=final_answer(truth) if truth else "",
            data=str(record.get("Data") or ""), labels=labels,
        ))
    return out


def read_mrbench(path: str | Path) -> list[MRBenchExample]:
    """Every response of an MRBench .json file (a list of dialogues, either layout); InputError on bad input."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON list of dialogues")
    examples = []
    for number, record in enumerate(data):
        examples.extend(examples_from_record(record, f"{path}: record {number}"))
    if not examples:
        raise InputError(f"{path}: no tutor responses found")
    return examples


def merge_examples(*groups: list[MRBenchExample]) -> list[MRBenchExample]:
    """One example per distinct response, labels joined; facts (problem, ground truth) from whichever has them."""
    merged: dict[tuple, MRBenchExample] = {}
    for group in groups:
        for example in group:
            seen = merged.get(example.key)
            if seen is None:
                merged[example.key] = example
                continue
            labels = dict(example.labels) | dict(seen.labels)
            merged[example.key] = MRBenchExample(
                conversation_id=seen.conversation_id, history=seen.history, response=seen.response,
                tutor=seen.tutor, problem=seen.problem or example.problem,
                ground_truth=seen.ground_truth or example.ground_truth, answer=seen.answer or example.answer,
                data=seen.data or example.data, labels=labels,
            )
    return list(merged.values())


def read_mrbench_files(paths) -> tuple[list[MRBenchExample], dict[str, str]]:
    """Read and merge several files; return the examples and {file name: sha256}."""
    groups, hashes = [], {}
    for path in paths:
        groups.append(read_mrbench(path))
        hashes[Path(path).name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return merge_examples(*groups), hashes


def lenient(label: str) -> str:
    """The label under the shared task's lenient scoring (To some extent counts as Yes)."""
    return LENIENT_MERGE.get(label, label)
