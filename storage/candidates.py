"""Alternative versions of one turn: generated candidates and reviewers' rewrites, and their ratings.

A turn as stored is what was said. A reviewer may save an improved version of it (a `rewrite`),
and a generation run may keep several `candidate` replies for the same context. Preference
datasets pair these against each other or against the original turn. Candidates are rated in
`candidate_ratings` (same columns as `ratings`, keyed by candidate id); the original turn keeps
its ratings in `ratings`. Re-rating appends a row; the latest row per (rater, dimension) counts.
The CLI (`practicum turns ...`) and the TUI both call these functions.
"""

from __future__ import annotations

from practicum.errors import InputError, NotFoundError
from practicum.storage.store import Store, now_iso

KINDS = ("candidate", "rewrite")

# The latest score per (candidate, rater, dimension); comments carry a NULL score and are ignored.
_CURRENT_SCORE = (
    "cr.score is not null and cr.id = (select max(c2.id) from candidate_ratings c2 "
    "where c2.candidate_id = cr.candidate_id and c2.rater = cr.rater and c2.dimension = cr.dimension)"
)


_SELECT = (
    "select c.*, (select avg(cr.score) from candidate_ratings cr where cr.candidate_id = c.id and "
    f"{_CURRENT_SCORE}) as mean_score, "
    "(select count(*) from candidate_ratings cr where cr.candidate_id = c.id and "
    f"{_CURRENT_SCORE}) as n_scores from turn_candidates c"
)




def _check_turn(store: Store, session_id: int, turn_idx: int) -> dict:
    if not store.db.execute("select 1 from sessions where id = ?", [session_id]).fetchone():
        raise NotFoundError(f"no session with id {session_id}")
    rows = store.query("select * from turns where session_id = ? and idx = ?", [session_id, turn_idx])
    if not rows:
        raise NotFoundError(f"session {session_id} has no turn {turn_idx}")
    return rows[0]


def add_candidate(
    store: Store, session_id: int, turn_idx: int, text: str, *, kind: str = "candidate", author: str = "",
    model: str = "", note: str = "",
) -> int:
    """Store an alternative text for turn `turn_idx` of a session; return the candidate id."""
    if kind not in KINDS:
        raise InputError(f"candidate kind must be one of {', '.join(KINDS)}, got '{kind}'")
    text = (text or "").strip()
    if not text:
        raise InputError("candidate text is empty")
    with store._lock, store.db.atomic():
        turn = _check_turn(store, session_id, turn_idx)
        if kind == "rewrite" and text == turn["text"].strip():
            raise InputError(f"session {session_id} turn {turn_idx}: the rewrite is identical to the turn")
        row = {
            "session_id": session_id, "turn_idx": turn_idx, "text": text, "kind": kind, "author": author or "",
            "model": model or "", "note": note or "", "created": now_iso(),
        }
        return store.db["turn_candidates"].insert(row).last_pk


BEST_OF_KEY = "best_of"  # agents/best_of.py: the turn metadata that carries a turn's ranked candidates


def stored_turn_metadata(metadata: dict | None) -> dict | None:
    """The metadata stored on the turn row: best-of candidates keep their defects and total, their text and
    ratings go to turn_candidates and candidate_ratings (insert_best_of_candidates)."""
    if not metadata or BEST_OF_KEY not in metadata:
        return metadata
    best = dict(metadata[BEST_OF_KEY])
    best["candidates"] = [{"defects": c.get("defects", []), "total": c.get("total")} for c in best.get("candidates", [])]
    return {**metadata, BEST_OF_KEY: best}


def insert_best_of_candidates(store: Store, session_id: int, turn) -> list[int]:
    """Store a turn's best-of candidates with the ranker's ratings; the caller holds the store's transaction."""
    best = (turn.metadata or {}).get(BEST_OF_KEY)
    if not best:
        return []
    now, ids = now_iso(), []
    for index, candidate in enumerate(best.get("candidates", [])):
        text = (candidate.get("text") or "").strip()
        if not text:
            continue
        defects = candidate.get("defects") or []
        note = f"best-of {index + 1}/{len(best['candidates'])}, total {candidate.get('total')}"
        note += ", kept" if index == best.get("kept") else ""
        note += f", refused: {', '.join(defects)}" if defects else ""
        row = {"session_id": session_id, "turn_idx": turn.idx, "text": text, "kind": "candidate",
               "author": best.get("rater", ""), "model": turn.model or "", "note": note, "created": now}
        candidate_id = store.db["turn_candidates"].insert(row).last_pk
        ids.append(candidate_id)
        store.db["candidate_ratings"].insert_all(
            {"candidate_id": candidate_id, "rater": best.get("rater", ""), "dimension": dimension, "score": score,
             "comment": comment or "", "created": now}
            for dimension, score, comment in candidate.get("ratings") or [])
    return ids


def save_rewrite(store: Store, session_id: int, turn_idx: int, text: str, *, author: str, note: str = "") -> int:
    """Save a reviewer's improved version of a turn; return its candidate id."""
    return add_candidate(store, session_id, turn_idx, text, kind="rewrite", author=author, note=note)


def get_candidate(store: Store, candidate_id: int) -> dict:
    """Return one candidate row with its mean current score; NotFoundError if absent."""
    rows = store.query(_SELECT + " where c.id = ?", [candidate_id])
    if not rows:
        raise NotFoundError(f"no turn candidate with id {candidate_id}")
    return rows[0]


def list_candidates(store: Store, session_id: int, turn_idx: int | None = None, *, kind: str | None = None) -> list[dict]:
    """Candidates and rewrites of a session (or of one turn), oldest first, each with mean_score and n_scores."""
    clauses, params = ["c.session_id = ?"], [session_id]
    if turn_idx is not None:
        clauses.append("c.turn_idx = ?")
        params.append(turn_idx)
    if kind is not None:
        clauses.append("c.kind = ?")
        params.append(kind)
    return store.query(_SELECT + " where " + " and ".join(clauses) + " order by c.turn_idx, c.id", params)


def candidates_for_sessions(store: Store, session_ids: list[int]) -> dict[int, list[dict]]:
    """All candidates of many sessions at once (for exports), keyed by session id."""
    found: dict[int, list[dict]] = {}
    for start in range(0, len(session_ids), 500):
        chunk = session_ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in store.query(_SELECT + f" where c.session_id in ({marks}) order by c.turn_idx, c.id", chunk):
            found.setdefault(row["session_id"], []).append(row)
    return found


def delete_candidate(store: Store, candidate_id: int) -> None:
    """Delete a candidate and its ratings; NotFoundError if absent."""
    with store._lock, store.db.atomic():
        get_candidate(store, candidate_id)
        store.db.execute("delete from turn_candidates where id = ?", [candidate_id])


def rate_candidate(
    store: Store, candidate_id: int, *, rater: str, dimension: str, score: float | None, comment: str = "",
) -> int:
    """Append a rating of a candidate (history kept; the latest per rater and dimension counts); return its id."""
    if not rater.strip() or not dimension.strip():
        raise InputError("a rating needs a rater and a dimension")
    with store._lock, store.db.atomic():
        get_candidate(store, candidate_id)
        row = {
            "candidate_id": candidate_id, "rater": rater, "dimension": dimension, "score": score,
            "comment": comment or "", "created": now_iso(),
        }
        return store.db["candidate_ratings"].insert(row).last_pk


def candidate_ratings(store: Store, candidate_id: int) -> list[dict]:
    """Every rating row of one candidate, oldest first."""
    return store.query("select * from candidate_ratings where candidate_id = ? order by id", [candidate_id])


def current_candidate_scores(
    store: Store, session_ids: list[int], *, rater: str | None = None, dimension: str | None = None,
) -> dict[int, float]:
    """Mean current score of each rated candidate of these sessions, optionally by one rater or dimension.

    Without a rater, a person's scores outrank a judge's: a candidate any person rated is scored by its
    people's ratings alone, one only judges rated (raters named `judge:...`) by theirs.
    """
    scores: dict[int, float] = {}
    by_kind: dict[int, dict[bool, list[float]]] = {}
    for start in range(0, len(session_ids), 500):
        chunk = session_ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        sql = (
            "select cr.candidate_id, cr.rater like 'judge%', cr.score from candidate_ratings cr join turn_candidates c "
            f"on c.id = cr.candidate_id where c.session_id in ({marks}) and {_CURRENT_SCORE}"
        )
        params = list(chunk)
        if rater is not None:
            sql += " and cr.rater = ?"
            params.append(rater)
        if dimension is not None:
            sql += " and cr.dimension = ?"
            params.append(dimension)
        for candidate_id, by_judge, score in store.db.execute(sql, params).fetchall():
            by_kind.setdefault(candidate_id, {}).setdefault(bool(by_judge), []).append(score)
    for candidate_id, kinds in by_kind.items():
        values = kinds.get(False) or kinds[True]
        scores[candidate_id] = sum(values) / len(values)
    return scores
