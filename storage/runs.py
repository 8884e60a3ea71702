"""SQL for generation runs: the run row, its planned sessions, step writes, counts and duplicate marks.

A run plans all its sessions up front (status `pending`), so the plan itself is durable: resuming
means finishing the rows that are not `completed` or `failed`, and nothing can be created twice.
Each step's turns and session status changes commit in one transaction, so a crash loses at most
the step in flight and never leaves a finished session half-marked.
"""

from __future__ import annotations

import json
import os
import time
from typing import Iterable, Iterator

from practicum.records import Turn
from practicum.errors import NotFoundError, PracticumError
from practicum.scenarios.model import Scenario
from practicum.storage.store import Store, now_iso

RUN_KIND = "generation"
OPEN_STATUSES = ("pending", "running")
HEARTBEAT_STALE_S = 30.0


class RunBusyError(PracticumError):
    """Another live process is driving this run."""


def _loads(value, default):
    try:
        return json.loads(value) if value else default
    except ValueError:
        return default


def _decode_run(row: dict) -> dict:
    row = dict(row)
    row["config"] = _loads(row.get("config"), {})
    row["progress"] = _loads(row.get("progress"), {})
    row["stalled"] = is_stalled(row)
    return row


def is_stalled(run: dict, now: float | None = None) -> bool:
    """True for a run marked running whose process is gone (killed) or silent past the heartbeat limit."""
    if run.get("status") != "running":
        return False
    progress = run.get("progress") or {}
    pid, beat = progress.get("pid"), float(progress.get("heartbeat") or 0)
    now = time.time() if now is None else now
    return now - beat > HEARTBEAT_STALE_S or (bool(pid) and not _pid_alive(int(pid)))


def create_run(store: Store, config: dict, progress: dict | None = None) -> int:
    """Insert a generation run row (status running); return its id."""
    now = now_iso()
    row = {
        "kind": RUN_KIND, "config": json.dumps(config, sort_keys=True, ensure_ascii=False),
        "status": "running", "progress": json.dumps(progress or {}, sort_keys=True), "created": now, "updated": now,
    }
    with store._lock, store.db.atomic():
        return store.db["runs"].insert(row).last_pk


def plan_sessions(store: Store, run_id: int, scenarios: list[Scenario], rows: list[dict]) -> list[int]:
    """Store missing scenarios and one `pending` session per planned row, all in one transaction.

    Each row has scenario_id, teacher_spec, student_spec, seed, options, programs, metadata.
    """
    now = now_iso()
    records = []
    for r in rows:
        programs = r.get("programs") or {}
        records.append({
            "scenario_id": r["scenario_id"], "source": "generated", "teacher_spec": r["teacher_spec"],
            "student_spec": r["student_spec"],
            "teacher_program": programs.get("teacher", {}).get("version", ""),
            "student_program": programs.get("student", {}).get("version", ""),
            "prompts": json.dumps(programs, sort_keys=True, ensure_ascii=False),
            "options": json.dumps(r.get("options") or {}, sort_keys=True), "seed": r.get("seed"),
            "status": "pending", "stop_reason": "", "error": "", "started": now, "ended": None,
            "run_id": run_id, "metadata": json.dumps(r.get("metadata") or {}, sort_keys=True, ensure_ascii=False),
        })
    with store._lock, store.db.atomic():
        store.db["scenarios"].insert_all((Store._scenario_row(s) for s in scenarios), pk="id", ignore=True)
        first = store.db.execute("select coalesce(max(id), 0) from sessions").fetchone()[0] + 1
        store.db["sessions"].insert_all(records, batch_size=500)
        ids = [r[0] for r in store.db.execute(
            "select id from sessions where run_id = ? and id >= ? order by id", [run_id, first])]
    return ids


def get_run(store: Store, run_id: int) -> dict:
    """Return a run with decoded config/progress and its session counts by status; NotFoundError if absent."""
    rows = list(store.db["runs"].rows_where("id = ?", [run_id]))
    if not rows:
        raise NotFoundError(f"no run with id {run_id}")
    run = _decode_run(rows[0])
    run["counts"] = session_counts(store, run_id)
    return run


def list_runs(store: Store, *, limit: int | None = 50) -> list[dict]:
    """Return runs newest first, each with its session counts by status and stored turn count."""
    sql = "select * from runs order by id desc" + (" limit ?" if limit else "")
    runs = [_decode_run(row) for row in store.query(sql, [limit] if limit else [])]
    for run in runs:
        run["counts"] = session_counts(store, run["id"])
        run["turns"] = turn_totals(store, run["id"])["turns"]
    return runs


def session_counts(store: Store, run_id: int) -> dict[str, int]:
    """How many of the run's sessions are in each status."""
    rows = store.db.execute("select status, count(*) from sessions where run_id = ? group by status", [run_id])
    return {status: n for status, n in rows.fetchall()}


def turn_totals(store: Store, run_id: int) -> dict[str, int]:
    """Stored turns and their prompt/completion tokens over the run's sessions."""
    row = store.db.execute(
        "select count(*), coalesce(sum(t.prompt_tokens), 0), coalesce(sum(t.completion_tokens), 0) "
        "from turns t join sessions s on s.id = t.session_id where s.run_id = ?", [run_id],
    ).fetchone()
    return {"turns": row[0], "prompt_tokens": row[1], "completion_tokens": row[2]}


def failure_reasons(store: Store, run_id: int) -> list[dict]:
    """Failed sessions grouped by reason, most frequent first, with one example message each."""
    rows = store.db.execute(
        "select stop_reason, count(*), min(error) from sessions where run_id = ? and status = 'failed' "
        "group by stop_reason order by count(*) desc", [run_id],
    ).fetchall()
    return [{"reason": r or "error", "count": n, "example": e or ""} for r, n, e in rows]


def update_run(store: Store, run_id: int, *, status: str | None = None, progress: dict | None = None) -> None:
    """Set a run's status and/or progress JSON, stamping `updated`."""
    values: dict = {"updated": now_iso()}
    if status is not None:
        values["status"] = status
    if progress is not None:
        values["progress"] = json.dumps(progress, sort_keys=True, ensure_ascii=False)
    with store._lock, store.db.atomic():
        store.db["runs"].update(run_id, values)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def claim_run(store: Store, run_id: int, now: float, pid: int | None = None) -> dict:
    """Take over a run for this process; RunBusyError when a live process still drives it.

    A run is busy when its status is `running`, its heartbeat is fresh and its pid is alive on this
    host; a killed run's pid is gone (or its heartbeat stale), so `--resume` can take it.
    """
    pid = os.getpid() if pid is None else pid
    with store._lock, store.db.atomic():
        # Write first: the transaction takes the write lock before reading, so two resumes cannot both pass.
        store.db.execute("update runs set updated = ? where id = ?", [now_iso(), run_id])
        run = get_run(store, run_id)
        progress = run["progress"]
        owner, beat = progress.get("pid"), progress.get("heartbeat", 0)
        if (run["status"] == "running" and owner and owner != pid and now - beat < HEARTBEAT_STALE_S
                and _pid_alive(int(owner))):
            raise RunBusyError(f"run {run_id} is still being generated by process {owner}; stop it first")
        progress.update(pid=pid, heartbeat=now)
        update_run(store, run_id, status="running", progress=progress)
    run["progress"] = progress
    return run


def open_sessions(store: Store, run_id: int) -> list[dict]:
    """The run's sessions that are pending or interrupted mid-way, in plan order, with their stored turns."""
    rows = list(store.db["sessions"].rows_where(
        "run_id = ? and status in ('pending', 'running')", [run_id], order_by="id"))
    for row in rows:
        for key in ("options", "metadata"):
            row[key] = _loads(row.get(key), {})
        row["turns"] = store.get_turns(row["id"]) if row["status"] == "running" else []
    return rows


def record_step(
    store: Store, *, turns: Iterable[tuple[int, Turn]] = (), started: Iterable[int] = (),
    finished: Iterable[tuple[int, str, str, str]] = (), run_id: int | None = None, progress: dict | None = None,
) -> None:
    """Write one step in one transaction: sessions started, turns added, sessions finished (status, reason, error).

    With `run_id` and `progress`, the run's progress JSON (its counters) is written in the same
    transaction, so the stored requests and tokens always account for exactly the stored turns.
    """
    from practicum.storage.candidates import insert_best_of_candidates

    turn_rows = [Store._turn_row(sid, t) for sid, t in turns]
    now = now_iso()
    with store._lock, store.db.atomic():
        for sid in started:
            store.db.execute("update sessions set status = 'running', started = ? where id = ?", [now, sid])
        if turn_rows:
            store.db["turns"].insert_all(turn_rows)
            for sid, turn in turns:
                insert_best_of_candidates(store, sid, turn)
        for sid, status, reason, error in finished:
            store.db.execute(
                "update sessions set status = ?, stop_reason = ?, error = ?, ended = ? where id = ?",
                [status, reason, error, now, sid],
            )
        if run_id is not None and progress is not None:
            store.db.execute("update runs set progress = ?, updated = ? where id = ?",
                             [json.dumps(progress, sort_keys=True, ensure_ascii=False), now, run_id])


def run_dialogues(store: Store, run_id: int) -> Iterator[tuple[int, str]]:
    """(session id, all turn text) for the run's completed sessions, in id order."""
    cursor = store.db.execute(
        "select s.id, group_concat(t.text, ' ') from sessions s join turns t on t.session_id = s.id "
        "where s.run_id = ? and s.status = 'completed' group by s.id order by s.id", [run_id],
    )
    for session_id, text in cursor:
        yield session_id, text or ""


def mark_near_duplicates(store: Store, run_id: int, marks: list[tuple[int, int, float]]) -> None:
    """Replace the run's near-duplicate marks (sessions.metadata near_duplicate_of/similarity)."""
    with store._lock, store.db.atomic():
        store.db.execute(
            "update sessions set metadata = json_remove(metadata, '$.near_duplicate_of', '$.similarity') "
            "where run_id = ? and json_extract(metadata, '$.near_duplicate_of') is not null", [run_id],
        )
        store.db.conn.executemany(
            "update sessions set metadata = json_set(coalesce(nullif(metadata, ''), '{}'), "
            "'$.near_duplicate_of', ?, '$.similarity', ?) where id = ?",
            [(original, round(score, 3), item) for item, original, score in marks],
        )


def near_duplicate_count(store: Store, run_id: int) -> int:
    """How many of the run's sessions are marked near duplicates."""
    return store.db.execute(
        "select count(*) from sessions where run_id = ? and json_extract(metadata, '$.near_duplicate_of') is not null",
        [run_id],
    ).fetchone()[0]
