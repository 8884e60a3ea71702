"""Which stored sessions and turns go into an export, and which turns are worth learning.

Filters apply at two levels. A session is kept when it matches source, scenario subject and
grade, date range, rater, minimum session rating and metric thresholds. Within a kept session,
every turn of the trained role is a target; a target is *learned* unless its current mean
score is below `min_turn_rating`; with a minimum set, unrated turns are learned unless
`unrated_turns` is "skip" (the export counts them either way, so the summary can say so).
By default only completed and interrupted sessions are exported: a failed session stopped on
a backend error and its last turns are often garbage. A reviewer's rewrite of a turn
replaces the turn as the target when `use_rewrites` is on; the history around it stays as said.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from practicum.records import Turn
from practicum.scenarios.model import Scenario
from practicum.storage import dataset_queries as q
from practicum.storage.candidates import candidates_for_sessions, current_candidate_scores
from practicum.storage.store import Store


DEFAULT_STATUSES = ("completed", "interrupted")


class ExportFilters(BaseModel):
    """What to export: the trained role and every filter; stored in the manifest as given."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["teacher", "student"] = Field("teacher", description="the role being trained")
    sources: list[str] = Field(default_factory=list, description="session sources; empty means all")
    run_ids: list[int] = Field(default_factory=list, description="generation runs the sessions belong to; empty means any")
    statuses: list[str] = Field(default_factory=list,
                                description="session statuses; empty means completed and interrupted (not failed)")
    subject: str | None = None
    grade: str | None = None
    since: str | None = Field(None, description="sessions started at or after this ISO date")
    until: str | None = Field(None, description="sessions started before this ISO date")
    rater: str | None = Field(None, description="only this rater's scores count; unrated-by-them sessions drop")
    dimension: str | None = Field(None, description="only this rubric dimension's scores count")
    min_session_rating: float | None = Field(None, description="sessions need a session score at least this")
    min_turn_rating: float | None = Field(None, description="turns scored below this are not learned")
    unrated_turns: Literal["learn", "skip"] = Field(
        "learn", description="with min_turn_rating: learn turns nobody scored, or skip them")
    min_metrics: dict[str, float] = Field(default_factory=dict)
    max_metrics: dict[str, float] = Field(default_factory=dict)
    use_rewrites: bool = Field(True, description="train on a reviewer's rewrite instead of the original turn")


@dataclass
class Alternative:
    """A text that could be said at one turn: the original, a candidate or a rewrite, with its score."""

    key: str  # "turn" or "candidate:<id>"
    kind: str  # "turn" | "candidate" | "rewrite"
    text: str
    score: float | None


@dataclass
class SessionData:
    """A kept session with everything exports need: scenario, turns, scores and alternatives."""

    session_id: int
    source: str
    scenario: Scenario
    turns: list[Turn]
    session_score: float | None = None
    turn_scores: dict[int, float] = field(default_factory=dict)
    alternatives: dict[int, list[Alternative]] = field(default_factory=dict)  # turn idx -> candidates, rewrites

    def target(self, turn: Turn, filters: ExportFilters) -> tuple[Alternative, bool]:
        """The text to train on at `turn` (latest rewrite or the turn) and whether it is learned."""
        chosen = Alternative("turn", "turn", turn.text, self.turn_scores.get(turn.idx))
        if filters.use_rewrites:
            rewrites = [a for a in self.alternatives.get(turn.idx, []) if a.kind == "rewrite"]
            if rewrites:
                chosen = rewrites[-1]
        if filters.min_turn_rating is None:
            return chosen, True
        if chosen.score is None:
            return chosen, filters.unrated_turns == "learn"
        return chosen, chosen.score >= filters.min_turn_rating


@dataclass
class Selection:
    """The kept sessions and, for the summary, why the others were dropped."""

    sessions: list[SessionData]
    dropped: Counter = field(default_factory=Counter)


def select_sessions(store: Store, filters: ExportFilters) -> Selection:
    """Apply the session-level filters and load what the kept sessions need."""
    rows = q.select_sessions(
        store, sources=filters.sources, subject=filters.subject, grade=filters.grade, since=filters.since,
        until=filters.until, statuses=filters.statuses or DEFAULT_STATUSES, run_ids=filters.run_ids,
    )
    ids = [r["id"] for r in rows]
    dropped: Counter = Counter()
    session_scores, turn_scores = q.current_scores(store, ids, rater=filters.rater, dimension=filters.dimension)
    metric_names = list(filters.min_metrics) + list(filters.max_metrics)
    metrics = q.metric_values(store, ids, metric_names) if metric_names else {}
    rated_by = q.sessions_rated_by(store, ids, filters.rater) if filters.rater else None
    kept = []
    for row in rows:
        reason = _drop_reason(row["id"], filters, session_scores, metrics, rated_by)
        if reason:
            dropped[reason] += 1
        else:
            kept.append(row)
    kept_ids = [r["id"] for r in kept]
    turns = q.turns_by_session(store, kept_ids)
    candidates = candidates_for_sessions(store, kept_ids)
    candidate_scores = current_candidate_scores(store, kept_ids, rater=filters.rater, dimension=filters.dimension)
    scores_by_session: dict[int, dict[int, float]] = {}
    for (s_id, idx), score in turn_scores.items():
        scores_by_session.setdefault(s_id, {})[idx] = score
    scenarios: dict[str, Scenario] = {}
    sessions = []
    for row in kept:
        sid = row["id"]
        if not turns.get(sid):
            dropped["no turns"] += 1
            continue
        if row["scenario_id"] not in scenarios:
            scenarios[row["scenario_id"]] = store.get_scenario(row["scenario_id"])
        alternatives: dict[int, list[Alternative]] = {}
        for c in candidates.get(sid, []):
            alternatives.setdefault(c["turn_idx"], []).append(
                Alternative(f"candidate:{c['id']}", c["kind"], c["text"], candidate_scores.get(c["id"]))
            )
        sessions.append(SessionData(
            session_id=sid, source=row["source"], scenario=scenarios[row["scenario_id"]],
            turns=[_turn(t) for t in turns[sid]], session_score=session_scores.get(sid),
            turn_scores=scores_by_session.get(sid, {}),
            alternatives=alternatives,
        ))
    return Selection(sessions, dropped)


def _drop_reason(sid: int, filters: ExportFilters, session_scores: dict, metrics: dict, rated_by) -> str | None:
    if rated_by is not None and sid not in rated_by:
        return f"not rated by {filters.rater}"
    if filters.min_session_rating is not None:
        score = session_scores.get(sid)
        if score is None:
            return "no session rating"
        if score < filters.min_session_rating:
            return f"session rating below {filters.min_session_rating:g}"
    values = metrics.get(sid, {})
    for name, low in filters.min_metrics.items():
        if name not in values:
            return f"no {name} metric"
        if values[name] < low:
            return f"{name} below {low:g}"
    for name, high in filters.max_metrics.items():
        if name not in values:
            return f"no {name} metric"
        if values[name] > high:
            return f"{name} above {high:g}"
    return None


def _turn(row: dict) -> Turn:
    return Turn(
        idx=row["idx"], role=row["role"], text=row["text"], move=row["move"], move_source=row["move_source"],
        prompt_tokens=row["prompt_tokens"] or 0, completion_tokens=row["completion_tokens"] or 0,
        latency=(row["latency_ms"] or 0) / 1000, model=row["model"] or "",
    )
