"""Where a run's scenarios come from: a selection (ids, file, filter) or `generate:N` new ones.

`generate:N` asks the ScenarioGenerator for N scenarios, cycling through the (subject, grade,
topic) triples of the built-in library in a seeded, spread-out order, so generated scenarios
vary in subject and grade; each gets its own seed, so names, traits and misconceptions vary too.
"""

from __future__ import annotations

import re
from typing import Callable

from practicum.errors import InputError
from practicum.scenarios.files import builtin_scenarios
from practicum.scenarios.model import Scenario
from practicum.scenarios.selection import select_scenarios, spread

GENERATE = re.compile(r"^generate:(\d+)$")
MAX_GENERATED = 1000


def generate_count(text: str) -> int | None:
    """N for a `generate:N` selection, else None; InputError for a malformed or out-of-range N."""
    text = (text or "").strip()
    if not text.startswith("generate:"):
        return None
    match = GENERATE.match(text)
    if not match or not 1 <= int(match.group(1)) <= MAX_GENERATED:
        raise InputError(f"--scenarios '{text}': use generate:N with N from 1 to {MAX_GENERATED}")
    return int(match.group(1))


def topics(seed: int = 0) -> list[tuple[str, str, str]]:
    """(subject, grade, topic) requests for the generator, spread across subjects and grades."""
    seen: dict[tuple[str, str, str], None] = {}
    for scenario in spread(builtin_scenarios(), seed):
        seen.setdefault((scenario.subject, scenario.grade, scenario.topic or scenario.subject), None)
    return list(seen)


def generate_scenarios(
    backend, count: int, seed: int = 0, on_each: Callable[[Scenario | None, str], None] | None = None,
) -> tuple[list[Scenario], list[str]]:
    """Ask the ScenarioGenerator for `count` scenarios; returns (made, failure messages)."""
    from practicum.agents.scenario_generator import ScenarioGenerator

    generator = ScenarioGenerator()
    requests = topics(seed)
    made: dict[str, Scenario] = {}
    failures: list[str] = []
    for i in range(count):
        subject, grade, topic = requests[i % len(requests)]
        try:
            scenario = generator.generate(backend, subject=subject, grade=grade, topic=topic, seed=seed * 7919 + i)
        except InputError as exc:
            failures.append(str(exc))
            if on_each:
                on_each(None, str(exc))
            continue
        made.setdefault(scenario.id, scenario)
        if on_each:
            on_each(scenario, "")
    return list(made.values()), failures


def resolve_scenarios(
    text: str, store, *, seed: int = 0, limit: int | None = None, generator_backend=None,
    on_generated: Callable[[Scenario | None, str], None] | None = None,
) -> tuple[list[Scenario], list[str]]:
    """Scenarios for a run, ordered to spread subjects and grades; returns (scenarios, generation failures)."""
    count = generate_count(text)
    if count is None:
        return spread(select_scenarios(text, store), seed, limit), []
    if generator_backend is None:
        raise InputError("generate:N needs a generator backend")
    made, failures = generate_scenarios(generator_backend, count, seed, on_generated)
    if not made:
        last = failures[-1] if failures else "no scenario made"
        raise InputError(f"generate:{count} made no valid scenario ({len(failures)} failed); last: {last}")
    return spread(made, seed, limit), failures
