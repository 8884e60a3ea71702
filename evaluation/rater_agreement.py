"""Inter-rater agreement on human ratings: Cohen's kappa, Krippendorff's alpha, and where raters differ.

Pure functions over plain values, so the TUI, the CLI and evaluation reports compute the same
numbers. Two raters get Cohen's kappa; three or more get Krippendorff's alpha with the ordinal
distance (rubric scores are ordered categories, not measurements), which also tolerates raters
who skipped some units.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Iterable, Sequence

LEVELS = ("nominal", "ordinal", "interval")


def cohen_kappa(a: Sequence, b: Sequence, labels: Sequence | None = None, weights: str | None = None) -> float | None:
    """Cohen's kappa of two raters' paired labels; the one implementation every report and screen uses.

    `labels` is the ordered scale (a rubric's low..high, or a judge's classes); values outside it are an
    error. By default it is the sorted set of observed values. `weights` None is nominal kappa; 'linear'
    or 'quadratic' weigh a disagreement by its distance in scale positions. Returns None when kappa is
    undefined: no pairs, or chance agreement already perfect (both raters used one label throughout).
    """
    if len(a) != len(b):
        raise ValueError(f"cohen_kappa needs two sequences of the same length, got {len(a)} and {len(b)}")
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"unknown kappa weights '{weights}' (use None, 'linear' or 'quadratic')")
    n = len(a)
    if n == 0:
        return None
    categories = list(labels) if labels is not None else sorted(set(a) | set(b), key=_order_key)
    index = {c: i for i, c in enumerate(categories)}
    unknown = [v for v in set(a) | set(b) if v not in index]
    if unknown:
        raise ValueError(f"cohen_kappa: values {sorted(unknown, key=_order_key)} are not on the scale {categories}")
    k = len(categories)
    span = max(k - 1, 1)
    power = {None: 0, "linear": 1, "quadratic": 2}[weights]

    def weight(i: int, j: int) -> float:
        if power == 0:
            return 0.0 if i == j else 1.0
        return (abs(i - j) / span) ** power

    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b):
        observed[index[x]][index[y]] += 1 / n
    row = [sum(observed[i]) for i in range(k)]
    col = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    d_observed = sum(weight(i, j) * observed[i][j] for i in range(k) for j in range(k))
    d_expected = sum(weight(i, j) * row[i] * col[j] for i in range(k) for j in range(k))
    if d_expected == 0:
        return None
    return 1.0 - d_observed / d_expected


def _order_key(value):
    """Numbers sort numerically and before text, so a mixed or numeric scale has a stable order."""
    return (0, float(value), "") if isinstance(value, (int, float)) else (1, 0.0, str(value))


def krippendorff_alpha(units: Iterable[Sequence], level: str = "ordinal") -> float | None:
    """Krippendorff's alpha over units, each the values its raters gave (missing ratings left out).

    Units with fewer than two values carry no pairs and are skipped. Returns None when undefined
    (fewer than two pairable values, or every value identical).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level '{level}' (use {', '.join(LEVELS)})")
    coincidence: dict[tuple, float] = defaultdict(float)
    for values in units:
        values = [v for v in values if v is not None]
        m = len(values)
        if m < 2:
            continue
        for i, j in ((i, j) for i in range(m) for j in range(m) if i != j):
            coincidence[(values[i], values[j])] += 1.0 / (m - 1)
    totals: dict = defaultdict(float)
    for (c, _), count in coincidence.items():
        totals[c] += count
    n = sum(totals.values())
    if n < 2 or len(totals) < 2:
        return None
    delta = _distance(level, totals)
    d_observed = sum(count * delta(c, k) for (c, k), count in coincidence.items()) / n
    d_expected = sum(totals[c] * totals[k] * delta(c, k) for c in totals for k in totals) / (n * (n - 1))
    return 1.0 - d_observed / d_expected


def _distance(level: str, totals: dict):
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if level == "interval":
        return lambda c, k: (float(c) - float(k)) ** 2
    values = sorted(totals)
    rank = {v: i for i, v in enumerate(values)}

    def ordinal(c, k):
        lo, hi = sorted((rank[c], rank[k]))
        between = sum(totals[values[g]] for g in range(lo, hi + 1))
        return (between - (totals[c] + totals[k]) / 2) ** 2

    return ordinal


@dataclass
class DimensionAgreement:
    """Agreement on one rubric dimension across the units that 2+ raters scored."""

    dimension: str
    raters: list[str]
    units: int  # units scored by at least two raters
    statistic: str  # "cohen_kappa" or "krippendorff_alpha_ordinal"
    value: float | None
    exact_agreement: float | None  # share of rater pairs, within a unit, that gave the same score


@dataclass
class Disagreement:
    """One unit (a turn or a whole session) on one dimension, with every rater's current score."""

    session_id: int
    turn_idx: int | None
    dimension: str
    scores: dict[str, float]

    @property
    def spread(self) -> float:
        """Highest minus lowest score."""
        return max(self.scores.values()) - min(self.scores.values())


def _units(rows: Iterable[dict]) -> dict[str, dict[tuple, dict[str, float]]]:
    """Group score rows by dimension, then by (session_id, turn_idx), then rater -> score."""
    grouped: dict[str, dict[tuple, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        grouped[row["dimension"]][(row["session_id"], row["turn_idx"])][row["rater"]] = row["score"]
    return grouped


def agreement_by_dimension(rows: Iterable[dict], scales: dict[str, Sequence] | None = None) -> list[DimensionAgreement]:
    """Per-dimension agreement from current score rows (session_id, turn_idx, rater, dimension, score).

    `scales` maps a dimension to its ordered scale (`Rubric.scales()`); kappa then counts chance over
    the rubric's levels, not only those the raters happened to use.
    """
    scales = scales or {}
    results = []
    for dimension, units in sorted(_units(rows).items()):
        shared = {key: scores for key, scores in units.items() if len(scores) >= 2}
        raters = sorted({r for scores in shared.values() for r in scores})
        pairs = [(x, y) for scores in shared.values() for x, y in combinations(scores.values(), 2)]
        exact = sum(x == y for x, y in pairs) / len(pairs) if pairs else None
        if len(raters) == 2:
            first, second = raters
            both = [s for s in shared.values() if first in s and second in s]
            a, b = [s[first] for s in both], [s[second] for s in both]
            scale = scales.get(dimension)
            if scale is not None and not set(a) | set(b) <= set(scale):
                scale = None  # scores off the rubric's scale (an edited rubric): fall back to the observed levels
            value = cohen_kappa(a, b, labels=scale)
            statistic = "cohen_kappa"
        else:
            value = krippendorff_alpha([list(s.values()) for s in shared.values()], level="ordinal")
            statistic = "krippendorff_alpha_ordinal"
        results.append(DimensionAgreement(dimension, raters, len(shared), statistic, value, exact))
    return results


def top_disagreements(rows: Iterable[dict], limit: int = 20) -> list[Disagreement]:
    """The units where raters differ most (largest score spread first), for adjudication."""
    found = [
        Disagreement(session_id, turn_idx, dimension, dict(sorted(scores.items())))
        for dimension, units in _units(rows).items()
        for (session_id, turn_idx), scores in units.items()
        if len(scores) >= 2
    ]
    found = [d for d in found if d.spread > 0]
    found.sort(key=lambda d: (-d.spread, d.session_id, -1 if d.turn_idx is None else d.turn_idx, d.dimension))
    return found[:limit]

