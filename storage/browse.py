"""Paged, filtered and sorted session listings for browsing: the TUI shows a page at a time.

`Store.list_sessions` serves the CLI; a browser over tens of thousands of sessions also needs
counts, sorting on computed columns (turns, mean rating) and the distinct filter values, each
answered by one query so the first screen appears at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from practicum.errors import InputError
from practicum.storage.store import Store

# The mean of the *current* scores: for each (rater, turn, dimension) only the latest row counts,
# so re-rating replaces a score without losing its history. Comments (score NULL) are ignored, and so
# are judges (`judge:` raters): the column and the rated/unrated filter are about people's ratings.
HUMAN = "r.rater not like 'judge:%' and r.rater not like 'judge-%'"
MEAN_RATING_SQL = (
    f"(select avg(r.score) from ratings r where r.session_id = s.id and r.score is not null and {HUMAN} "
    "and r.id = (select max(r2.id) from ratings r2 where r2.session_id = r.session_id "
    "and r2.rater = r.rater and r2.dimension = r.dimension and r2.turn_idx is r.turn_idx))"
)
N_TURNS_SQL = "(select count(*) from turns t where t.session_id = s.id)"

SORT_COLUMNS = {
    "id": "s.id",
    "scenario": "sc.title",
    "subject": "sc.subject",
    "grade": "cast(sc.grade as integer), sc.grade",
    "teacher": "s.teacher_spec",
    "student": "s.student_spec",
    "turns": "n_turns",
    "status": "s.status",
    "rating": "mean_rating",
    "source": "s.source",
}


@dataclass(frozen=True)
class SessionQuery:
    """Which sessions to list and in what order; None means 'any'."""

    subject: str | None = None
    grade: str | None = None
    source: str | None = None
    rated: bool | None = None  # True: only sessions with a score; False: only unrated ones
    sort: str = "id"
    descending: bool = True

    def with_sort(self, column: str) -> "SessionQuery":
        """Sort by `column`; choosing the current column again flips the direction."""
        if column not in SORT_COLUMNS:
            raise InputError(f"cannot sort sessions by '{column}' (choose from {', '.join(SORT_COLUMNS)})")
        if column == self.sort:
            return replace(self, descending=not self.descending)
        return replace(self, sort=column, descending=column in ("id", "turns", "rating"))

    @property
    def filtered(self) -> bool:
        """True when any filter narrows the listing."""
        return any(v is not None for v in (self.subject, self.grade, self.source, self.rated))


def _where(query: SessionQuery) -> tuple[str, list]:
    clauses, params = [], []
    for column, value in (("sc.subject", query.subject), ("sc.grade", query.grade), ("s.source", query.source)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if query.rated is not None:
        exists = f"exists (select 1 from ratings r where r.session_id = s.id and r.score is not null and {HUMAN})"
        clauses.append(exists if query.rated else f"not {exists}")
    return (" where " + " and ".join(clauses)) if clauses else "", params


def count_sessions(store: Store, query: SessionQuery) -> int:
    """How many sessions match the query's filters."""
    where, params = _where(query)
    sql = f"select count(*) from sessions s join scenarios sc on sc.id = s.scenario_id{where}"
    return store.db.execute(sql, params).fetchone()[0]


def page_sessions(store: Store, query: SessionQuery, *, limit: int = 100, offset: int = 0) -> list[dict]:
    """One page of matching sessions with scenario title, subject, grade, turn count and mean rating."""
    if query.sort not in SORT_COLUMNS:
        raise InputError(f"cannot sort sessions by '{query.sort}'")
    where, params = _where(query)
    direction = "desc" if query.descending else "asc"
    order = ", ".join(f"{part} {direction}" for part in SORT_COLUMNS[query.sort].split(", "))
    # Sorting by a computed column needs it for every row; otherwise compute it only for the page.
    sql = (
        "select s.id, s.scenario_id, sc.title as scenario_title, sc.subject, sc.grade, s.teacher_spec, "
        "s.student_spec, s.status, s.stop_reason, s.source, s.started, "
        f"{N_TURNS_SQL} as n_turns, {MEAN_RATING_SQL} as mean_rating "
        f"from sessions s join scenarios sc on sc.id = s.scenario_id{where} "
        f"order by {order}, s.id {direction} limit ? offset ?"
    )
    return store.query(sql, [*params, limit, offset])


def filter_values(store: Store) -> dict[str, list[str]]:
    """The distinct subjects, grades and sources that stored sessions have, for filter menus."""
    values = {}
    for key, column in (("subject", "sc.subject"), ("grade", "sc.grade"), ("source", "s.source")):
        sql = (
            f"select distinct {column} from sessions s join scenarios sc on sc.id = s.scenario_id "
            f"where {column} is not null and {column} != ''"
        )
        found = [row[0] for row in store.db.execute(sql).fetchall()]
        if key == "grade":
            found.sort(key=lambda g: (not str(g).isdigit(), int(g) if str(g).isdigit() else 0, str(g)))
        else:
            found.sort(key=str.lower)
        values[key] = found
    return values

