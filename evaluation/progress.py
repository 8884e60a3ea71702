"""A trainee's progress over their practice sessions: each scorecard measure per session, and what they most need.

The trainee is the name on their practice sessions (`sessions.metadata.trainee`, the TUI's rater
name). Values come from the scorecard's definitions (`evaluation/scorecard.py`), so a progress line
and a scorecard line with the same label are the same number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from practicum.storage import practice_queries
from practicum.evaluation.scorecard import BY_NAME, MEASURES, Measure, session_values

SPARK = "▁▂▃▄▅▆▇█"
RECENT = 5  # what a trainee needs is judged on their last few sessions


@dataclass
class SessionPoint:
    """One practice session on the progress axis."""

    session_id: int
    scenario_id: str
    scenario_title: str
    started: str
    parent_session_id: int | None = None
    branch_turn_idx: int | None = None


@dataclass
class TraineeProgress:
    """Per-measure values over a trainee's sessions, oldest first (None where a session has no value)."""

    trainee: str
    sessions: list[SessionPoint]
    series: dict[str, list[float | None]]
    judge_rater: str | None = None
    metrics_version: str = ""
    notes: list[str] = field(default_factory=list)

    def measures(self) -> list[Measure]:
        """The measures with at least one value, in scorecard order."""
        return [m for m in MEASURES if any(v is not None for v in self.series.get(m.name, []))]


def trainee_progress(store, trainee: str, *, classifier=None, rubric=None) -> TraineeProgress:
    """Collect a trainee's finished practice sessions (with a teacher turn) and their measures.

    Missing session metrics are computed first (with `classifier` for the move mix, when given); judge
    figures come from the judge that rated the trainee's sessions most recently.
    """
    from practicum.evaluation.compute import ensure_metrics

    rows = [r for r in practice_queries.practice_sessions(store, trainee) if r["teacher_turns"]]
    points = [SessionPoint(r["id"], r["scenario_id"], r["scenario_title"], r["started"], r["parent_session_id"],
                           r["branch_turn_idx"]) for r in rows]
    ids = [p.session_id for p in points]
    if not ids:
        return TraineeProgress(trainee, [], {}, notes=[f"No finished practice sessions by '{trainee}' yet."])
    version = ensure_metrics(store, ids, classifier)
    rater = practice_queries.latest_judge(store, ids)
    values = session_values(store, ids, metrics_version=version, judge_rater=rater, rubric=rubric)
    series = {m.name: [values[i].get(m.name) for i in ids] for m in MEASURES}
    notes = [] if rater else ["No judge has rated these sessions: judge dimensions are missing."]
    if classifier is None:
        notes.append("No move classifier here: the move mix is missing.")
    return TraineeProgress(trainee, points, {k: v for k, v in series.items() if any(x is not None for x in v)},
                           rater, version, notes)


def sparkline(values: list[float | None], low: float = 0.0, high: float = 1.0) -> str:
    """One block character per value (a space where there is none), scaled from `low` to `high`."""
    out = []
    for value in values:
        if value is None:
            out.append(" ")
            continue
        share = 0.0 if high <= low else (min(high, max(low, value)) - low) / (high - low)
        out.append(SPARK[min(len(SPARK) - 1, int(share * (len(SPARK) - 1) + 0.5))])
    return "".join(out)


def present(values: list[float | None]) -> list[float]:
    """The values that exist, in order."""
    return [v for v in values if v is not None]


@dataclass
class Need:
    """The measure a trainee most needs to work on, and the numbers that say so."""

    measure: Measure
    yours: float
    reference: float | None
    gap: float

    def describe(self) -> str:
        """'Clear next step: 22% of your turns (MathDial teachers 61%)'."""
        ref = f" (MathDial teachers {self.reference:.0%})" if self.reference is not None else ""
        return f"{self.measure.label}: {self.yours:.0%} in your last sessions{ref}"


def weakest(progress: TraineeProgress, reference: dict | None) -> Need | None:
    """The measure furthest on the wrong side of MathDial's teachers over the last sessions (or of perfect, without them).

    Candidates are the judge dimensions and the telling share (what the trainee does), not the outcomes
    (which depend on the simulated student as much).
    """
    ref = {name: item["mean"] for name, item in (reference or {}).get("measures", {}).items()}
    best: Need | None = None
    for measure in progress.measures():
        if measure.higher_is_better is None or measure.group == "outcomes":
            continue
        recent = present(progress.series[measure.name])[-RECENT:]
        if not recent:
            continue
        yours = sum(recent) / len(recent)
        target = ref.get(measure.name, 1.0 if measure.higher_is_better else 0.0)
        gap = (target - yours) if measure.higher_is_better else (yours - target)
        if best is None or gap > best.gap + 1e-9:
            best = Need(measure, yours, ref.get(measure.name), gap)
    return best


def order_by_need(scenarios: list, progress: TraineeProgress, need: Need | None,
                  counts: dict[str, int]) -> tuple[list, str]:
    """(scenarios in the order a trainee most needs them, the rule in words).

    `counts` are the trainee's finished sessions per scenario id. Scenarios not practised yet come first
    (in their usual order); then the practised ones, those where the trainee did worst on the weakest
    measure first, then the least practised.
    """
    worst: dict[str, float] = {}
    if need is not None:
        sign = 1.0 if need.measure.higher_is_better else -1.0
        for point, value in zip(progress.sessions, progress.series.get(need.measure.name, [])):
            if value is not None:
                worst[point.scenario_id] = min(worst.get(point.scenario_id, float("inf")), sign * value)
    fresh = [s for s in scenarios if s.id not in counts]
    practised = sorted((s for s in scenarios if s.id in counts),
                       key=lambda s: (worst.get(s.id, float("inf")), counts[s.id]))
    if need is None:
        rule = ("Sorted by what you need: nothing judged yet, so scenarios you have not practised come first, "
                "then those you practised least.")
    else:
        rule = (f"Sorted by what you need. Weakest: {need.describe()}. Scenarios you have not practised come "
                "first, then those where you did worst on it.")
    return fresh + practised, rule


def measure_label(name: str) -> str:
    """The words a trainee reads for a measure name."""
    return BY_NAME[name].label if name in BY_NAME else name
