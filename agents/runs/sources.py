"""Where a run's scenarios come from: a selection (ids, file, filter) or `generate:N` new ones.

`generate:N` builds N scenarios without a model (`scenarios/problems/`): half math from problem
families with computed answers and rule-made wrong attempts, the rest from the science, reading and
history misconception catalogue, spread over grades, each with its own student. With a generator
backend (`--generator openai:MODEL`) the ScenarioGenerator writes them instead, cycling through the
(subject, grade, topic) triples of the built-in library, behind the same checks.
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
    """`count` new scenarios, built (backend None) or model-written; returns (made, failure messages)."""
    if backend is None:
        from practicum.scenarios.problems.build import build_mixed

        built = build_mixed(count, seed)
        for scenario in built:
            if on_each:
                on_each(scenario, "")
        short = [] if len(built) == count else [f"the problem library holds only {len(built)} distinct scenarios"]
        return built, short
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
    made, failures = generate_scenarios(generator_backend, count, seed, on_generated)
    if not made:
        last = failures[-1] if failures else "no scenario made"
        raise InputError(f"generate:{count} made no valid scenario ({len(failures)} failed); last: {last}")
    return spread(made, seed, limit), failures
