"""What a generation run is asked to do, and the durable plan of sessions it expands into.

The config is stored with the run, so `--resume` rebuilds the same backends, options and seeds
from the database alone. Session seeds and (optionally) student-trait variations are derived
from the run seed and the session's place in the plan, so a run is reproducible and a resumed
session continues exactly as it would have.
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field

from practicum.agents.runner import stored_options as row_options, with_temperature
from practicum.agents.session import SessionOptions
from practicum.scenarios.model import Scenario

LEVELS = ("low", "medium", "high")
SEED_STRIDE = 1_000_000  # session seeds of one run never collide for plans under a million sessions


class RunConfig(BaseModel):
    """Everything `practicum generate` was asked for; stored as the run's config JSON."""

    model_config = ConfigDict(extra="forbid")

    scenarios: str = Field(description="the --scenarios selection as given")
    scenario_ids: list[str] = Field(description="the resolved scenarios, in plan order")
    sessions_per_scenario: int = Field(1, ge=1)
    max_turns: int = Field(10, ge=1, le=200)
    teacher: str = "local"
    student: str = "local"
    concurrency: int = Field(8, ge=1, le=512)
    seed: int = 0
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    stop_on_answer: bool = True
    vary_traits: bool = False
    dedup_threshold: float = Field(0.8, gt=0.0, le=1.0)

    @property
    def total_sessions(self) -> int:
        """How many sessions the plan holds."""
        return len(self.scenario_ids) * self.sessions_per_scenario


def session_options(config: RunConfig, seed: int | None) -> SessionOptions:
    """The SessionOptions every session of the run uses, with this session's seed."""
    options = SessionOptions(max_turns=config.max_turns, seed=seed, stop_on_answer=config.stop_on_answer)
    return with_temperature(options, config.temperature)


def stored_options(config: RunConfig) -> dict:
    """The options recorded on each session row (as SessionRunner records them), so a session explains itself."""
    return row_options(session_options(config, None))


def session_seed(run_seed: int, index: int) -> int:
    """The seed of the plan's `index`-th session."""
    return run_seed * SEED_STRIDE + index


def plan_rows(config: RunConfig, programs: dict) -> list[dict]:
    """One row per session, round-robin over scenarios so any prefix of the run spans the selection."""
    rows = []
    options = stored_options(config)
    for round_ in range(config.sessions_per_scenario):
        for position, scenario_id in enumerate(config.scenario_ids):
            index = round_ * len(config.scenario_ids) + position
            seed = session_seed(config.seed, index)
            metadata: dict = {"plan_index": index}
            if config.vary_traits:
                metadata["traits"] = varied_traits(seed)
            rows.append({
                "scenario_id": scenario_id, "teacher_spec": config.teacher, "student_spec": config.student,
                "seed": seed, "options": options, "programs": programs, "metadata": metadata,
            })
    return rows


def varied_traits(seed: int) -> dict:
    """Confidence and motivation drawn from the session seed (the name and misconception stay the scenario's)."""
    rng = random.Random(seed)
    return {"confidence": rng.choice(LEVELS), "motivation": rng.choice(LEVELS)}


def scenario_for_session(scenario: Scenario, metadata: dict) -> Scenario:
    """The scenario as this session plays it: the stored one, with any varied traits applied."""
    traits = metadata.get("traits")
    if not traits:
        return scenario
    profile = scenario.student_profile
    new_traits = profile.traits.model_copy(update={k: v for k, v in traits.items() if k in ("confidence", "motivation")})
    return scenario.model_copy(update={"student_profile": profile.model_copy(update={"traits": new_traits})})
