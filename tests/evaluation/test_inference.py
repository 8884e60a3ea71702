"""Difference tests: the interval and the p-value come from one inverted permutation test, so they agree."""

from __future__ import annotations

import numpy as np
import pytest

from practicum.evaluation.inference import paired_difference, unpaired_difference


def _agrees(result) -> bool:
    return (result.ci_low <= 0 <= result.ci_high) == (result.p_value >= 0.05)


def test_ci_excludes_zero_exactly_when_p_below_005_on_random_samples():
    rng = np.random.default_rng(7)
    checked = {"paired": 0, "unpaired": 0, "significant": 0}
    for i in range(250):
        n = int(rng.integers(1, 45))
        kind = i % 4
        if kind == 0:  # 0/1 outcomes differenced: -1, 0, 1, as `telling` is
            d = rng.integers(-1, 2, n).astype(float)
        elif kind == 1:
            d = rng.normal(rng.normal(0, 0.6), 1, n)
        elif kind == 2:  # shares over four turns
            d = np.round(rng.random(n) * 4) / 4 - rng.random() * 0.5
        else:  # many ties at zero
            d = np.where(rng.random(n) < 0.7, 0.0, rng.normal(0.5, 0.2, n))
        paired = paired_difference(list(d), seed=i, n_permutations=3000)
        assert _agrees(paired), paired
        assert paired.ci_low <= paired.difference <= paired.ci_high
        n_a, n_b = int(rng.integers(1, 60)), int(rng.integers(1, 25))
        a = (rng.random(n_a) < rng.random()).astype(float)
        b = (rng.random(n_b) < rng.random()).astype(float) if kind % 2 else rng.normal(0.3, 1, n_b)
        unpaired = unpaired_difference(list(a), list(b), seed=i, n_permutations=3000)
        assert _agrees(unpaired), unpaired
        assert unpaired.ci_low <= unpaired.difference <= unpaired.ci_high
        checked["paired"] += 1
        checked["unpaired"] += 1
        checked["significant"] += (paired.p_value < 0.05) + (unpaired.p_value < 0.05)
    # the property is only tested if both outcomes occur often
    assert 60 < checked["significant"] < 440


def test_regression_binary_metric_all_zero_on_one_side():
    """MathDial vs a simulated run once printed telling CI [-0.163, -0.090] beside p = 1.000.

    The cause: a percentile bootstrap of the difference treats 12 sessions with telling = 0 as
    certain (every resample of them is 0), so its interval was far too narrow, while the
    permutation test found the difference within chance. Now both come from the permutation test.
    """
    mathdial = [1.0] * 38 + [0.0] * 262  # telling in 38 of 300 human sessions
    simulated = [0.0] * 12
    result = unpaired_difference(mathdial, simulated)
    assert result.difference == pytest.approx(-38 / 300)
    assert result.p_value > 0.2  # 12 zeros are quite likely from a 13% rate
    assert result.ci_low < result.difference < 0 < result.ci_high
    more = unpaired_difference(mathdial, [0.0] * 60)  # with 60 sessions it becomes a real difference
    assert more.p_value < 0.05 and more.ci_high < 0


def test_exact_sign_flip_values():
    three = paired_difference([1.0, 1.0, 1.0])
    assert three.p_value == 0.25 and three.method == "sign-flip (exact)"
    # with three pairs no shift can be rejected at 5%: the honest interval is unbounded
    assert three.ci_low == -np.inf and three.ci_high == np.inf
    zeros = paired_difference([0.0] * 8)
    assert zeros.p_value == 1.0 and zeros.ci_low == pytest.approx(0.0, abs=1e-6) and zeros.ci_high == pytest.approx(0.0, abs=1e-6)
    assert paired_difference([]).p_value != paired_difference([]).p_value  # nan for no data


def test_interval_covers_the_true_shift_at_about_95_percent():
    rng = np.random.default_rng(3)
    covered = 0
    for i in range(200):
        d = rng.normal(0.4, 1.0, 20)
        result = paired_difference(list(d), seed=i, n_permutations=2000)
        covered += result.ci_low <= 0.4 <= result.ci_high
    assert 0.88 <= covered / 200 <= 0.995


def test_large_samples_use_the_normal_test_and_agree_with_permutations(monkeypatch):
    from practicum.evaluation import inference

    rng = np.random.default_rng(5)
    a, b = list(rng.random(2500) < 0.10), list(rng.random(2500) < 0.12)
    a, b = [float(x) for x in a], [float(x) for x in b]
    large = unpaired_difference(a, b)
    assert large.method.startswith("Welch") and _agrees(large)
    monkeypatch.setattr(inference, "NORMAL_MIN_N", 10**9)
    permuted = unpaired_difference(a, b, n_permutations=2000)
    assert permuted.method.startswith("permutation")
    assert large.ci_low == pytest.approx(permuted.ci_low, abs=0.006)
    assert large.ci_high == pytest.approx(permuted.ci_high, abs=0.006)
    assert large.p_value == pytest.approx(permuted.p_value, abs=0.03)
    monkeypatch.setattr(inference, "NORMAL_MIN_N", 2000)
    d = list(rng.normal(0.05, 1, 3000))
    paired = paired_difference(d)
    assert paired.method.startswith("paired z") and _agrees(paired)
