"""Reading ratings back: the current score per (rater, turn, dimension), multi-rater sessions, metrics.

Ratings are append-only (`Store.add_rating`), so history is kept; "current" means the latest row
for a (session, rater, turn, dimension) key. These queries serve the review and agreement views.
"""

from __future__ import annotations

from practicum.storage.store import Store

COMMENT = "comment"  # dimension name of free-text comments; their score is NULL

_LATEST = (
    "r.id = (select max(r2.id) from ratings r2 where r2.session_id = r.session_id and r2.rater = r.rater "
    "and r2.dimension = r.dimension and r2.turn_idx is r.turn_idx)"
)


def current_ratings(store: Store, session_id: int, rater: str) -> dict[tuple[int | None, str], dict]:
    """One rater's current ratings of a session, keyed by (turn_idx or None for the session, dimension)."""
    sql = f"select r.* from ratings r where r.session_id = ? and r.rater = ? and {_LATEST}"
    rows = store.query(sql, [session_id, rater])
    return {(row["turn_idx"], row["dimension"]): row for row in rows}


def session_raters(store: Store, session_id: int) -> list[str]:
    """The names of everyone who scored this session, alphabetically."""
    sql = "select distinct rater from ratings where session_id = ? and score is not null order by rater"
    return [row[0] for row in store.db.execute(sql, [session_id]).fetchall()]


def multi_rater_scores(store: Store, min_raters: int = 2) -> list[dict]:
    """Current scores (not comments) of every session that `min_raters` or more people scored.

    Each row: session_id, turn_idx (None for session-level), rater, dimension, score, scenario_id.
    """
    sql = (
        "select r.session_id, r.turn_idx, r.rater, r.dimension, r.score, s.scenario_id "
        "from ratings r join sessions s on s.id = r.session_id "
        f"where r.score is not null and {_LATEST} and r.session_id in ("
        "  select session_id from ratings where score is not null "
        "  group by session_id having count(distinct rater) >= ?) "
        "order by r.session_id, r.turn_idx, r.dimension, r.rater"
    )
    return store.query(sql, [min_raters])


def session_metrics(store: Store, session_id: int) -> list[dict] | None:
    """Rows of the `metrics` table for a session, or None when this database has no such table."""
    if "metrics" not in store.db.table_names():
        return None
    return store.query("select * from metrics where session_id = ? order by name", [session_id])
