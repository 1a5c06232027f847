"""Quantile differences between pilot and baseline."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis.tails import quantile_differences, quantile_differences_from_counts

LEVELS = (0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 1.0)


def resolution_hours(seed, n=300, shift=0.0):
    return np.random.default_rng(seed).lognormal(2.0, 0.6, n) + shift


def test_point_estimates_are_numpys_quantiles():
    baseline, pilot = resolution_hours(1, 301), resolution_hours(2, 250)
    results = quantile_differences(baseline, pilot, quantiles=LEVELS)
    # numpy's default ("linear", Hyndman & Fan type 7) is the definition we follow.
    assert_allclose([r.baseline for r in results], np.quantile(baseline, LEVELS), rtol=1e-13)
    assert_allclose([r.pilot for r in results], np.quantile(pilot, LEVELS), rtol=1e-13)
    assert_allclose(
        [r.absolute.estimate for r in results],
        np.quantile(pilot, LEVELS) - np.quantile(baseline, LEVELS),
        rtol=1e-12,
    )
    assert [r.quantile for r in results] == list(LEVELS)


def test_point_estimates_with_ties_are_numpys_quantiles():
    baseline = np.random.default_rng(3).integers(0, 6, 97)
    pilot = np.random.default_rng(4).integers(0, 6, 120)
    results = quantile_differences(baseline, pilot, quantiles=LEVELS)
    assert_allclose([r.baseline for r in results], np.quantile(baseline, LEVELS), rtol=1e-13)
    assert_allclose([r.pilot for r in results], np.quantile(pilot, LEVELS), rtol=1e-13)


def test_intervals_match_ordinary_resampling():
    # Drawing order statistics directly must agree with resampling whole rows.
    baseline, pilot = resolution_hours(5, 150), resolution_hours(6, 120)
    rng = np.random.default_rng(7)
    draws = 40_000
    resampled = np.quantile(
        pilot[rng.integers(0, pilot.size, (draws, pilot.size))], 0.9, axis=1
    ) - np.quantile(baseline[rng.integers(0, baseline.size, (draws, baseline.size))], 0.9, axis=1)
    result = quantile_differences(baseline, pilot, quantiles=(0.9,), n_resamples=draws)[0]
    assert_allclose(
        [result.absolute.ci_low, result.absolute.ci_high],
        np.quantile(resampled, [0.025, 0.975]),
        rtol=0.03,
    )


def test_intervals_cover_a_known_shift():
    covered = []
    for seed in range(200):
        baseline = resolution_hours(2 * seed, 150)
        pilot = resolution_hours(2 * seed + 1, 150, shift=-3.0)
        results = quantile_differences(baseline, pilot, n_resamples=500, seed=seed)
        covered.append([r.absolute.ci_low <= -3.0 <= r.absolute.ci_high for r in results])
    rates = np.mean(covered, axis=0)
    assert ((rates >= 0.88) & (rates <= 0.99)).all(), rates


def expanded(counts):
    return np.repeat(list(counts), list(counts.values()))


def test_counts_give_exactly_the_array_result():
    baseline_counts = {1: 40, 2: 25, 3: 15, 4: 12, 5: 8}
    pilot_counts = {5: 14, 4: 18, 3: 20, 2: 28, 1: 20, 6: 0}
    from_counts = quantile_differences_from_counts(baseline_counts, pilot_counts, seed=3)
    from_arrays = quantile_differences(expanded(baseline_counts), expanded(pilot_counts), seed=3)
    assert from_counts == from_arrays


def test_relative_difference_when_the_baseline_is_positive():
    baseline, pilot = resolution_hours(7), resolution_hours(8, shift=-1.0)
    result = quantile_differences(baseline, pilot, quantiles=(0.9,))[0]
    assert_allclose(result.relative.estimate, result.pilot / result.baseline - 1)
    assert result.relative.ci_low < result.relative.estimate < result.relative.ci_high


def test_no_relative_difference_against_a_zero_baseline():
    baseline = {0: 60, 1: 40}
    pilot = {0: 40, 1: 60}
    result = quantile_differences_from_counts(baseline, pilot, quantiles=(0.5,))[0]
    assert result.baseline == 0
    assert result.relative is None
    assert result.notes


def test_same_seed_gives_the_same_intervals():
    baseline, pilot = resolution_hours(9), resolution_hours(10)
    first = quantile_differences(baseline, pilot, seed=4)
    assert quantile_differences(baseline, pilot, seed=4) == first
    assert quantile_differences(baseline, pilot, seed=5) != first


@pytest.mark.parametrize(
    ("baseline", "options", "message"),
    [
        ([1.0], {}, "at least two"),
        ([1.0, np.nan, 2.0], {}, "missing"),
        ([1.0, 2.0, 3.0], {"quantiles": (0.5, 1.5)}, r"\[0, 1\]"),
        ([1.0, 2.0, 3.0], {"quantiles": ()}, "non-empty"),
        ([1.0, 2.0, 3.0], {"alpha": 1.2}, "alpha"),
        ([1.0, 2.0, 3.0], {"n_resamples": 50}, "99"),
    ],
)
def test_bad_arrays_are_refused(baseline, options, message):
    with pytest.raises(ValueError, match=message):
        quantile_differences(baseline, [1.0, 2.0, 3.0], **options)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({1: -2, 2: 5}, "whole numbers"),
        ({1: 2.5, 2: 5}, "whole numbers"),
        ({1: 1, 2: 0}, "at least two"),
        ([1, 2, 3], "map each value"),
        ({float("inf"): 3}, "infinite"),
    ],
)
def test_bad_counts_are_refused(counts, message):
    with pytest.raises(ValueError, match=message):
        quantile_differences_from_counts(counts, {1: 3, 2: 4})
