"""The SQL behind dataset import and export: picking sessions, reading ratings and metrics, manifests.

Exports select sessions by source, scenario subject and grade, date range, ratings and (when the
evaluation has written a `metrics` table) metric thresholds. Ratings follow the rule used
everywhere else: ratings are append-only and the latest row per (session, rater, turn,
dimension) is the current one; a NULL score is a comment and never counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from practicum.errors import InputError
from practicum.storage.store import Store, id_chunks, now_iso


_CURRENT_SCORE = (
    "r.score is not null and r.id = (select max(r2.id) from ratings r2 where r2.session_id = r.session_id "
    "and r2.rater = r.rater and r2.dimension = r.dimension and r2.turn_idx is r.turn_idx)"
)






def select_sessions(
    store: Store, *, sources: Iterable[str] = (), subject: str | None = None, grade: str | None = None,
    since: str | None = None, until: str | None = None, statuses: Iterable[str] = (), run_ids: Iterable[int] = (),
) -> list[dict]:
    """Sessions matching the filters (with scenario subject and grade), oldest first; running ones never."""
    clauses, params = ["s.status != 'running'"], []
    sources, statuses, run_ids = list(sources), list(statuses), [int(r) for r in run_ids]
    if run_ids:
        clauses.append(f"s.run_id in ({', '.join('?' for _ in run_ids)})")
        params += run_ids
    if sources:
        clauses.append(f"s.source in ({', '.join('?' for _ in sources)})")
        params += sources
    if statuses:
        clauses.append(f"s.status in ({', '.join('?' for _ in statuses)})")
        params += statuses
    if subject is not None:
        clauses.append("lower(sc.subject) = lower(?)")
        params.append(subject)
    if grade is not None:
        clauses.append("sc.grade = ?")
        params.append(grade)
    if since is not None:
        clauses.append("s.started >= ?")
        params.append(since)
    if until is not None:
        clauses.append("s.started < ?")
        params.append(until)
    sql = (
        "select s.id, s.scenario_id, s.source, s.status, s.started, s.metadata, sc.subject, sc.grade "
        "from sessions s join scenarios sc on sc.id = s.scenario_id where " + " and ".join(clauses)
        + " order by s.id"
    )
    return store.query(sql, params)


def turns_by_session(store: Store, session_ids: list[int]) -> dict[int, list[dict]]:
    """The turns of many sessions, in order, keyed by session id."""
    found: dict[int, list[dict]] = {}
    for chunk, marks in id_chunks(session_ids):
        sql = f"select * from turns where session_id in ({marks}) order by session_id, idx"
        for row in store.query(sql, chunk):
            found.setdefault(row["session_id"], []).append(row)
    return found


def current_scores(
    store: Store, session_ids: list[int], *, rater: str | None = None, dimension: str | None = None,
) -> tuple[dict[int, float], dict[tuple[int, int], float]]:
    """Mean current scores: per session (session-level ratings) and per (session, turn idx)."""
    sessions: dict[int, float] = {}
    turns: dict[tuple[int, int], float] = {}
    for chunk, marks in id_chunks(session_ids):
        sql = (
            f"select r.session_id, r.turn_idx, avg(r.score) from ratings r where r.session_id in ({marks}) "
            f"and {_CURRENT_SCORE}"
        )
        params: list = list(chunk)
        if rater is not None:
            sql += " and r.rater = ?"
            params.append(rater)
        if dimension is not None:
            sql += " and r.dimension = ?"
            params.append(dimension)
        for session_id, turn_idx, mean in store.db.execute(sql + " group by r.session_id, r.turn_idx", params):
            if turn_idx is None:
                sessions[session_id] = mean
            else:
                turns[(session_id, turn_idx)] = mean
    return sessions, turns


def sessions_rated_by(store: Store, session_ids: list[int], rater: str) -> set[int]:
    """Which of these sessions `rater` scored (the session or any turn)."""
    found: set[int] = set()
    for chunk, marks in id_chunks(session_ids):
        sql = f"select distinct session_id from ratings where session_id in ({marks}) and rater = ? and score is not null"
        found.update(row[0] for row in store.db.execute(sql, chunk + [rater]))
    return found


def has_metrics(store: Store) -> bool:
    """True when the evaluation's `metrics` table exists in this database."""
    return "metrics" in store.db.table_names()


def metric_values(store: Store, session_ids: list[int], names: Iterable[str]) -> dict[int, dict[str, float]]:
    """The latest value of each named metric per session; InputError when no metrics are stored."""
    names = list(dict.fromkeys(names))
    if not has_metrics(store):
        raise InputError("no metrics are stored yet: compute them with `practicum eval` (e.g. `practicum eval "
                         "--source mathdial` or `practicum eval 1-40`), or drop the --min-metric/--max-metric filters")
    stored = {row[0] for row in store.db.execute("select distinct name from metrics")}
    unknown = [n for n in names if n not in stored]
    if unknown:
        known = ", ".join(sorted(stored)) or "none"
        raise InputError(f"no metric named {', '.join(repr(n) for n in unknown)} is stored (stored: {known}); "
                         "metrics are computed by `practicum eval` (e.g. `practicum eval --source mathdial`)")
    values: dict[int, dict[str, float]] = {}
    name_marks = ", ".join("?" for _ in names)
    for chunk, marks in id_chunks(session_ids):
        sql = (
            f"select m.session_id, m.name, m.value from metrics m where m.session_id in ({marks}) "
            f"and m.name in ({name_marks}) and m.rowid = (select m2.rowid from metrics m2 "
            "where m2.session_id = m.session_id and m2.name = m.name order by m2.created desc, m2.rowid desc limit 1)"
        )
        for session_id, name, value in store.db.execute(sql, chunk + names):
            if value is not None:
                values.setdefault(session_id, {})[name] = float(value)
    return values


def find_imported(store: Store, import_hash: str) -> int | None:
    """The id of a session imported earlier with this content hash, or None."""
    row = store.db.execute(
        "select id from sessions where json_extract(metadata, '$.import_hash') = ? limit 1", [import_hash]
    ).fetchone()
    return row[0] if row else None


def record_dataset(
    store: Store, *, fmt: str, path: str, files: dict, filters: dict, counts: dict, content_hash: str,
) -> int:
    """Write an export manifest row to `datasets`; return its id."""
    row = {
        "format": fmt, "path": path, "files": json.dumps(files, sort_keys=True),
        "filters": json.dumps(filters, sort_keys=True, default=str), "counts": json.dumps(counts, sort_keys=True),
        "content_hash": content_hash, "created": now_iso(),
    }
    with store._lock, store.db.atomic():
        return store.db["datasets"].insert(row).last_pk


def list_datasets(store: Store, *, limit: int = 50) -> list[dict]:
    """Export manifests, newest first, with their JSON fields decoded."""
    rows = store.query("select * from datasets order by id desc limit ?", [limit])
    for row in rows:
        for key in ("files", "filters", "counts"):
            row[key] = json.loads(row[key]) if row.get(key) else {}
    return rows
