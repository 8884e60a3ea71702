"""Train/validation split by scenario, so no scenario's dialogues sit on both sides.

Scenarios are grouped by their problem text first: MathDial, for one, has the same problem
tutored by several teachers under different scenario ids, and a model that saw the problem in
training would be flattered by meeting it again in validation. A group's side depends only on
its key and the seed (a hash compared with the fraction), not on which other groups an export
happens to hold: two exports with different filters but the same seed never put one problem in
one's training file and the other's validation file. Only when hashing leaves a side empty on
a small set is one group moved, the nearest to the cut.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from practicum.errors import InputError
from practicum.scenarios.model import Scenario


def problem_key(scenario: Scenario) -> str:
    """The split group of a scenario: a hash of its problem text, case and spacing ignored."""
    text = " ".join(scenario.problem.lower().split())
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def group_position(key: str, seed: int) -> float:
    """A stable number in [0, 1) for this group and seed."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def validation_groups(keys: Iterable[str], val_fraction: float, seed: int = 0) -> set[str]:
    """The group keys that go to validation; empty when the fraction is 0 or there is one group."""
    if not 0 <= val_fraction < 1:
        raise InputError(f"validation fraction must be at least 0 and below 1, got {val_fraction}")
    ranked = sorted(set(keys), key=lambda key: (group_position(key, seed), key))
    if val_fraction == 0 or len(ranked) < 2:
        return set()
    chosen = [key for key in ranked if group_position(key, seed) < val_fraction]
    if not chosen:
        chosen = ranked[:1]
    elif len(chosen) == len(ranked):
        chosen = ranked[:-1]
    return set(chosen)
