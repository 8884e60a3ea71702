"""Rows of `tuning_runs`: every LoRA, DSPy or OpenAI tuning run, its config, data hash, artifact and metrics."""

from __future__ import annotations

import json

from practicum.errors import NotFoundError
from practicum.storage.store import Store, now_iso

JSON_FIELDS = ("config", "metrics_before", "metrics_after", "details")


def _encode(fields: dict) -> dict:
    row = dict(fields)
    for key in JSON_FIELDS:
        if key in row and not isinstance(row[key], str) and row[key] is not None:
            row[key] = json.dumps(row[key], sort_keys=True, default=str)
    return row


def _decode(row: dict) -> dict:
    row = dict(row)
    for key in JSON_FIELDS:
        if row.get(key):
            row[key] = json.loads(row[key])
        else:
            row[key] = {}
    return row


def create_tuning_run(
    store: Store, *, tuner: str, config: dict, data_hash: str = "", role: str = "", base_model: str = "",
    dataset_path: str = "", status: str = "created", details: dict | None = None,
) -> int:
    """Insert a tuning run row and return its id."""
    row = _encode({
        "tuner": tuner, "config": config, "data_hash": data_hash, "role": role, "base_model": base_model,
        "dataset_path": dataset_path, "status": status, "artifact_path": "", "metrics_before": {},
        "metrics_after": {}, "error": "", "external_id": "", "result_model": "", "details": details or {},
        "created": now_iso(), "updated": now_iso(),
    })
    with store._lock, store.db.atomic():
        return store.db["tuning_runs"].insert(row).last_pk


def update_tuning_run(store: Store, run_id: int, **fields) -> None:
    """Update some fields of a tuning run (JSON fields may be dicts); `details` is merged, not replaced."""
    with store._lock, store.db.atomic():
        current = get_tuning_run(store, run_id)
        if "details" in fields and fields["details"] is not None:
            fields["details"] = {**current["details"], **fields["details"]}
        fields["updated"] = now_iso()
        store.db["tuning_runs"].update(run_id, _encode(fields))


def get_tuning_run(store: Store, run_id: int) -> dict:
    """Return one tuning run with decoded JSON fields, or raise NotFoundError."""
    rows = list(store.db["tuning_runs"].rows_where("id = ?", [run_id]))
    if not rows:
        raise NotFoundError(f"no tuning run with id {run_id}")
    return _decode(rows[0])


def find_tuning_run(store: Store, *, tuner: str, external_id: str) -> dict | None:
    """Return the run of `tuner` tracking a remote job id, if any."""
    rows = list(store.db["tuning_runs"].rows_where("tuner = ? and external_id = ?", [tuner, external_id], limit=1))
    return _decode(rows[0]) if rows else None


def list_tuning_runs(store: Store, *, tuner: str | None = None, limit: int = 50) -> list[dict]:
    """Return tuning runs, newest first, optionally for one tuner."""
    where, params = ("tuner = ?", [tuner]) if tuner else (None, [])
    rows = store.db["tuning_runs"].rows_where(where, params, order_by="id desc", limit=limit)
    return [_decode(r) for r in rows]
