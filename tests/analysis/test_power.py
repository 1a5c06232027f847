"""Sample sizes and detectable effects against published values and statsmodels' power module."""

import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from analysis.power import (
    minimum_detectable_effect,
    proportion_sample_size,
    sample_size_per_group,
    two_sample_power,
    weeks_remaining,
)


def test_sample_size_matches_reference_values():
    # d = 0.5, alpha = 0.05 two-sided, power 0.8: 63.77 per group (t; statsmodels
    # TTestIndPower) and 62.79 (normal). Four significant digits, so rtol 1e-4.
    assert_allclose(sample_size_per_group(0.5), 63.77, rtol=1e-4)
    assert_allclose(sample_size_per_group(0.5, approximation="normal"), 62.79, rtol=1e-4)


@pytest.mark.parametrize(
    ("effect_size", "ratio", "alpha", "power"),
    [(0.5, 1.0, 0.05, 0.8), (0.2, 2.0, 0.01, 0.9), (-0.35, 0.5, 0.1, 0.8)],
)
def test_sample_size_matches_statsmodels(effect_size, ratio, alpha, power):
    ours_t = sample_size_per_group(effect_size, alpha, power, ratio)
    ours_normal = sample_size_per_group(effect_size, alpha, power, ratio, approximation="normal")
    # statsmodels' root finder stops at about 1e-8 relative.
    expected_t = TTestIndPower().solve_power(
        abs(effect_size), alpha=alpha, power=power, ratio=ratio
    )
    expected_normal = NormalIndPower().solve_power(
        abs(effect_size), alpha=alpha, power=power, ratio=ratio
    )
    assert_allclose(ours_t, expected_t, rtol=1e-6)
    assert_allclose(ours_normal, expected_normal, rtol=1e-6)


def test_power_at_the_solved_size_is_the_wanted_power():
    n = sample_size_per_group(0.3, power=0.9, ratio=1.5)
    assert_allclose(two_sample_power(0.3, n, ratio=1.5), 0.9, rtol=1e-9)
    expected = TTestIndPower().power(0.3, n, 0.05, ratio=1.5)
    assert_allclose(two_sample_power(0.3, n, ratio=1.5), expected, rtol=1e-10)


def test_huge_effects_need_the_minimum_of_two_per_group():
    assert sample_size_per_group(10.0) == 2.0
    assert sample_size_per_group(10.0, ratio=0.5) == 4.0


def test_minimum_detectable_effect_matches_statsmodels():
    expected = TTestIndPower().solve_power(nobs1=64, alpha=0.05, power=0.8) * 12.0
    assert_allclose(minimum_detectable_effect(sd=12.0, n_per_group=64), expected, rtol=1e-6)
    effect = minimum_detectable_effect(sd=1.0, n_per_group=200, alpha=0.01, power=0.9)
    assert_allclose(two_sample_power(effect, 200, alpha=0.01), 0.9, rtol=1e-9)


def test_minimum_detectable_effect_inverts_sample_size():
    n = sample_size_per_group(0.4)
    assert_allclose(minimum_detectable_effect(sd=2.0, n_per_group=n), 0.8, rtol=1e-8)


def test_proportion_sample_size_uses_cohens_h():
    expected = NormalIndPower().solve_power(
        proportion_effectsize(0.15, 0.20), alpha=0.05, power=0.8, ratio=1.0
    )
    assert_allclose(proportion_sample_size(0.20, 0.15), expected, rtol=1e-6)
    assert_allclose(
        proportion_sample_size(0.20, 0.15), proportion_sample_size(0.15, 0.20), rtol=1e-12
    )


def test_weeks_remaining():
    assert_allclose(weeks_remaining(20, 30, 64), 1.7, rtol=1e-12)
    assert weeks_remaining(20, 80, 64) == 0.0
    assert weeks_remaining(20, 64, 64) == 0.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0.0, 10, 20), "weekly rate per group must be positive"),
        ((-5.0, 10, 20), "weekly rate per group must be positive"),
        ((10.0, -1, 20), "observations so far must be ≥ 0"),
        ((10.0, 1, -20), "needed size must be ≥ 0"),
    ],
)
def test_weeks_remaining_rejects_unusable_input(arguments, message):
    with pytest.raises(ValueError, match=message):
        weeks_remaining(*arguments)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effect_size": 0.0}, "effect_size must be a non-zero number"),
        ({"effect_size": 0.5, "power": 0.04}, "power must lie between alpha"),
        ({"effect_size": 0.5, "power": 1.0}, "power must lie between alpha"),
        ({"effect_size": 0.5, "alpha": 0.0}, "alpha must lie strictly between 0 and 1"),
        ({"effect_size": 0.5, "ratio": 0.0}, "ratio .* must be positive"),
        ({"effect_size": 0.5, "approximation": "z"}, "approximation must be 't' or 'normal'"),
    ],
)
def test_sample_size_rejects_unusable_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_size_per_group(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sd": 0.0, "n_per_group": 50}, "sd must be a positive number"),
        ({"sd": 1.0, "n_per_group": 1}, "at least 2 observations per group"),
    ],
)
def test_minimum_detectable_effect_rejects_unusable_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        minimum_detectable_effect(**kwargs)


@pytest.mark.parametrize(
    ("p_baseline", "p_pilot", "message"),
    [
        (0.0, 0.1, "p_baseline must lie strictly between 0 and 1"),
        (0.2, 1.0, "p_pilot must lie"),
        (0.3, 0.3, "equal"),
    ],
)
def test_proportion_sample_size_rejects_unusable_input(p_baseline, p_pilot, message):
    with pytest.raises(ValueError, match=message):
        proportion_sample_size(p_baseline, p_pilot)
