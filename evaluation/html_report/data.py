"""Everything one HTML report shows, gathered from the Store before any HTML is written.

The session metrics come from `evaluate_sessions` (and the comparison from `compare`), so the
report carries the very numbers `practicum eval` and `practicum compare` print. Judge and human
rating summaries are computed here from the current ratings of the selected sessions; agreement
between human raters uses `rater_agreement.agreement_by_dimension`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from practicum.storage import report_queries
from practicum.storage.rating_queries import COMMENT
from practicum.evaluation.judge import DIMENSIONS as JUDGE_DIMENSIONS, ERROR_DIMENSION, judge_agreement, to_judge_scale
from practicum.evaluation.judge_ratings import RUBRIC_NAMES, comparison_name, rating_scale
from practicum.evaluation.rater_agreement import DimensionAgreement, agreement_by_dimension
from practicum.evaluation.reports import Comparison, EvaluationReport, N_BOOTSTRAP, compare, evaluate_sessions

JUDGE_PREFIX = "judge:"
DEFAULT_MAX_TRANSCRIPTS = 1000


@dataclass
class ScoreSummary:
    """Scores on one dimension by one rater group: how many, their mean with a bootstrap 95% CI, and counts."""

    rater: str  # a judge's rater name, or "human" for every human rater together
    dimension: str
    level: str  # "turn" or "session"
    n: int
    mean: float
    ci_low: float
    ci_high: float
    counts: dict[float, int]  # score -> how many
    raters: list[str] = field(default_factory=list)
    scale: tuple[int, int] = (0, 2)  # the dimension's low..high (the rubric's, else the judge's 0-2)
    poles: tuple[int, int, int] = (0, 0, 0)  # scores binned to bad pole / partly / good pole by thirds of the scale


@dataclass
class TranscriptView:
    """One session's transcript with what was said about each turn."""

    session: dict
    turns: list[dict]  # each turn row gains "judge" [(rater, dimension, score, label)] and "human" scores
    session_scores: list[dict]  # session-level human scores and comments


@dataclass
class ComparisonView:
    """A `--compare A B` comparison and the selections it came from."""

    label_a: str
    label_b: str
    result: Comparison


@dataclass
class ReportData:
    """What the HTML report shows."""

    selection: str
    sessions: list[dict]
    counts: dict[str, Counter]
    n_turns: int
    evaluation: EvaluationReport
    judge: list[ScoreSummary]
    judge_errors: dict[str, int]
    judge_agreement: list[dict]
    human: list[ScoreSummary]
    agreement: list[DimensionAgreement]
    transcripts: list[TranscriptView]
    max_transcripts: int
    comparison: ComparisonView | None = None
    notes: list[str] = field(default_factory=list)  # about the metrics (e.g. no move classifier here)
    judge_notes: list[str] = field(default_factory=list)

    @property
    def left_out(self) -> int:
        """Sessions in the selection whose full transcript is not in the report."""
        return len(self.sessions) - len(self.transcripts)


def discrete_bootstrap_ci(scores: list[float], n_boot: int = N_BOOTSTRAP, seed: int = 0, level: float = 0.95):
    """Percentile bootstrap CI of the mean of scores on a small scale, resampling through label counts.

    Drawing n scores with replacement is a multinomial draw of how many of each score, so the
    bootstrap distribution is the same as resampling the list, at a cost that does not grow with n
    (50,000 judged turns would need 100 million draws the direct way).
    """
    import numpy as np

    if not scores:
        return math.nan, math.nan
    if len(scores) == 1:
        return float(scores[0]), float(scores[0])
    counts = Counter(scores)
    levels = np.array(sorted(counts), dtype=float)
    shares = np.array([counts[v] for v in sorted(counts)], dtype=float) / len(scores)
    draws = np.random.default_rng(seed).multinomial(len(scores), shares, size=n_boot)
    means = draws @ levels / len(scores)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


@lru_cache(maxsize=4096)
def _pole(score: float, dimension: str, rubric) -> int:
    low, high = rating_scale(dimension, rubric)
    return int(to_judge_scale([score], low, high)[0]) if low <= score <= high else (2 if score > high else 0)


def pole(score: float, dimension: str, rubric=None) -> int:
    """A stored score as 0 (bad pole), 1 (partly) or 2 (good pole), by thirds of its dimension's scale."""
    try:
        return _pole(float(score), dimension, rubric)
    except TypeError:  # an unhashable rubric: no cache
        return _pole.__wrapped__(float(score), dimension, rubric)


def _summaries(rows: list[dict], group_of, rubric=None) -> list[ScoreSummary]:
    grouped: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for row in rows:
        level = "session" if row["turn_idx"] is None else "turn"
        grouped[(group_of(row), row["dimension"], level)].append(row)
    out = []
    for (rater, dimension, level), items in sorted(grouped.items()):
        scores = [float(r["score"]) for r in items]
        low, high = discrete_bootstrap_ci(scores)
        binned = Counter(pole(v, dimension, rubric) for v in scores)
        out.append(ScoreSummary(rater, dimension, level, len(scores), sum(scores) / len(scores), low, high,
                                dict(sorted(Counter(scores).items())), sorted({r["rater"] for r in items}),
                                rating_scale(dimension, rubric), (binned[0], binned[1], binned[2])))
    return out


# The judge's dimensions in its own order, under the names they are stored by (rubric names where the rubric has one).
JUDGE_ORDER = [RUBRIC_NAMES.get(name, name) for name in JUDGE_DIMENSIONS]


@lru_cache(maxsize=256)
def judge_question(dimension: str) -> str:
    """What the judge was asked for a stored dimension ('' for one it does not know)."""
    return JUDGE_DIMENSIONS.get(comparison_name(dimension), ("",))[0]


def _judge_order(summary: ScoreSummary) -> tuple:
    known = JUDGE_ORDER
    return summary.rater, known.index(summary.dimension) if summary.dimension in known else len(known), summary.dimension


def _transcripts(store, sessions: list[dict], ratings: list[dict]) -> list[TranscriptView]:
    by_turn: dict[tuple[int, int | None], list[dict]] = defaultdict(list)
    for row in ratings:
        by_turn[(row["session_id"], row["turn_idx"])].append(row)
    turns = report_queries.turn_rows(store, [s["id"] for s in sessions])
    views = []
    for session in sessions:
        rows = []
        for turn in turns[session["id"]]:
            turn = dict(turn)
            said = by_turn.get((session["id"], turn["idx"]), [])
            turn["judge"] = [r for r in said if r["rater"].startswith(JUDGE_PREFIX)]
            turn["human"] = [r for r in said if not r["rater"].startswith(JUDGE_PREFIX)]
            rows.append(turn)
        session_level = [r for r in by_turn.get((session["id"], None), []) if not r["rater"].startswith(JUDGE_PREFIX)]
        views.append(TranscriptView(session, rows, session_level))
    return views


def collect_report(store, session_ids: list[int], *, selection: str = "", classifier="auto",
                   recompute: bool = False, progress=None, max_transcripts: int = DEFAULT_MAX_TRANSCRIPTS,
                   compare_with: tuple[str, list[int], str, list[int]] | None = None,
                   paired: str = "auto", rubric=None) -> ReportData:
    """Gather the report's numbers for these sessions (and a comparison when `compare_with` names A and B)."""
    from practicum.evaluation.rubric import DEFAULT_RUBRIC

    evaluation = evaluate_sessions(store, session_ids, classifier=classifier, recompute=recompute,
                                   progress=progress)
    sessions = report_queries.session_rows(store, session_ids)
    counts = {key: Counter(s[key] or "(none)" for s in sessions) for key in ("source", "status", "subject")}
    ratings = report_queries.current_ratings(store, session_ids)
    scored = [r for r in ratings if r["score"] is not None and r["dimension"] not in (COMMENT, ERROR_DIMENSION)]
    judged = [r for r in scored if r["rater"].startswith(JUDGE_PREFIX)]
    human = [r for r in scored if not r["rater"].startswith(JUDGE_PREFIX)]
    judge_errors = Counter(r["rater"] for r in ratings if r["dimension"] == ERROR_DIMENSION)
    raters_of: dict[int, set[str]] = defaultdict(set)
    for row in human:
        raters_of[row["session_id"]].add(row["rater"])
    judge_scores = Counter(row["session_id"] for row in judged)
    for session in sessions:
        session["human_raters"] = len(raters_of.get(session["id"], ()))
        session["judge_scores"] = judge_scores[session["id"]]
    judge_vs_human, judge_notes = [], []
    if human:
        for rater in sorted({r["rater"] for r in judged}):
            try:
                judge_vs_human += [row | {"judge": rater} for row in judge_agreement(store, rater, session_ids, rubric)]
            except ValueError as exc:  # human scores off the scale judge_agreement expects: say so, keep the rest
                judge_notes.append(f"agreement of {rater} with human raters left out: {exc}")
    comparison = None
    if compare_with is not None:
        label_a, ids_a, label_b, ids_b = compare_with
        comparison = ComparisonView(label_a, label_b, compare(store, ids_a, ids_b, classifier=classifier,
                                                              paired=paired, recompute=recompute,
                                                              progress=progress))
    shown = sessions[:max_transcripts]
    return ReportData(
        selection=selection, sessions=sessions, counts=counts, n_turns=sum(s["n_turns"] for s in sessions),
        evaluation=evaluation, judge=sorted(_summaries(judged, lambda r: r["rater"], rubric), key=_judge_order),
        judge_errors=dict(judge_errors), judge_agreement=judge_vs_human,
        human=_summaries(human, lambda r: "human", rubric),
        agreement=agreement_by_dimension(human, (rubric or DEFAULT_RUBRIC).scales()),
        transcripts=_transcripts(store, shown, ratings), max_transcripts=max_transcripts, comparison=comparison,
        notes=list(evaluation.notes), judge_notes=judge_notes,
    )
