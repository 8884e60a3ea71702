"""Fixtures for generation runs: build a planned run on a store with scripted backends."""

from __future__ import annotations

import pytest


@pytest.fixture
def plan_run():
    """plan_run(store, ids, **config) -> run id: a planned (not yet driven) generation run over built-in ids."""
    from practicum.agents.runs.generation import start_run
    from practicum.agents.runs.plan import RunConfig
    from practicum.scenarios.files import get_builtin

    def make(store, ids, **config):
        scenarios = [get_builtin(i) for i in ids]
        config = {"scenarios": ",".join(ids), "scenario_ids": list(ids), "teacher": "scripted:vary=1",
                  "student": "scripted:vary=1", "max_turns": 4, "concurrency": 4, **config}
        return start_run(store, RunConfig(**config), scenarios)

    return make
