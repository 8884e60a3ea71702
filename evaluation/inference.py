"""Differences between two samples whose confidence interval and p-value agree by construction.

A percentile-bootstrap interval and a permutation p-value are two different procedures; on
discrete metrics (a 0/1 `telling` per session, a share over four turns) they disagree, and
`compare` once printed a 95% CI of [-0.163, -0.090] beside p = 1.000. Here both come from one
permutation test, inverted: the interval is every shift delta that the test, run on the data
shifted by delta, does not reject at the 5% level, and the p-value is the largest level at which
that interval family still covers 0. So "the CI excludes 0" and "p < 0.05" are the same statement.

Both tests use the mean difference. Paired data get the sign-flip test (exact over all 2^n sign
vectors for n <= 16, else Monte-Carlo); independent samples get the label-permutation test
(Monte-Carlo). From 2,000 values per side a permutation distribution of a mean is normal, and
10,000 permutations of 10,000 values per metric take a minute: there the test is the z-test
(paired) or Welch's z-test, whose interval is its inversion too. Under a shift delta each resample's statistic is linear in delta, so the set of
delta where a resample is at least as extreme as the data is an interval found in closed form,
and the p-value as a function of delta is a count of covering intervals: exact for the given
resamples, no grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

N_PERMUTATIONS = 10000
EXACT_PAIRED_MAX_N = 16
NORMAL_MIN_N = 2000  # from this many values per side, both come from the normal approximation instead
_CHUNK_CELLS = 4_000_000  # resamples x values held in memory at once
_TOLERANCE = 1e-12


@dataclass
class DifferenceTest:
    """B minus A: the mean difference, its 95% interval and a p-value that agree by construction."""

    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    method: str  # "sign-flip (exact)", "sign-flip (Monte-Carlo)", "permutation (Monte-Carlo)"
    resamples: int


def paired_difference(differences: list[float], *, level: float = 0.95, n_permutations: int = N_PERMUTATIONS,
                      seed: int = 0) -> DifferenceTest:
    """Test mean(differences) = 0 by sign flips, with the interval of shifts the test does not reject."""
    import numpy as np

    d = np.asarray(differences, dtype=float)
    n = len(d)
    if n == 0:
        return DifferenceTest(math.nan, math.nan, math.nan, math.nan, "sign-flip", 0)
    if n >= NORMAL_MIN_N:
        return _normal(float(d.mean()), float(d.std(ddof=1)) / math.sqrt(n), level, "paired z (large sample)")
    exact = n <= EXACT_PAIRED_MAX_N
    if exact:
        signs = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1) * 2.0 - 1.0
    else:
        signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_permutations, n))
    slope_free = (signs * d).mean(axis=1)  # each resample's mean at delta = 0
    slopes = signs.mean(axis=1)  # how that mean moves with delta
    lo, hi = _hit_intervals(float(d.mean()), slope_free, slopes)
    extra = 0 if exact else 1  # Monte-Carlo: the observed arrangement counts once more
    method = "sign-flip (exact)" if exact else "sign-flip (Monte-Carlo)"
    return _invert(float(d.mean()), lo, hi, extra, level, method)


def unpaired_difference(a: list[float], b: list[float], *, level: float = 0.95,
                        n_permutations: int = N_PERMUTATIONS, seed: int = 0) -> DifferenceTest:
    """Test mean(b) - mean(a) = 0 by permuting group labels, with the interval of shifts it does not reject."""
    import numpy as np

    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n_a, n_b = len(xa), len(xb)
    if n_a == 0 or n_b == 0:
        return DifferenceTest(math.nan, math.nan, math.nan, math.nan, "permutation", 0)
    if min(n_a, n_b) >= NORMAL_MIN_N:
        se = math.sqrt(float(xa.var(ddof=1)) / n_a + float(xb.var(ddof=1)) / n_b)
        return _normal(float(xb.mean() - xa.mean()), se, level, "Welch z (large sample)")
    pooled = np.concatenate([xa, xb])
    from_b = np.concatenate([np.zeros(n_a), np.ones(n_b)])
    total = pooled.sum()
    rng = np.random.default_rng(seed)
    intercepts, slopes = [], []
    rows_per_chunk = max(1, _CHUNK_CELLS // len(pooled))
    for start in range(0, n_permutations, rows_per_chunk):
        rows = min(rows_per_chunk, n_permutations - start)
        new_b = rng.permuted(np.tile(np.arange(len(pooled)), (rows, 1)), axis=1)[:, :n_b]
        sum_b = pooled[new_b].sum(axis=1)
        intercepts.append(sum_b / n_b - (total - sum_b) / n_a)
        k = from_b[new_b].sum(axis=1)  # original-B values that landed in the new B
        slopes.append(k / n_b - (n_b - k) / n_a)
    observed = float(xb.mean() - xa.mean())
    lo, hi = _hit_intervals(observed, np.concatenate(intercepts), np.concatenate(slopes))
    return _invert(observed, lo, hi, 1, level, "permutation (Monte-Carlo)")


def _normal(difference: float, se: float, level: float, method: str) -> DifferenceTest:
    """The large-sample test and its interval: difference +/- z * se, p from the same normal (they agree)."""
    from statistics import NormalDist

    if se == 0:
        p = 1.0 if difference == 0 else 0.0
        return DifferenceTest(difference, difference, difference, p, method, 0)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = 2 * (1 - NormalDist().cdf(abs(difference) / se))
    return DifferenceTest(difference, difference - z * se, difference + z * se, p, method, 0)


def _hit_intervals(observed: float, intercepts, slopes):
    """Per resample, the shifts delta where |intercept - slope*delta| >= |observed - delta| (closed interval).

    Squaring gives (1 - slope^2) delta^2 - 2 (observed - intercept*slope) delta + observed^2 - intercept^2 <= 0.
    |slope| <= 1 always; |slope| = 1 only for the identity or the mirror arrangement, which hit everywhere.
    """
    import numpy as np

    a = 1.0 - slopes ** 2
    b = -2.0 * (observed - intercepts * slopes)
    c = observed ** 2 - intercepts ** 2
    scale = max(1.0, abs(observed), float(np.max(np.abs(intercepts))) if len(intercepts) else 1.0)
    lo = np.full(len(a), np.inf)
    hi = np.full(len(a), -np.inf)  # empty by default
    flat = a <= _TOLERANCE
    everywhere = flat & (np.abs(b) <= _TOLERANCE * scale) & (c <= _TOLERANCE * scale ** 2)
    lo[everywhere], hi[everywhere] = -np.inf, np.inf
    quad = ~flat
    disc = b[quad] ** 2 - 4 * a[quad] * c[quad]
    disc = np.where(disc >= -_TOLERANCE * scale ** 2, np.maximum(disc, 0.0), np.nan)
    root = np.sqrt(disc)
    with np.errstate(invalid="ignore"):
        q_lo = (-b[quad] - root) / (2 * a[quad])
        q_hi = (-b[quad] + root) / (2 * a[quad])
    ok = ~np.isnan(root)
    pad = _TOLERANCE * scale * 1e3  # ties count as hits, as `>= observed - eps` does
    lo[np.flatnonzero(quad)[ok]] = q_lo[ok] - pad
    hi[np.flatnonzero(quad)[ok]] = q_hi[ok] + pad
    return lo, hi


def _invert(observed: float, lo, hi, extra: int, level: float, method: str) -> DifferenceTest:
    """Turn per-resample hit intervals into the test-inversion interval and its matching p-value."""
    import numpy as np

    keep = lo <= hi
    lo_sorted, hi_sorted = np.sort(lo[keep]), np.sort(hi[keep])
    total = len(lo) + extra

    def p_at(points):
        covering = np.searchsorted(lo_sorted, points, side="right") - np.searchsorted(hi_sorted, points, side="left")
        return (covering + extra) / total

    starts = np.unique(np.concatenate([lo_sorted, [0.0]]))
    p_starts = p_at(starts)
    # p(delta) only rises where a hit interval starts, so the sup over a half-line is taken at a start or at 0.
    p_value = float(min(p_starts[starts <= 0].max(), p_starts[starts >= 0].max()))
    alpha = 1.0 - level
    accepted = starts[p_starts >= alpha - 1e-15]
    ends = np.unique(hi_sorted)
    p_ends = p_at(ends)
    accepted_ends = ends[p_ends >= alpha - 1e-15]
    # S = {delta : p(delta) >= alpha} is a union of closed intervals that start at hit-interval starts and end
    # at hit-interval ends, so its hull is [min accepted start, max accepted end]. The hull covers 0 exactly
    # when both half-lines hold an accepted shift, which is what `p_value >= alpha` says.
    ci_low = float(accepted.min())
    ci_high = float(accepted_ends.max())
    return DifferenceTest(observed, ci_low, ci_high, p_value, method, len(lo))
