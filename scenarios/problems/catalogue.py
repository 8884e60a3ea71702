"""The curated catalogue of science, reading and history misconceptions (`scenarios/catalogue/*.yaml`).

Each entry is a documented misconception with the correct idea and one or more short stimuli, each with
a question, its answer, the student's wrong attempt and that attempt's wrong answer. Loading checks that
the correct idea states the answer and that no attempt does, so a scenario built from an entry can be
tutored to a recognisable finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from practicum.errors import InputError
from practicum.scenarios.answers import states_answer
from practicum.scenarios.problems.base import Misconception
from practicum.scenarios.problems.people import pronouns

SUBJECTS = ("science", "reading", "history")
_ENTRY_FIELDS = {"name", "grades", "topic", "description", "belief", "knows", "objective", "correct", "reference",
                 "problems"}
_PROBLEM_FIELDS = {"stimulus", "question", "answer", "attempt", "wrong_answer", "solution"}
_SAMPLE_PERSON = pronouns("Alex", "he")


@dataclass(frozen=True)
class CatalogueProblem:
    """One stimulus and question about a misconception, with its answer and the student's wrong attempt."""

    stimulus: str
    question: str
    answer: str
    attempt: str
    wrong_answer: str
    solution: str = ""


@dataclass(frozen=True)
class CatalogueEntry:
    """A documented misconception in one subject, with the correct idea and its problems."""

    misconception: Misconception
    knows: str
    objective: str
    correct: str
    problems: tuple[CatalogueProblem, ...]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, tuple[CatalogueEntry, ...]]:
    """Every catalogue entry by subject, loaded once and checked."""
    folder = resources.files("practicum.scenarios").joinpath("catalogue")
    loaded: dict[str, tuple[CatalogueEntry, ...]] = {}
    for subject in SUBJECTS:
        source = f"scenarios/catalogue/{subject}.yaml"
        loaded[subject] = parse_catalogue(folder.joinpath(f"{subject}.yaml").read_text(encoding="utf-8"),
                                          subject, source)
    names = [e.misconception.name for entries in loaded.values() for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"scenarios/catalogue: duplicate misconception names: {', '.join(duplicates)}")
    return loaded


def parse_catalogue(text: str, subject: str, source: str) -> tuple[CatalogueEntry, ...]:
    """Parse and check one subject's YAML list of entries; InputError names the entry and field."""
    try:
        records = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: invalid YAML: {exc}") from None
    if not isinstance(records, list) or not records:
        raise InputError(f"{source}: expected a list of misconception entries")
    return tuple(_entry(record, subject, f"{source}: entry {index}") for index, record in enumerate(records, 1))


def _entry(record: object, subject: str, where: str) -> CatalogueEntry:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a mapping")
    where = f"{where} ({record.get('name', '?')})"
    unknown = set(record) - _ENTRY_FIELDS
    if unknown:
        raise InputError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    for key in ("name", "grades", "topic", "description", "knows", "objective", "correct", "problems"):
        if not record.get(key):
            raise InputError(f"{where}: {key}: required")
    grades = record["grades"]
    if not (isinstance(grades, list) and len(grades) == 2 and all(isinstance(g, int) for g in grades)
            and grades[0] <= grades[1]):
        raise InputError(f"{where}: grades: expected [lowest, highest], e.g. [4, 8]")
    misconception = Misconception(
        name=str(record["name"]), subject=subject, grades=(grades[0], grades[1]), topic=str(record["topic"]),
        description=str(record["description"]), belief=str(record.get("belief", "")),
        reference=str(record.get("reference", "")),
    )
    problems = tuple(_problem(p, record, f"{where}: problems[{i}]") for i, p in enumerate(record["problems"]))
    return CatalogueEntry(misconception, str(record["knows"]), str(record["objective"]), str(record["correct"]),
                          problems)


def _problem(item: object, entry: dict, where: str) -> CatalogueProblem:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected a mapping")
    unknown = set(item) - _PROBLEM_FIELDS
    if unknown:
        raise InputError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    for key in ("stimulus", "question", "answer", "attempt", "wrong_answer"):
        if not str(item.get(key, "")).strip():
            raise InputError(f"{where}: {key}: required")
    problem = CatalogueProblem(**{key: str(value).strip() for key, value in item.items()})
    try:
        filled = {key: text.format(**_SAMPLE_PERSON) for key, text in vars(problem).items()}
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(f"{where}: bad placeholder {exc}; use {{name}}, {{he}}, {{his}}, {{him}}, {{He}}, {{His}}") from None
    solution = filled["solution"] or str(entry["correct"])
    if not states_answer(solution, problem.answer):
        raise InputError(f"{where}: the solution (or the entry's correct idea) does not state the answer "
                         f"'{problem.answer}'")
    if states_answer(filled["attempt"], problem.answer):
        raise InputError(f"{where}: attempt states the answer '{problem.answer}'; it must stay wrong")
    return problem
