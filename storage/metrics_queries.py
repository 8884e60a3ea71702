"""SQL of the evaluation: metric rows, predicted moves, session selections and rating pairs.

The `metrics` table (migration m003) holds one value per (session, metric name,
metric version); re-computing a metric with the same version replaces its row,
a new version adds rows beside the old ones.
"""

from __future__ import annotations

import json
from typing import Iterable

from practicum.errors import InputError
from practicum.storage.store import Store, id_chunks, now_iso







def save_metrics(store: Store, session_id: int, values: Iterable[tuple[str, str, float | None, dict]]) -> int:
    """Upsert (name, version, value, detail) rows of one session in one transaction; return how many."""
    created = now_iso()
    rows = [
        {"session_id": session_id, "name": name, "version": version, "value": value,
         "detail": json.dumps(detail or {}, sort_keys=True, default=str), "created": created}
        for name, version, value, detail in values
    ]
    with store._lock, store.db.atomic():
        if rows:
            store.db["metrics"].upsert_all(rows, pk=("session_id", "name", "version"))
    return len(rows)


def metric_rows(store: Store, session_ids: list[int], version: str | None = None) -> list[dict]:
    """Metric rows of these sessions (one version, or every version), detail decoded, ordered by session, name."""
    out: list[dict] = []
    for chunk, marks in id_chunks(list(session_ids)):
        sql = f"select * from metrics where session_id in ({marks})"
        params: list = list(chunk)
        if version is not None:
            sql += " and version = ?"
            params.append(version)
        out.extend(store.query(sql + " order by session_id, name", params))
    for row in out:
        row["detail"] = json.loads(row["detail"] or "{}")
    return out


def metric_values(store: Store, session_ids: list[int], version: str) -> dict[str, dict[int, float]]:
    """{metric name: {session id: value}} for one version, values only (no detail JSON to decode)."""
    values: dict[str, dict[int, float]] = {}
    for chunk, marks in id_chunks(list(session_ids)):
        sql = (f"select name, session_id, value from metrics where version = ? and value is not null "
               f"and session_id in ({marks})")
        for name, session_id, value in store.db.execute(sql, [version] + chunk):
            values.setdefault(name, {})[session_id] = float(value)
    return values


def sessions_with_metrics(store: Store, session_ids: list[int], version: str) -> set[int]:
    """The sessions among these that already have metrics of this version."""
    found: set[int] = set()
    for chunk, marks in id_chunks(list(session_ids)):
        sql = f"select distinct session_id from metrics where version = ? and session_id in ({marks})"
        found.update(r[0] for r in store.db.execute(sql, [version] + chunk))
    return found


def save_predicted_moves(store: Store, session_id: int, moves: dict[int, str], predicted_by: str) -> None:
    """Store predicted moves of a session's teacher turns by turn index; human labels stay untouched."""
    with store._lock, store.db.atomic():
        for idx, move in moves.items():
            store.db.execute(
                "update turns set predicted_move = ?, predicted_by = ? where session_id = ? and idx = ?",
                [move, predicted_by, session_id, idx],
            )


def select_session_ids(
    store: Store, *, ids: Iterable[int] | None = None, run_ids: Iterable[int] = (), sources: Iterable[str] = (),
    teacher_specs: Iterable[str] = (), scenario_prefix: str | None = None, include_running: bool = False,
) -> list[int]:
    """Ids of the stored sessions that pass every given filter, ascending; unknown explicit ids are an error."""
    clauses, params = [], []
    ids = None if ids is None else sorted(set(ids))
    if ids is not None:
        missing = [i for i in ids if not store.db.execute("select 1 from sessions where id = ?", [i]).fetchone()]
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
            raise InputError(f"no session with id {shown}")
    for column, values in (("run_id", list(run_ids)), ("source", list(sources)), ("teacher_spec", list(teacher_specs))):
        if values:
            clauses.append(f"{column} in ({', '.join('?' for _ in values)})")
            params += values
    if scenario_prefix:
        clauses.append("scenario_id like ? escape '\\'")
        params.append(scenario_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if not include_running:
        clauses.append("status != 'running'")
    sql = "select id from sessions" + (f" where {' and '.join(clauses)}" if clauses else "") + " order by id"
    selected = [r[0] for r in store.db.execute(sql, params)]
    if ids is not None:
        wanted = set(ids)
        selected = [i for i in selected if i in wanted]
    return selected


def session_keys(store: Store, session_ids: list[int]) -> dict[int, dict]:
    """Scenario id, seed, run, source and teacher spec of each session (what pairs sessions across sets)."""
    keys: dict[int, dict] = {}
    for chunk, marks in id_chunks(list(session_ids)):
        sql = (f"select id, scenario_id, seed, run_id, source, teacher_spec, student_spec, status from sessions "
               f"where id in ({marks})")
        for row in store.query(sql, chunk):
            keys[row["id"]] = row
    return keys


def latest_scores(store: Store, *, rater: str | None = None, exclude_prefix: str | None = None,
                  session_ids: list[int] | None = None) -> list[dict]:
    """The latest scored rating per (session, rater, turn, dimension), filtered by rater or rater prefix."""
    sql = (
        "select r.session_id, r.turn_idx, r.rater, r.dimension, r.score from ratings r where r.score is not null "
        "and r.id = (select max(r2.id) from ratings r2 where r2.session_id = r.session_id and r2.rater = r.rater "
        "and r2.dimension = r.dimension and r2.turn_idx is r.turn_idx)"
    )
    params: list = []
    if rater is not None:
        sql += " and r.rater = ?"
        params.append(rater)
    if exclude_prefix is not None:
        sql += " and r.rater not like ? escape '\\'"
        params.append(exclude_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    rows = store.query(sql, params)
    if session_ids is not None:
        wanted = set(session_ids)
        rows = [r for r in rows if r["session_id"] in wanted]
    return rows
