"""Agreement statistics against values worked out by hand and Krippendorff's published example."""

from __future__ import annotations

import math

import pytest

from practicum.evaluation.rater_agreement import (
    agreement_by_dimension, cohen_kappa, krippendorff_alpha, top_disagreements,
)


def test_cohen_kappa_by_hand():
    # Agreements on 4 of 6 items: p_o = 4/6. Marginals: A = (2,2,2)/6, B = (2,3,1)/6,
    # so p_e = (2*2 + 2*3 + 2*1) / 36 = 1/3 and kappa = (2/3 - 1/3) / (1 - 1/3) = 0.5.
    assert cohen_kappa([1, 1, 2, 2, 3, 3], [1, 2, 2, 2, 3, 1]) == pytest.approx(0.5)


def test_cohen_kappa_perfect_chance_and_undefined():
    assert cohen_kappa([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    # p_o = 0.5, p_e = 0.5 (each rater half 1s, half 2s, independent) -> 0
    assert cohen_kappa([1, 1, 2, 2], [1, 2, 1, 2]) == pytest.approx(0.0)
    assert cohen_kappa([], []) is None
    assert cohen_kappa([3, 3], [3, 3]) is None  # every score identical: chance agreement is already 1
    with pytest.raises(ValueError):
        cohen_kappa([1], [1, 2])


def test_quadratic_weighted_kappa_by_hand():
    # Scores 1..3, span 2; quadratic weights w(i,j) = ((i-j)/2)^2 are 0, 0.25 and 1.
    # Pairs (1,1), (2,3), (3,3): observed weighted disagreement = 0.25/3.
    # Marginals a = (1,1,1)/3, b = (1,0,2)/3; expected = sum w(i,j) a_i b_j
    #   = 1/3 * [(0.25*0 + 1*2/3) + (0.25*1/3 + 0.25*2/3) + (1*1/3 + 0.25*0)] = 1/3 * 1.25
    # kappa_w = 1 - (0.25/3) / (1.25/3) = 0.8
    assert cohen_kappa([1, 2, 3], [1, 3, 3], weights="quadratic") == pytest.approx(0.8)


def test_krippendorff_alpha_by_hand_each_level():
    # Units {1,1,2} and {3,3,3}. Coincidences: o11=1, o12=o21=1, o33=3; n1=2, n2=1, n3=3, n=6.
    # nominal: D_o = 2/6, D_e = 2*(2*1 + 2*3 + 1*3)/30 = 22/30 -> alpha = 1 - 10/22
    # interval: D_o = 2/6, D_e = 2*(2*1*1 + 2*3*4 + 1*3*1)/30 = 58/30 -> alpha = 1 - 10/58
    # ordinal: d(1,2) = (3 - 1.5)^2 = 2.25, d(1,3) = (6 - 2.5)^2 = 12.25, d(2,3) = (4 - 2)^2 = 4;
    #   D_o = 4.5/6, D_e = 2*(2*2.25 + 6*12.25 + 3*4)/30 = 6 -> alpha = 1 - 0.125
    units = [[1, 1, 2], [3, 3, 3]]
    assert krippendorff_alpha(units, "nominal") == pytest.approx(1 - 10 / 22)
    assert krippendorff_alpha(units, "interval") == pytest.approx(1 - 10 / 58)
    assert krippendorff_alpha(units, "ordinal") == pytest.approx(0.875)


def test_krippendorff_alpha_published_example_with_missing_values():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units.
    # Published: nominal 0.743, ordinal 0.815, interval 0.849.
    n = None
    a = [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n]
    b = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3]
    c = [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n]
    d = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]
    units = list(zip(a, b, c, d))
    assert krippendorff_alpha(units, "nominal") == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(units, "ordinal") == pytest.approx(0.815, abs=5e-4)
    assert krippendorff_alpha(units, "interval") == pytest.approx(0.849, abs=5e-4)


def test_krippendorff_alpha_undefined_cases():
    assert krippendorff_alpha([[1], [2]]) is None  # no unit has two values
    assert krippendorff_alpha([[2, 2], [2, 2]]) is None  # no variation at all
    with pytest.raises(ValueError):
        krippendorff_alpha([[1, 2]], level="ratio")


def rows(dimension, scores_by_rater):
    return [
        {"session_id": 1, "turn_idx": i, "rater": rater, "dimension": dimension, "score": s}
        for rater, scores in scores_by_rater.items() for i, s in enumerate(scores) if s is not None
    ]


def test_agreement_by_dimension_picks_kappa_or_alpha():
    data = rows("coherence", {"ana": [1, 1, 2, 2, 3, 3], "bo": [1, 2, 2, 2, 3, 1]})
    data += rows("realism", {"ana": [1, 3], "bo": [1, 3], "cy": [2, 3]})
    data += rows("tone", {"ana": [4, None], "bo": [None, 2]})  # never scored by two raters on one unit
    by_name = {r.dimension: r for r in agreement_by_dimension(data)}
    assert by_name["coherence"].statistic == "cohen_kappa"
    assert by_name["coherence"].value == pytest.approx(0.5) and by_name["coherence"].units == 6
    assert by_name["coherence"].exact_agreement == pytest.approx(4 / 6)
    assert by_name["realism"].statistic == "krippendorff_alpha_ordinal"
    assert by_name["realism"].value == pytest.approx(0.875)
    assert by_name["tone"].units == 0 and by_name["tone"].value is None


def test_top_disagreements_largest_spread_first():
    data = rows("coherence", {"ana": [1, 1, 2, 5], "bo": [1, 2, 2, 1]})
    found = top_disagreements(data)
    assert [(d.turn_idx, d.spread) for d in found] == [(3, 4), (1, 1)]
    assert found[0].scores == {"ana": 5, "bo": 1}
    assert not math.isnan(found[0].spread)
