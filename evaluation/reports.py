"""Before/after evidence: per-metric means with bootstrap confidence intervals, and two-set comparisons.

`evaluate_sessions` summarises one set of sessions; `compare` sets two against
each other. When the sessions pair one-to-one by (scenario, seed), as a tuner's
before/after runs on the same held-out scenarios do, differences are taken
within pairs: an exact or Monte-Carlo
sign-flip permutation test. Otherwise the sets are compared as independent
samples (label-permutation test). The CI of a difference is the inverted test itself
(`evaluation/inference.py`), so it excludes 0 exactly when p < 0.05; each side's own mean
gets a percentile-bootstrap CI.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from practicum.errors import InputError
from practicum.storage import metrics_queries
from practicum.evaluation.compute import default_classifier, ensure_metrics, metrics_version
from practicum.evaluation.inference import N_PERMUTATIONS, paired_difference, unpaired_difference
from practicum.evaluation.session_metrics import METRIC_HELP

N_BOOTSTRAP = 2000
NORMAL_APPROX_N = 2000


def bootstrap_ci(values: list[float], n_boot: int = N_BOOTSTRAP, seed: int = 0, level: float = 0.95):
    """Percentile bootstrap CI of the mean; (nan, nan) for no values, (v, v) for one.

    Above NORMAL_APPROX_N values the bootstrap distribution of a mean is normal to well within its
    own Monte-Carlo noise, so the interval is mean +/- z * sd / sqrt(n) instead of 2,000 resamples
    of n values (0.4 s per metric at n = 10,000).
    """
    import numpy as np

    if not values:
        return math.nan, math.nan
    data = np.asarray(values, dtype=float)
    if len(data) == 1:
        return float(data[0]), float(data[0])
    if len(data) > NORMAL_APPROX_N:
        from statistics import NormalDist

        z = NormalDist().inv_cdf(0.5 + level / 2)
        half = z * float(data.std(ddof=0)) / math.sqrt(len(data))  # the bootstrap's own spread uses ddof=0
        return float(data.mean() - half), float(data.mean() + half)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(n_boot, len(data)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


def paired_permutation_p(differences: list[float], n_permutations: int = N_PERMUTATIONS, seed: int = 0) -> float:
    """Two-sided sign-flip p-value of mean(differences) = 0 (exact for n <= 16); the one `paired_difference` reports."""
    return paired_difference(differences, n_permutations=n_permutations, seed=seed).p_value


def unpaired_permutation_p(a: list[float], b: list[float], n_permutations: int = N_PERMUTATIONS,
                           seed: int = 0) -> float:
    """Two-sided permutation p-value of mean(b) - mean(a) = 0; the one `unpaired_difference` reports."""
    return unpaired_difference(a, b, n_permutations=n_permutations, seed=seed).p_value


@dataclass
class MetricSummary:
    """One metric over a set of sessions."""

    name: str
    n: int
    mean: float
    ci_low: float
    ci_high: float
    help: str = ""


@dataclass
class EvaluationReport:
    """Per-metric summaries of a set of sessions at one metric version."""

    session_ids: list[int]
    version: str
    metrics: list[MetricSummary]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class MetricDifference:
    """B minus A for one metric."""

    name: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    ci_a: tuple[float, float]
    ci_b: tuple[float, float]
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    paired: bool
    n_pairs: int = 0
    method: str = ""  # the test whose inversion gives the CI and whose p-value agrees with it


@dataclass
class Comparison:
    """A two-set comparison at one metric version."""

    ids_a: list[int]
    ids_b: list[int]
    version: str
    paired: bool
    pairing: str
    metrics: list[MetricDifference]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def _resolve_classifier(classifier, notes: list[str]):
    if isinstance(classifier, str) and classifier == "auto":
        classifier = default_classifier()
        if classifier is None:
            notes.append("move classifier unavailable (install practicum[local] and build it with "
                         "`practicum eval train-moves`): move-based metrics left out")
    return classifier


def _values_by_metric(store, session_ids: list[int], version: str) -> dict[str, dict[int, float]]:
    return metrics_queries.metric_values(store, session_ids, version)


def _ordered(names) -> list[str]:
    known = list(METRIC_HELP)
    return sorted(names, key=lambda n: (known.index(n) if n in known else len(known), n))


def evaluate_sessions(store, session_ids: list[int], classifier="auto", recompute: bool = False,
                      progress=None, n_boot: int = N_BOOTSTRAP, seed: int = 0) -> EvaluationReport:
    """Compute missing metrics and summarise each over the sessions (mean, bootstrap 95% CI)."""
    if not session_ids:
        raise InputError("no sessions selected")
    notes: list[str] = []
    classifier = _resolve_classifier(classifier, notes)
    version = ensure_metrics(store, session_ids, classifier, recompute, progress)
    values = _values_by_metric(store, session_ids, version)
    summaries = []
    for name in _ordered(values):
        data = [values[name][i] for i in session_ids if i in values[name]]
        low, high = bootstrap_ci(data, n_boot, seed)
        summaries.append(MetricSummary(name, len(data), sum(data) / len(data), low, high, METRIC_HELP.get(name, "")))
    return EvaluationReport(list(session_ids), version, summaries, notes)


def pair_sessions(store, ids_a: list[int], ids_b: list[int]) -> tuple[list[tuple[int, int]], str]:
    """Pairs (a, b) with the same scenario and seed, one-to-one; '' when every session pairs, else why not."""
    keys = metrics_queries.session_keys(store, list(ids_a) + list(ids_b))

    def index(ids):
        out: dict[tuple, int] = {}
        for i in ids:
            key = (keys[i]["scenario_id"], keys[i]["seed"])
            if key in out:
                return None, f"two sessions ({out[key]} and {i}) share scenario {key[0]} and seed {key[1]}"
            out[key] = i
        return out, ""

    a, why_a = index(ids_a)
    b, why_b = index(ids_b)
    if a is None or b is None:
        return [], why_a or why_b
    pairs = [(a[key], b[key]) for key in a if key in b]
    if len(pairs) != len(ids_a) or len(pairs) != len(ids_b):
        return pairs, (f"only {len(pairs)} of {len(ids_a)} / {len(ids_b)} sessions pair by (scenario, seed)")
    return pairs, ""


def compare(store, ids_a: list[int], ids_b: list[int], classifier="auto", paired: str = "auto",
            recompute: bool = False, progress=None, n_boot: int = N_BOOTSTRAP, seed: int = 0) -> Comparison:
    """Per-metric B - A with a 95% CI and a permutation p-value; paired by (scenario, seed) when possible.

    paired: "auto" (pair when every session pairs), "yes" (use the sessions that pair, drop the rest),
    "no" (independent samples).
    """
    if not ids_a or not ids_b:
        raise InputError(f"selection {'A' if not ids_a else 'B'} has no sessions")
    if paired not in ("auto", "yes", "no"):
        raise InputError(f"paired must be auto, yes or no, got {paired!r}")
    notes: list[str] = []
    classifier = _resolve_classifier(classifier, notes)
    version = ensure_metrics(store, sorted(set(ids_a) | set(ids_b)), classifier, recompute, progress)
    pairs, why = pair_sessions(store, ids_a, ids_b) if paired != "no" else ([], "pairing not requested")
    use_pairs = bool(pairs) and (paired == "yes" or not why)
    if paired == "yes" and not pairs:
        raise InputError(f"no sessions pair by (scenario, seed): {why}")
    if why and use_pairs:
        notes.append(f"{why}; unpaired sessions left out")
    elif why and paired == "auto":
        notes.append(f"compared as independent samples: {why}")
    values = _values_by_metric(store, sorted(set(ids_a) | set(ids_b)), version)
    rows = []
    for name in _ordered(values):
        per = values[name]
        a = [per[i] for i in ids_a if i in per]
        b = [per[i] for i in ids_b if i in per]
        if not a or not b:
            continue
        ci_a, ci_b = bootstrap_ci(a, n_boot, seed), bootstrap_ci(b, n_boot, seed)
        mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
        if use_pairs:
            d = [per[j] - per[i] for i, j in pairs if i in per and j in per]
            if not d:
                continue
            test, n_pairs = paired_difference(d, seed=seed), len(d)
        else:
            test, n_pairs = unpaired_difference(a, b, seed=seed), 0
        rows.append(MetricDifference(name, len(a), len(b), mean_a, mean_b, ci_a, ci_b, test.difference,
                                     test.ci_low, test.ci_high, test.p_value, use_pairs, n_pairs, test.method))
    pairing = f"paired by (scenario, seed): {len(pairs)} pairs" if use_pairs else "independent samples"
    return Comparison(list(ids_a), list(ids_b), version, use_pairs, pairing, rows, notes)


__all__ = [
    "Comparison", "EvaluationReport", "MetricDifference", "MetricSummary", "bootstrap_ci", "compare",
    "evaluate_sessions", "metrics_version", "pair_sessions", "paired_permutation_p", "unpaired_permutation_p",
]
