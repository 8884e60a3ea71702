"""Agreement statistics against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from practicum.evaluation import scores as ag


def test_f1_and_confusion():
    gold, predicted = ["a", "a", "b", "b"], ["a", "b", "b", "b"]
    assert ag.per_class_f1(gold, predicted, ["a", "b", "c"]) == {"a": pytest.approx(2 / 3), "b": 0.8, "c": 0.0}
    assert ag.macro_f1(gold, predicted, ["a", "b"]) == pytest.approx((2 / 3 + 0.8) / 2)
    assert ag.confusion_matrix(gold, predicted, ["a", "b"]) == [[1, 1], [0, 2]]
    assert ag.accuracy(gold, predicted) == 0.75
    with pytest.raises(ValueError):
        ag.accuracy(["a"], [])


def test_cohen_kappa_nominal_and_weighted():
    assert ag.cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)
    assert ag.cohen_kappa([0, 1, 2], [0, 2, 2], [0, 1, 2], weights="quadratic") == pytest.approx(0.8)
    assert ag.cohen_kappa(["x", "y"], ["x", "y"]) == 1.0
    assert ag.cohen_kappa(["x", "x"], ["x", "x"]) is None  # one shared label: chance agreement is already 1
    assert ag.cohen_kappa([], []) is None
    assert math.isnan(ag.agreement_summary([], [])["kappa"])
    with pytest.raises(ValueError):
        ag.cohen_kappa([0], [0], weights="cubic")
    with pytest.raises(ValueError, match="not on the scale"):
        ag.cohen_kappa([0, 3], [0, 1], labels=[0, 1, 2])


def test_one_kappa_for_screens_and_reports():
    """The TUI's agreement screen and the judge report call the same function, so they cannot disagree."""
    from practicum.evaluation import rater_agreement

    assert ag.cohen_kappa is rater_agreement.cohen_kappa


def test_correlations():
    assert ag.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert ag.spearman([1, 2, 2, 3], [3, 2, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(ag.pearson([1, 1, 1], [1, 2, 3]))
    summary = ag.agreement_summary([2, 1, 0, 2], [2, 1, 1, 2])
    assert summary["n"] == 4 and summary["agreement"] == 0.75
    assert summary["kappa"] == pytest.approx(ag.cohen_kappa([2, 1, 0, 2], [2, 1, 1, 2]))
