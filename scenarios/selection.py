"""Pick the scenarios a generation run covers, from ids, a file or a filter, spread across subjects and grades.

A dataset drawn from one subject or one grade teaches a tuner one thing; `spread` orders a
selection so that any prefix of it (a capped sample, or the first sessions of a run that is
interrupted) covers as many (subject, grade) groups as possible, reproducibly for a seed.
"""

from __future__ import annotations

import difflib
import random
from pathlib import Path

from practicum.errors import InputError, NotFoundError
from practicum.scenarios.files import builtin_scenarios, load_scenario_file
from practicum.scenarios.model import Scenario

FILTER_KEYS = ("subject", "grade", "source", "topic")
KEYWORDS = ("all", "builtin", "stored")
FILE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
SELECTION_HELP = (
    "comma-separated ids; a .yaml/.json/.jsonl file; 'all', 'builtin' or 'stored'; "
    "a filter such as 'subject=math,grade=5' or 'source=mathdial'; or 'generate:N'"
)


def _pool(store, which: str = "all") -> dict[str, Scenario]:
    """Built-in and/or stored scenarios by id (a stored copy wins over the built-in one)."""
    found: dict[str, Scenario] = {}
    if which in ("all", "builtin"):
        found.update((s.id, s) for s in builtin_scenarios())
    if which in ("all", "stored") and store is not None:
        found.update((s.id, s) for s in store.list_scenarios())
    return found


def parse_filter(text: str) -> dict[str, str]:
    """`subject=math,grade=5` -> {'subject': 'math', 'grade': '5'}; InputError names a bad key."""
    filters: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise InputError(f"scenario filter '{text}': expected key=value, got '{part}'")
        if key not in FILTER_KEYS:
            raise InputError(f"scenario filter '{text}': unknown key '{key}' (use {', '.join(FILTER_KEYS)})")
        filters[key] = value
    return filters


def _matches(scenario: Scenario, filters: dict[str, str]) -> bool:
    for key, wanted in filters.items():
        value = str(getattr(scenario, key, "") or "")
        if key == "source":
            if not value.startswith(wanted):
                return False
        elif value.lower() != wanted.lower():
            return False
    return True


def is_file_reference(text: str) -> bool:
    """True when `text` names a scenario file rather than ids or a filter."""
    return Path(text).suffix.lower() in FILE_SUFFIXES or Path(text).is_file()


def select_scenarios(text: str, store=None) -> list[Scenario]:
    """Resolve a --scenarios value (not `generate:N`) to scenarios; errors name what is wrong."""
    text = (text or "").strip()
    if not text:
        raise InputError(f"--scenarios is empty; give {SELECTION_HELP}")
    if is_file_reference(text):
        return load_scenario_file(text)
    if text in KEYWORDS:
        chosen = list(_pool(store, text).values())
        if not chosen:
            raise NotFoundError(f"no {text} scenarios found")
        return sorted(chosen, key=lambda s: s.id)
    if "=" in text:
        filters = parse_filter(text)
        chosen = [s for s in _pool(store).values() if _matches(s, filters)]
        if not chosen:
            raise NotFoundError(f"no scenario matches '{text}'")
        return sorted(chosen, key=lambda s: s.id)
    pool = _pool(store)
    ids = [i.strip() for i in text.split(",") if i.strip()]
    unknown = [i for i in ids if i not in pool]
    if unknown:
        hints = []
        for missing in unknown[:5]:
            close = difflib.get_close_matches(missing, list(pool), n=1, cutoff=0.6)
            hints.append(f"'{missing}'" + (f" (did you mean {close[0]}?)" if close else ""))
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise NotFoundError(f"unknown scenario id{'s' if len(unknown) > 1 else ''}: {', '.join(hints)}{more}; "
                            "see `practicum scenarios list`")
    seen: dict[str, Scenario] = {}
    for i in ids:
        seen.setdefault(i, pool[i])
    return list(seen.values())


def spread(scenarios: list[Scenario], seed: int = 0, limit: int | None = None) -> list[Scenario]:
    """Order scenarios round-robin across (subject, grade) groups, shuffled by `seed`; keep the first `limit`."""
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[Scenario]] = {}
    for scenario in sorted(scenarios, key=lambda s: s.id):
        groups.setdefault((scenario.subject.lower(), scenario.grade), []).append(scenario)
    keys = sorted(groups)
    rng.shuffle(keys)
    for key in keys:
        rng.shuffle(groups[key])
    ordered: list[Scenario] = []
    depth = 0
    while len(ordered) < len(scenarios):
        for key in keys:
            if depth < len(groups[key]):
                ordered.append(groups[key][depth])
        depth += 1
    return ordered[:limit] if limit else ordered
