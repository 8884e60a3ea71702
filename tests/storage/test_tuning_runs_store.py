"""tuning_runs rows: create, update with merged details, find by remote job id."""

import pytest

from practicum.errors import NotFoundError
from practicum.storage.tuning_runs import (
    create_tuning_run, find_tuning_run, get_tuning_run, list_tuning_runs, update_tuning_run,
)


def test_tuning_run_lifecycle(store):
    run = create_tuning_run(store, tuner="lora", config={"r": 8}, data_hash="abc", role="teacher")
    update_tuning_run(store, run, status="running", details={"step": 1})
    update_tuning_run(store, run, status="succeeded", details={"loss": 1.2}, artifact_path="/tmp/a",
                      metrics_after={"guiding_rate": 0.5})
    row = get_tuning_run(store, run)
    assert row["status"] == "succeeded" and row["config"] == {"r": 8}
    assert row["details"] == {"step": 1, "loss": 1.2}
    assert row["metrics_after"] == {"guiding_rate": 0.5} and row["updated"] >= row["created"]
    other = create_tuning_run(store, tuner="openai", config={}, status="queued")
    update_tuning_run(store, other, external_id="ftjob-1")
    assert find_tuning_run(store, tuner="openai", external_id="ftjob-1")["id"] == other
    assert find_tuning_run(store, tuner="lora", external_id="ftjob-1") is None
    assert [r["id"] for r in list_tuning_runs(store)] == [other, run]
    with pytest.raises(NotFoundError):
        get_tuning_run(store, 999)
