"""Scenarios by construction: math problem families with computed answers, misconceptions as buggy rules,
and a curated catalogue of science, reading and history misconceptions.

`build.py` turns these into `Scenario`s; nothing in this package calls a model.
"""

from __future__ import annotations

from functools import lru_cache

from practicum.errors import InputError
from practicum.scenarios.problems import (
    algebra,
    decimals,
    equations,
    fraction_problems,
    geometry,
    integers,
    percent,
    ratios,
    whole_numbers,
    word_problems,
)
from practicum.scenarios.problems.base import Family, Misconception
from practicum.scenarios.problems.catalogue import catalogue

MATH_MODULES = (whole_numbers, fraction_problems, decimals, percent, ratios, integers, equations, geometry, algebra,
                word_problems)


@lru_cache(maxsize=1)
def math_families() -> tuple[Family, ...]:
    """Every math problem family; checks that names are unique and every rule names a known misconception."""
    families = tuple(f for module in MATH_MODULES for f in module.FAMILIES)
    known = _math_misconceptions()
    seen: set[str] = set()
    for family in families:
        if family.name in seen:
            raise InputError(f"scenarios/problems: duplicate family name '{family.name}'")
        seen.add(family.name)
        missing = [rule for rule in family.rules if rule not in known]
        if missing:
            raise InputError(f"scenarios/problems: family '{family.name}' uses unknown misconceptions: {missing}")
    return families


@lru_cache(maxsize=1)
def _math_misconceptions() -> dict[str, Misconception]:
    found: dict[str, Misconception] = {}
    for module in MATH_MODULES:
        for misconception in module.MISCONCEPTIONS:
            if misconception.name in found:
                raise InputError(f"scenarios/problems: duplicate misconception name '{misconception.name}'")
            found[misconception.name] = misconception
    return found


@lru_cache(maxsize=1)
def misconceptions() -> dict[str, Misconception]:
    """Every misconception in the library, math rules and catalogue entries, by name."""
    found = dict(_math_misconceptions())
    for entries in catalogue().values():
        for entry in entries:
            if entry.misconception.name in found:
                raise InputError(f"scenarios/catalogue: '{entry.misconception.name}' is also a math misconception")
            found[entry.misconception.name] = entry.misconception
    return found


def misconception_rows(subject: str | None = None, grade: int | None = None) -> list[dict]:
    """The library as rows (name, subject, grades, topic, description, families, problems, reference)."""
    families_of: dict[str, list[str]] = {}
    for family in math_families():
        for rule in family.rules:
            families_of.setdefault(rule, []).append(family.name)
    problems_of = {e.misconception.name: len(e.problems) for entries in catalogue().values() for e in entries}
    rows = []
    for m in misconceptions().values():
        if subject and m.subject != subject.lower():
            continue
        if grade is not None and not m.covers(grade):
            continue
        rows.append({
            "name": m.name, "subject": m.subject, "grades": f"{m.grades[0]}-{m.grades[1]}", "topic": m.topic,
            "description": m.description, "families": families_of.get(m.name, []),
            "problems": problems_of.get(m.name, 0) if m.subject != "math" else None, "reference": m.reference,
        })
    return sorted(rows, key=lambda r: (r["subject"] != "math", r["subject"], r["topic"], r["name"]))
