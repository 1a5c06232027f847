"""Confidence sequences (Waudby-Smith et al. 2023): hand calculations and a peeking simulation."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis.sequential import (
    always_valid_p_value,
    confidence_sequence_halfwidth,
    mixing_rho,
    sequential_compare,
)
from analysis.sufficient import Comoments, Moments
from analysis.two_sample import compare_means, proportion_moments


def test_rho_by_hand_from_eq_161():
    # eq. 161: rho = sqrt((-2 ln a + ln(-2 ln a + 1)) / N*), a = 0.05, N* = 5000:
    # -2 ln 0.05 = 5.9914645471, ln(6.9914645471) = 1.9446900546, so
    # rho = sqrt(7.9361546017 / 5000) = 0.0398400668.
    assert_allclose(mixing_rho(0.05, 5000), 0.0398400668, rtol=1e-9)


def test_halfwidth_by_hand_from_eq_9():
    baseline = Moments.from_summary(400, 10.0, 2.0)
    pilot = Moments.from_summary(600, 10.5, 3.0)
    result = sequential_compare(baseline, pilot, "mean", alpha=0.05, n_star=5000)
    # se^2 = 2^2/400 + 3^2/600 = 0.025 over n = 1000 observations, so one observation's
    # variance is sigma^2 = 25. With rho^2 = 7.9361546017 / 5000 = 0.00158723092:
    # n rho^2 + 1 = 2.58723092, ln(sqrt(2.58723092) / 0.05) = 3.47102635, and eq. 9 gives
    # 5 * sqrt(2 * 2.58723092 * 3.47102635 / (1000^2 * 0.00158723092)) = 0.53187735.
    half = result.absolute.ci_high - result.absolute.estimate
    assert_allclose(half, 0.53187735, rtol=1e-8)
    assert_allclose(result.absolute.estimate - result.absolute.ci_low, 0.53187735, rtol=1e-8)
    assert_allclose(result.se, math.sqrt(0.025), rtol=1e-12)


def test_relative_sequence_uses_delta_method_variance():
    baseline = Moments.from_summary(400, 10.0, 2.0)
    pilot = Moments.from_summary(600, 10.5, 3.0)
    result = sequential_compare(baseline, pilot, "mean")
    rho = mixing_rho(0.05, 5000)
    variance = 0.015 / 10.0**2 + 10.5**2 * 0.01 / 10.0**4
    half = confidence_sequence_halfwidth(variance * 1000, 1000, 0.05, rho)
    assert_allclose(result.relative.estimate, 0.05, rtol=1e-12)
    assert_allclose(result.relative.ci_low, 0.05 - half, rtol=1e-12)


def test_p_value_is_where_the_sequence_touches_zero():
    # eq. 155 inverts eq. 9: at alpha equal to the p-value (same rho) the confidence
    # sequence has zero on its boundary.
    baseline = Moments.from_summary(3000, 10.0, 3.0)
    pilot = Moments.from_summary(3000, 10.3, 3.0)
    result = sequential_compare(baseline, pilot, "mean")
    rho = result.detail("rho")
    assert 0 < result.p_value < 0.05
    n = 6000
    half = confidence_sequence_halfwidth(result.se**2 * n, n, result.p_value, rho)
    assert_allclose(half, result.absolute.estimate, rtol=1e-9)


def test_p_value_is_one_without_evidence_and_tiny_with_overwhelming_evidence():
    assert always_valid_p_value(0.0, 1.0, 1000, 0.04) == 1.0
    assert 0 < always_valid_p_value(10.0, 1.0, 10_000, 0.04) < 1e-10
    # Evidence beyond the float range gives 0 rather than an overflow.
    assert always_valid_p_value(50.0, 1.0, 10_000, 0.04) == 0.0


def test_sequence_is_wider_than_fixed_interval_and_shrinks_with_n():
    widths = []
    for n in (100, 1000, 10_000, 100_000):
        baseline = Moments.from_summary(n, 10.0, 3.0)
        pilot = Moments.from_summary(n, 10.2, 3.0)
        sequential = sequential_compare(baseline, pilot, "mean")
        fixed = compare_means(baseline, pilot)
        width = sequential.absolute.ci_high - sequential.absolute.ci_low
        assert width > fixed.absolute.ci_high - fixed.absolute.ci_low
        assert sequential.p_value >= fixed.p_value
        widths.append(width)
    assert widths == sorted(widths, reverse=True)


def test_proportions_and_ratios_use_their_standard_errors():
    proportion = sequential_compare(
        proportion_moments(300, 1000), proportion_moments(340, 1000), "proportion"
    )
    assert_allclose(proportion.se, math.sqrt(0.3 * 0.7 / 1000 + 0.34 * 0.66 / 1000), rtol=1e-12)
    ratio = sequential_compare(
        Comoments.from_values([3.0, 4.0, 6.0, 2.0], [5.0, 6.0, 9.0, 4.0]),
        Comoments.from_values([4.0, 5.0, 6.0, 3.0], [5.0, 6.0, 8.0, 4.0]),
        "ratio",
    )
    assert ratio.absolute.ci_low < ratio.absolute.estimate < ratio.absolute.ci_high
    assert "always-valid" in ratio.test


def peeking_false_positive_rates(reps=1000, looks=10, per_look=100, alpha=0.05, seed=2023):
    """Share of null experiments declared significant at any of ``looks`` interim looks."""
    rng = np.random.default_rng(seed)
    data = rng.normal(0.0, 1.0, size=(reps, 2, looks, per_look))
    sums = np.cumsum(data.sum(axis=3), axis=2)
    squares = np.cumsum((data * data).sum(axis=3), axis=2)
    fixed_hits = sequential_hits = 0
    for rep in range(reps):
        fixed_any = sequential_any = False
        for look in range(looks):
            n = per_look * (look + 1)
            baseline = Moments(n, sums[rep, 0, look], squares[rep, 0, look])
            pilot = Moments(n, sums[rep, 1, look], squares[rep, 1, look])
            fixed_any |= compare_means(baseline, pilot, alpha).p_value < alpha
            sequential_any |= sequential_compare(baseline, pilot, "mean", alpha).p_value < alpha
        fixed_hits += fixed_any
        sequential_hits += sequential_any
    return fixed_hits / reps, sequential_hits / reps


def test_peeking_inflates_the_fixed_test_but_not_the_sequential_one():
    reps, alpha = 1000, 0.05
    fixed_rate, sequential_rate = peeking_false_positive_rates(reps=reps, alpha=alpha)
    # Binomial sampling error of a rate of alpha over 1000 experiments: about 0.0069.
    tolerance = 3 * math.sqrt(alpha * (1 - alpha) / reps)
    assert sequential_rate <= alpha + tolerance
    # Ten looks at a fixed 5 % test reject a true null about 19 % of the time.
    assert fixed_rate > alpha + 5 * math.sqrt(alpha * (1 - alpha) / reps)


def test_zero_baseline_gives_no_relative_sequence():
    result = sequential_compare(
        Moments.from_values([-1.0, 1.0, 0.0]), Moments.from_values([1.0, 2.0, 3.0]), "mean"
    )
    assert result.relative is None
    assert result.notes


@pytest.mark.parametrize(
    ("baseline", "pilot", "kwargs", "message"),
    [
        ([1.0], [1.0, 2.0], {}, "baseline group has fewer than 2 observations"),
        ([2.0, 2.0], [3.0, 3.0], {}, "neither group varies"),
        ([1.0, 2.0], [1.0, 3.0], {"n_star": 0}, "n_star must be a positive number"),
        ([1.0, 2.0], [1.0, 3.0], {"alpha": 1.0}, "alpha must lie strictly between 0 and 1"),
    ],
)
def test_sequential_rejects_unusable_input(baseline, pilot, kwargs, message):
    with pytest.raises(ValueError, match=message):
        sequential_compare(
            Moments.from_values(baseline), Moments.from_values(pilot), "mean", **kwargs
        )
