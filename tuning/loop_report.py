"""The tuning loop's verdict: before/after differences with CIs, judge dimensions included, and noise called out.

Metrics come from `reports.compare` (paired by scenario and seed). Judge scores are ratings,
not metrics, so they are compared here the same way as the comparison they join: each session's
mean judge score on a dimension, differences within (scenario, seed) pairs (or independent samples
when the comparison is unpaired), and the permutation tests of
`evaluation/inference.py`, whose 95% CI is the inverted test: it covers zero exactly when p is
0.05 or more, and such a difference is reported as within noise, whatever its sign.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from practicum.evaluation.inference import paired_difference, unpaired_difference
from practicum.evaluation.judge_ratings import RUBRIC_NAMES
from practicum.evaluation.reports import Comparison, MetricDifference, bootstrap_ci, pair_sessions

# (metric, higher is better): the loop's headline rows, in this order.
# Judge ratings are stored under the review rubric's name where it has the question (judge_ratings.RUBRIC_NAMES).
_JUDGED = ("providing_guidance", "revealing_of_the_answer", "mistake_identification", "actionability")
JUDGE_DIMENSIONS = tuple(RUBRIC_NAMES.get(name, name) for name in _JUDGED)
HEADLINE = (("guiding_rate", True), ("telling_rate", False), (f"judge.{JUDGE_DIMENSIONS[0]}", True),
            (f"judge.{JUDGE_DIMENSIONS[1]}", True), ("success", True), ("question_rate", True))


def judge_session_means(store, session_ids: list[int], rater: str, dimension: str) -> dict[int, float]:
    """Each session's mean score from `rater` on `dimension` over its judged turns (unjudged sessions left out)."""
    from practicum.storage.rating_queries import current_ratings

    means = {}
    for session_id in session_ids:
        scores = [row["score"] for (turn, dim), row in current_ratings(store, session_id, rater).items()
                  if dim == dimension and turn is not None and row["score"] is not None]
        if scores:
            means[session_id] = sum(scores) / len(scores)
    return means


def judge_difference(store, ids_a: list[int], ids_b: list[int], rater: str, dimension: str,
                     seed: int = 0, paired: bool = True) -> MetricDifference | None:
    """B - A on a judge dimension: paired by (scenario, seed), or as independent samples when `paired` is False.

    None when no session (pair) has judge scores on both sides.
    """
    a = judge_session_means(store, ids_a, rater, dimension)
    b = judge_session_means(store, ids_b, rater, dimension)
    values_a, values_b = list(a.values()), list(b.values())
    if not values_a or not values_b:
        return None
    if paired:
        pairs, _ = pair_sessions(store, ids_a, ids_b)
        diffs = [b[j] - a[i] for i, j in pairs if i in a and j in b]
        if not diffs:
            return None
        test, n_pairs = paired_difference(diffs, seed=seed), len(diffs)  # interval and p from one procedure
    else:
        test, n_pairs = unpaired_difference(values_a, values_b, seed=seed), 0
    return MetricDifference(
        name=f"judge.{dimension}", n_a=len(values_a), n_b=len(values_b), mean_a=sum(values_a) / len(values_a),
        mean_b=sum(values_b) / len(values_b), ci_a=bootstrap_ci(values_a, seed=seed),
        ci_b=bootstrap_ci(values_b, seed=seed), difference=test.difference, ci_low=test.ci_low,
        ci_high=test.ci_high, p_value=test.p_value, paired=paired, n_pairs=n_pairs, method=test.method,
    )


def add_judge_rows(comparison: Comparison, store, ids_a: list[int], ids_b: list[int], rater: str) -> int:
    """Append the judge dimensions to a comparison (so its table, JSON and chart show them); return how many."""
    added = 0
    for dimension in JUDGE_DIMENSIONS:
        row = judge_difference(store, ids_a, ids_b, rater, dimension, paired=comparison.paired)
        if row is not None:
            comparison.metrics.append(row)
            added += 1
    return added


def verdict(row: MetricDifference, higher_is_better: bool = True, alpha: float = 0.05) -> str:
    """'better', 'worse' or 'within noise': the CI covers 0, or the permutation test's p is not below `alpha`.

    The interval is the inverted test, so the two conditions agree by construction; both are checked
    so a row built elsewhere (with another interval) cannot be called better on its CI alone.
    """
    if any(math.isnan(x) for x in (row.ci_low, row.ci_high, row.p_value)) or row.ci_low <= 0 <= row.ci_high:
        return "within noise"
    if row.p_value >= alpha:
        return "within noise"
    up = row.ci_low > 0
    return "better" if up == higher_is_better else "worse"


def headline_rows(comparison: Comparison) -> list[tuple[MetricDifference, str]]:
    """The headline metrics present in the comparison, each with its verdict."""
    by_name = {row.name: row for row in comparison.metrics}
    return [(by_name[name], verdict(by_name[name], better)) for name, better in HEADLINE if name in by_name]


def noise_summary(comparison: Comparison, n_pairs: int) -> str:
    """One paragraph: is the effect real, and what would make the measurement sharper."""
    rows = headline_rows(comparison)
    moved = [f"{row.name} {v}" for row, v in rows if v != "within noise"]
    if moved:
        return ("Outside noise (the 95% CI of the paired difference excludes 0 and p < 0.05): "
                + ", ".join(moved) + ".")
    widths = [row.ci_high - row.ci_low for row, _ in rows if not math.isnan(row.ci_high - row.ci_low)]
    width = f" (CI widths up to {max(widths):.2f})" if widths else ""
    return (f"Every headline difference is within noise{width} with {n_pairs} paired sessions. CIs shrink about "
            "as 1/sqrt(pairs): 4x the held-out scenarios or seeds halves them; a larger effect needs more "
            "training (steps, data, demos) or a base model that can follow its prompt better.")


def write_report(prefix: str | Path, data: dict, comparison: Comparison, label_a: str = "before",
                 label_b: str = "after") -> tuple[Path, Path]:
    """Write PREFIX.json (everything) and PREFIX.png (the comparison chart); return both paths."""
    from practicum.evaluation.charts import comparison_chart

    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    json_path = prefix.with_name(prefix.name + ".json")
    json_path.write_text(json.dumps(data | {"comparison": comparison.to_dict()}, indent=2, default=str) + "\n",
                         encoding="utf-8")
    png_path = comparison_chart(comparison, prefix.with_name(prefix.name + ".png"), label_a=label_a, label_b=label_b)
    return json_path, png_path
