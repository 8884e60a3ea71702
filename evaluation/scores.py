"""Scores between two labellings of the same items: F1, confusion, accuracy, correlations.

Cohen's kappa lives in `rater_agreement` (one implementation); `agreement_summary` uses it.

Pure functions over plain lists, shared by the move classifier's validation, the
LLM judge's agreement with human raters, and the TUI.
"""

from __future__ import annotations

import math
from typing import Hashable, Sequence

from practicum.evaluation.rater_agreement import cohen_kappa


def _check_pairs(a: Sequence, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(f"label lists differ in length: {len(a)} vs {len(b)}")


def confusion_matrix(gold: Sequence[Hashable], predicted: Sequence[Hashable],
                     labels: Sequence[Hashable]) -> list[list[int]]:
    """Return counts[i][j]: items with gold labels[i] predicted as labels[j] (other labels are ignored)."""
    _check_pairs(gold, predicted)
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted):
        if g in index and p in index:
            counts[index[g]][index[p]] += 1
    return counts


def per_class_f1(gold: Sequence[Hashable], predicted: Sequence[Hashable],
                 labels: Sequence[Hashable]) -> dict[Hashable, float]:
    """Return F1 of each label (0.0 when a label is neither gold nor predicted anywhere)."""
    _check_pairs(gold, predicted)
    scores = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        scores[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return scores


def macro_f1(gold: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable]) -> float:
    """Return the unweighted mean of the per-label F1 scores."""
    scores = per_class_f1(gold, predicted, labels)
    return sum(scores.values()) / len(scores) if scores else 0.0


def accuracy(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Return the share of items where the two labellings agree (percent agreement)."""
    _check_pairs(gold, predicted)
    return sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for position in range(i, j + 1):
            ranks[order[position]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def pearson(a: Sequence[float], b: Sequence[float]) -> float:
    """Pearson correlation; nan when either side is constant or there are fewer than two items."""
    _check_pairs(a, b)
    n = len(a)
    if n < 2:
        return math.nan
    ma, mb = sum(a) / n, sum(b) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    return cov / math.sqrt(va * vb) if va and vb else math.nan


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    _check_pairs(a, b)
    return pearson(_ranks(a), _ranks(b))


def agreement_summary(a: Sequence, b: Sequence, labels: Sequence | None = None) -> dict:
    """Return n, percent agreement, Cohen's kappa (nominal and quadratic) and Spearman's rho of two raters."""
    labels = list(labels) if labels is not None else sorted(set(a) | set(b), key=str)
    numeric = all(isinstance(x, (int, float)) for x in list(a) + list(b))
    return {
        "n": len(a),
        "agreement": accuracy(a, b) if a else math.nan,
        "kappa": _or_nan(cohen_kappa(a, b, labels)),
        "kappa_quadratic": _or_nan(cohen_kappa(a, b, labels, weights="quadratic")) if numeric else math.nan,
        "spearman": spearman(a, b) if numeric else math.nan,
    }


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value
