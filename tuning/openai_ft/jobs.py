"""OpenAI fine-tuning jobs as `tuning_runs` rows: start, follow, cancel, and pick up after a restart.

The row is the durable record: the job id (`external_id`), file ids, status, trained tokens, the
resulting `ft:` model and the service's error are written as soon as they are known, and the
events cursor too, so `status` or `watch` in a new process continues from the row instead of
from memory. Training metrics (step, train loss, validation loss) from the job's metrics events
are kept in `details.metrics`; `metrics_before/after` stay for evaluation on held-out scenarios.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Callable

from practicum.agents.backends.openai_errors import OPENAI_URL, display_url
from practicum.errors import InputError, NotFoundError, PracticumError
from practicum.storage.store import Store
from practicum.storage.tuning_runs import (
    create_tuning_run, find_tuning_run, get_tuning_run, list_tuning_runs, update_tuning_run,
)
from practicum.tuning.openai_ft.client import FineTuningClient
from practicum.tuning.openai_ft.plan import JobPlan

log = logging.getLogger(__name__)

TUNER = "openai"
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
METRIC_KEYS = ("step", "total_steps", "train_loss", "valid_loss", "full_valid_loss",
               "train_mean_token_accuracy", "valid_mean_token_accuracy")
MAX_METRIC_POINTS = 2000
RECENT_EVENTS = 30
JOB_FIELDS = ("model", "created_at", "finished_at", "estimated_finish", "training_file", "validation_file",
              "result_files", "seed", "organization_id")


def start_job(store: Store, client: FineTuningClient, plan: JobPlan) -> int:
    """Upload the plan's files, create the job, and return its tuning run id; the row records each step."""
    request = plan.request
    run_id = create_tuning_run(
        store, tuner=TUNER, config={**plan.config(), "base_url": client.where}, data_hash=plan.data_hash,
        role=request.role, base_model=request.model, dataset_path=str(request.training_path), status="uploading",
        details={"estimated_cost": plan.cost, "examples": plan.training.n_examples,
                 "tokens": plan.training.tokens.get("total")},
    )
    uploaded: list[str] = []
    try:
        training = client.upload(request.training_path)
        uploaded.append(training["id"])
        update_tuning_run(store, run_id, details={"training_file_id": training["id"]})
        validation_id = None
        if request.validation_path is not None:
            validation_id = client.upload(request.validation_path)["id"]
            uploaded.append(validation_id)
            update_tuning_run(store, run_id, details={"validation_file_id": validation_id})
        job = client.create_job(
            model=request.model, training_file=training["id"], validation_file=validation_id, method=plan.method,
            hyperparameters=request.hyperparameters(), suffix=request.suffix, seed=request.seed,
        )
    except PracticumError as exc:
        update_tuning_run(store, run_id, status="failed", error=str(exc))
        _delete_quietly(client, uploaded)
        raise
    record_job(store, run_id, job, [])
    log.info("tuning run %d: created job %s on %s", run_id, job["id"], client.where)
    return run_id


def record_job(store: Store, run_id: int, job: dict, new_events: list[dict]) -> dict:
    """Write a job's state and its new events (oldest first) into the run's row; return the row."""
    row = get_tuning_run(store, run_id)
    old = row["details"]
    error = job.get("error") or {}
    message = error.get("message") or ""
    details: dict = {
        "job": {k: job.get(k) for k in JOB_FIELDS},
        "trained_tokens": job.get("trained_tokens"),
        "hyperparameters": _hyperparameters(job),
        "method": (job.get("method") or {}).get("type") or old.get("method") or "supervised",
    }
    if new_events:
        points = [_metrics(e) for e in new_events if _metrics(e)]
        details["metrics"] = (old.get("metrics", []) + points)[-MAX_METRIC_POINTS:]
        recent = [{"at": e.get("created_at"), "level": e.get("level"), "message": e.get("message")}
                  for e in new_events]
        details["recent_events"] = (old.get("recent_events", []) + recent)[-RECENT_EVENTS:]
        details["events_cursor"] = new_events[-1]["id"]
        details["events_seen"] = old.get("events_seen", 0) + len(new_events)
    fields = {"status": job["status"], "external_id": job["id"], "details": details,
              "result_model": job.get("fine_tuned_model") or ""}
    if message:
        fields["error"] = f"{message} ({error['code']})" if error.get("code") else message
    if job["status"] != row["status"]:
        log.info("tuning run %d: job %s %s -> %s", run_id, job["id"], row["status"], job["status"])
    update_tuning_run(store, run_id, **fields)
    return get_tuning_run(store, run_id)


def sync_job(store: Store, client: FineTuningClient, run_id: int) -> dict:
    """Fetch the job and its new events from the service and update the row; return the row."""
    row = get_tuning_run(store, run_id)
    job_id = job_id_of(row)
    job = client.get_job(job_id)
    events = client.events_since(job_id, row["details"].get("events_cursor"))
    return record_job(store, run_id, job, events)


def cancel_job(store: Store, client: FineTuningClient, run_id: int) -> dict:
    """Cancel the run's job on the service and record the result."""
    row = get_tuning_run(store, run_id)
    if row["status"] in TERMINAL:
        raise InputError(f"tuning run {run_id} already {row['status']}; nothing to cancel")
    job = client.cancel_job(job_id_of(row))
    events = client.events_since(job["id"], row["details"].get("events_cursor"))
    return record_job(store, run_id, job, events)


def pause(seconds: float) -> None:
    """Wait between polls (a module function so tests can interrupt or skip it)."""
    time.sleep(seconds)


def watch_job(
    store: Store, client: FineTuningClient, run_id: int, on_update: Callable[[dict], None], *,
    interval: float = 2.0, max_interval: float = 30.0, backoff: float = 1.5,
) -> dict:
    """Poll until the job ends, calling on_update with the row after each poll; waits grow while nothing changes."""
    wait, seen = interval, None
    while True:
        row = sync_job(store, client, run_id)
        on_update(row)
        if row["status"] in TERMINAL:
            return row
        state = (row["status"], row["details"].get("events_cursor"))
        wait = interval if state != seen else min(max(wait, 0.1) * backoff, max_interval)
        seen = state
        pause(wait if interval > 0 else 0)


def adopt_job(store: Store, client: FineTuningClient, job_id: str) -> dict:
    """Track a job started elsewhere (another machine, the dashboard) as a new run; return the row."""
    job = client.get_job(job_id)
    method = (job.get("method") or {}).get("type") or "supervised"
    run_id = create_tuning_run(
        store, tuner=TUNER, config={"model": job["model"], "method": method, "base_url": client.where,
                                    "adopted": True},
        base_model=job["model"], status=job["status"],
    )
    return record_job(store, run_id, job, client.events_since(job_id, None))


def resolve_run(store: Store, ref: str | None) -> dict:
    """The run a user means: a run id, a job id, or (None) the newest OpenAI run."""
    if ref is None:
        rows = list_tuning_runs(store, tuner=TUNER, limit=1)
        if not rows:
            raise NotFoundError("no OpenAI tuning runs yet; start one with `practicum tune openai start FILE`")
        return rows[0]
    if ref.isdigit():
        row = get_tuning_run(store, int(ref))
        if row["tuner"] != TUNER:
            raise InputError(f"tuning run {ref} is a {row['tuner']} run, not an OpenAI fine-tuning job")
        return row
    row = find_tuning_run(store, tuner=TUNER, external_id=ref)
    if row is None:
        raise NotFoundError(f"no tuning run tracks job {ref}")
    return row


def run_base_url(row: dict | None, option: str | None) -> str | None:
    """The base URL to reach a run's job: --base-url, else the one it was started on (credentials from env)."""
    if option:
        return option
    env = os.environ.get("OPENAI_BASE_URL")
    stored = (row or {}).get("config", {}).get("base_url")
    if stored and not (env and display_url(env.rstrip("/")) == stored):
        return stored
    return env


def backend_spec(row: dict) -> str:
    """The `--teacher`/`--student` spec that talks to the run's tuned model."""
    model = row["result_model"]
    if not model:
        raise InputError(f"tuning run {row['id']} has no tuned model yet (status {row['status']})")
    url = row["config"].get("base_url") or OPENAI_URL
    env = os.environ.get("OPENAI_BASE_URL") or OPENAI_URL
    same = url == display_url(env.rstrip("/"))
    return f"openai:{model}" if same else f"openai:{model},base_url={url}"


def training_progress(row: dict) -> dict:
    """The latest step, total steps and losses from the row's metrics (empty before the first step)."""
    metrics = row["details"].get("metrics") or []
    latest: dict = {}
    for point in metrics:
        latest.update({k: v for k, v in point.items() if v is not None})
    return latest


def job_id_of(row: dict) -> str:
    if not row["external_id"]:
        reason = f": {row['error']}" if row["error"] else ""
        raise InputError(f"tuning run {row['id']} has no OpenAI job (status {row['status']}{reason})")
    return row["external_id"]


def _metrics(event: dict) -> dict | None:
    data = event.get("data") or {}
    if event.get("type") != "metrics" or not isinstance(data, dict) or "step" not in data:
        return None
    return {k: data[k] for k in METRIC_KEYS if k in data}


def _hyperparameters(job: dict) -> dict:
    method = job.get("method") or {}
    kind = method.get("type")
    inner = (method.get(kind) or {}).get("hyperparameters") if kind else None
    chosen = inner or job.get("hyperparameters") or {}
    return {k: v for k, v in chosen.items() if v is not None}


def _delete_quietly(client: FineTuningClient, file_ids: list[str]) -> None:
    for file_id in file_ids:
        try:
            client.delete_file(file_id)
        except PracticumError as exc:  # the job did not start; a stray file is not worth a second error
            log.info("could not delete uploaded file %s: %s", file_id, exc)
