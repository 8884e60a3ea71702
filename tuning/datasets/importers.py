"""Read the dialogue formats people already use for tutoring data and turn each record into a transcript.

Four record shapes, one per JSON object (a .jsonl line, or an item of a .json array):
- `dialogue`: `{"dialogue" | "conversation": [{"role": "teacher"|"student", "content": ...}]}`;
- `openai-chat`: `{"messages": [{"role": "system"|"user"|"assistant", "content": ...}]}`, one side the teacher;
- `io-pairs`: `{"input" | "instruction": ..., "output": ...}`, one student line and one teacher reply;
- `mathdial`: MathDial rows, parsed by `practicum.scenarios.mathdial` with teacher-move labels kept.

A record may name its scenario (`"scenario": {...}` or an id); otherwise one is built from its
`problem`/`question`, `answer`, `subject`, `grade` fields. Practicum's own OpenAI exports carry
each row's scenario as data in a sidecar file that `importing` merges into the record, so they
import back to the same scenario and turns; no prompt text is read back into fields. Parsers are
pure: every problem is an InputError naming the record and field.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from practicum.records import MOVES, STUDENT, TEACHER, Turn
from practicum.errors import InputError
from practicum.scenarios.files import describe_validation_error
from practicum.scenarios.model import Scenario, StudentProfile

FORMATS = ("dialogue", "openai-chat", "io-pairs", "mathdial")
TEACHER_ROLES = ("assistant", "user")
_ROLE_ALIASES = {"teacher": TEACHER, "tutor": TEACHER, "student": STUDENT, "learner": STUDENT}
_CHAT_SYSTEM_ROLES = ("system", "developer")
_TITLE_WORDS = 8

ScenarioLookup = Callable[[str], "Scenario | None"]


@dataclass
class DialogueRecord:
    """One parsed record: the scenario, the turns in order, and what to keep about where it came from."""

    scenario: Scenario
    turns: list[Turn]
    metadata: dict[str, Any] = field(default_factory=dict)

    def content_hash(self) -> str:
        """Hash of scenario id and turns: the same dialogue imported twice is recognised."""
        data = [self.scenario.id] + [[t.role, t.text, t.move] for t in self.turns]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()[:20]


@dataclass
class ImportOptions:
    """How to read records: which chat side is the teacher, and scenario fallbacks."""

    teacher_role: str = "assistant"  # openai-chat: the teacher's chat role; io-pairs: assistant = output
    scenario: Scenario | None = None  # put every record on this scenario
    subject: str = "unknown"
    grade: str = "unknown"
    lookup: ScenarioLookup | None = None  # resolves `"scenario": "<id>"` to a stored or built-in scenario

    def __post_init__(self):
        if self.teacher_role not in TEACHER_ROLES:
            raise InputError(f"teacher role must be one of {', '.join(TEACHER_ROLES)}, got '{self.teacher_role}'")


def read_records(path: str | Path) -> Iterator[tuple[str, Any]]:
    """Yield (location such as 'line 3' or 'record 2', parsed JSON or InputError) for a .jsonl or .json file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
        for index, record in enumerate(data if isinstance(data, list) else [data], 1):
            yield f"record {index}", record
        return
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"line {line_no}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {line_no}", InputError(f"invalid JSON at column {exc.colno}: {exc.msg}")


def detect_format(record: Any) -> str | None:
    """Name the format of one record, or None when it is none of them."""
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("conversation"), str) and {"question", "ground_truth"} <= set(record):
        return "mathdial"
    if isinstance(record.get("messages"), list):
        return "openai-chat"
    if isinstance(record.get("dialogue"), list) or isinstance(record.get("conversation"), list):
        return "dialogue"
    if "output" in record and ("input" in record or "instruction" in record):
        return "io-pairs"
    return None


def parse_record(fmt: str, record: Any, where: str, options: ImportOptions) -> DialogueRecord:
    """Parse one record in format `fmt`; InputError messages name the field."""
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {type(record).__name__}")
    if fmt == "mathdial":
        return _parse_mathdial(record, where)
    parsers = {"dialogue": _parse_dialogue, "openai-chat": _parse_openai_chat, "io-pairs": _parse_io_pair}
    if fmt not in parsers:
        raise InputError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    return parsers[fmt](record, options)


def _parse_mathdial(record: dict, where: str) -> DialogueRecord:
    from practicum.scenarios.mathdial import parse_mathdial_row

    line_no = int(where.split()[-1]) if where.split()[-1].isdigit() else 0
    try:
        parsed = parse_mathdial_row(record, line_no)
    except InputError as exc:
        raise InputError(re.sub(r"^line \d+: ", "", str(exc))) from None
    return DialogueRecord(parsed.scenario, parsed.turns, dict(parsed.metadata))


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{where}: content must be text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InputError(f"{where}: content is empty")
    return text


def _parse_dialogue(record: dict, options: ImportOptions) -> DialogueRecord:
    key = "dialogue" if isinstance(record.get("dialogue"), list) else "conversation"
    turns: list[Turn] = []
    for number, item in enumerate(record[key], 1):
        where = f"{key}[{number - 1}]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected an object with role and content")
        role = _ROLE_ALIASES.get(str(item.get("role", "")).strip().lower())
        if role is None:
            raise InputError(f"{where}.role: expected 'teacher' or 'student', got {item.get('role')!r}")
        text = _text(item.get("content", item.get("text")), f"{where}.content")
        move = str(item.get("move") or "").strip().lower() or None
        if move is not None and move not in MOVES:
            raise InputError(f"{where}.move: expected one of {', '.join(MOVES)}, got {item.get('move')!r}")
        turns.append(_turn(len(turns), role, text, move))
    return _record(record, turns, options, {})


def _parse_openai_chat(record: dict, options: ImportOptions) -> DialogueRecord:
    from practicum.agents.dspy_bridge import CONTINUE_CUE, OPENING_CUE

    teacher_role = options.teacher_role
    system_parts, said = [], []
    for number, message in enumerate(record["messages"]):
        where = f"messages[{number}]"
        if not isinstance(message, dict):
            raise InputError(f"{where}: expected an object with role and content")
        chat_role = message.get("role")
        content = _text(message.get("content"), f"{where}.content")
        if chat_role in _CHAT_SYSTEM_ROLES:
            system_parts.append(content)
        elif chat_role in ("user", "assistant"):
            if content not in (OPENING_CUE, CONTINUE_CUE):  # practicum's prompt-only cues, never said
                said.append((TEACHER if chat_role == teacher_role else STUDENT, content))
        else:
            raise InputError(f"{where}.role: expected system, user or assistant, got {chat_role!r}")
    system = "\n\n".join(system_parts)
    scenario = _scenario_for(record, options, said)
    if said and said[0][1] == _opening_text(scenario):
        said = said[1:]  # the student's attempt that practicum puts in every prompt, not a turn
    turns = [_turn(i, role, text) for i, (role, text) in enumerate(said)]
    keep_system = system and not _is_practicum_prompt(system, scenario)
    return _record(record, turns, options, {"system": system} if keep_system else {}, scenario=scenario)


def _parse_io_pair(record: dict, options: ImportOptions) -> DialogueRecord:
    prompt_key = "instruction" if "instruction" in record else "input"
    prompt = _text(record.get(prompt_key), prompt_key)
    if prompt_key == "instruction" and isinstance(record.get("input"), str) and record["input"].strip():
        prompt += "\n\n" + record["input"].strip()
    output = _text(record.get("output"), "output")
    first, second = (STUDENT, TEACHER) if options.teacher_role == "assistant" else (TEACHER, STUDENT)
    return _record(record, [_turn(0, first, prompt), _turn(1, second, output)], options, {})


def _turn(idx: int, role: str, text: str, move: str | None = None) -> Turn:
    return Turn(idx=idx, role=role, text=text, move=move, move_source="human" if move else None, model="imported")


def _record(record: dict, turns: list[Turn], options: ImportOptions, extra: dict, scenario=None) -> DialogueRecord:
    if not turns:
        raise InputError("no teacher or student turns")
    if scenario is None:
        scenario = _scenario_for(record, options, [(t.role, t.text) for t in turns])
    metadata = {k: v for k, v in record.items() if k in ("id", "source", "meta", "metadata") and v not in (None, "")}
    metadata.update(extra)
    return DialogueRecord(scenario, turns, metadata)


def _is_practicum_prompt(system: str, scenario: Scenario) -> bool:
    """True when the system message holds practicum's teacher prompt for this scenario (derivable again)."""
    from practicum.agents.roles import teacher_situation

    return teacher_situation(scenario) in system


def _opening_text(scenario: Scenario) -> str:
    from practicum.agents.roles import opening_turn

    return opening_turn(scenario)["text"]


def _scenario_for(record: dict, options: ImportOptions, said: list[tuple[str, str]]) -> Scenario:
    if options.scenario is not None:
        return options.scenario
    given = record.get("scenario", record.get("scenario_id"))
    if isinstance(given, dict):
        try:
            return Scenario.model_validate(_as_text(given, ("grade", "answer")))
        except ValidationError as exc:
            raise InputError(f"scenario: {describe_validation_error(exc)}") from None
    if isinstance(given, str) and given.strip():
        found = options.lookup(given.strip()) if options.lookup else None
        if found is None:
            raise InputError(f"scenario: no stored or built-in scenario '{given.strip()}'")
        return found
    return _synthesized_scenario(record, options, said)


def _as_text(mapping: dict, keys: tuple[str, ...]) -> dict:
    data = dict(mapping)
    for key in keys:
        if isinstance(data.get(key), (int, float)) and not isinstance(data.get(key), bool):
            data[key] = str(data[key])
    return data


def _synthesized_scenario(record: dict, options: ImportOptions, said: list[tuple[str, str]]) -> Scenario:
    """A scenario made from the record's own fields; records with the same problem share it."""
    def pick(*keys: str) -> str:
        for key in keys:
            value = record.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""

    first_student = next((text for role, text in said if role == STUDENT), said[0][1] if said else "")
    problem = pick("problem", "question") or first_student
    answer = pick("answer") or "unknown"
    grade = pick("grade") or options.grade
    name = pick("name", "student_name") or "Student"
    words = problem.split()
    title = pick("title") or (" ".join(words[:_TITLE_WORDS]) + ("..." if len(words) > _TITLE_WORDS else ""))
    digest = hashlib.sha1(f"{problem}\n{answer}".encode()).hexdigest()[:12]
    try:
        return Scenario(
            id=f"import-{digest}", title=title or "Imported dialogue", subject=pick("subject") or options.subject,
            grade=grade, topic=pick("topic"),
            objective=pick("objective") or "Help the student work through the problem.",
            problem=problem or "(no problem text)", answer=answer, solution=pick("solution"),
            student_profile=StudentProfile(
                name=name, grade=grade, persona=pick("persona") or "A student in an imported dialogue.",
                incorrect_solution=pick("incorrect_solution"),
            ),
            source="import",
        )
    except ValidationError as exc:
        raise InputError(f"scenario: {describe_validation_error(exc)}") from None
