"""Bayesian comparison against closed-form normal results, numerical integration and Monte Carlo."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

from analysis.bayesian import bayesian_compare, expected_loss, normal_posterior
from analysis.sufficient import Moments
from analysis.two_sample import compare_means, proportion_moments

BASELINE = Moments.from_summary(400, 20.0, 6.0)
PILOT = Moments.from_summary(380, 21.0, 7.0)


def delta_lift(b_mean, b_sd, b_n, p_mean, p_sd, p_n):
    var_b, var_p = b_sd**2 / b_n, p_sd**2 / p_n
    se = math.sqrt(var_p / b_mean**2 + p_mean**2 * var_b / b_mean**4)
    return p_mean / b_mean - 1, se


def test_flat_prior_posterior_is_the_delta_method_likelihood():
    result = bayesian_compare(BASELINE, PILOT, "mean", "increase", alpha=0.1)
    lift, se = delta_lift(20.0, 6.0, 400, 21.0, 7.0, 380)
    z = stats.norm.ppf(0.95)
    relative = result.relative
    assert_allclose(
        [relative.estimate, relative.ci_low, relative.ci_high],
        [lift, lift - z * se, lift + z * se],
        rtol=1e-12,
    )
    assert_allclose(result.p_value, stats.norm.cdf(-lift / se), rtol=1e-12)
    assert_allclose(result.detail("chance_to_beat_baseline"), stats.norm.cdf(lift / se), rtol=1e-12)


def test_flat_prior_absolute_interval_is_the_normal_interval():
    result = bayesian_compare(BASELINE, PILOT, "mean", "increase")
    fixed = compare_means(BASELINE, PILOT)
    z = stats.norm.ppf(0.975)
    assert_allclose(result.absolute.estimate, 1.0, rtol=1e-12)
    assert_allclose(result.absolute.ci_low, 1.0 - z * fixed.se, rtol=1e-12)
    assert_allclose(result.se, fixed.se, rtol=1e-12)
    # With a flat prior the chance of the wrong sign is half the two-sided z p-value.
    assert_allclose(result.p_value, stats.norm.sf(result.statistic), rtol=1e-12)


def test_normal_prior_matches_numerical_integration_of_prior_times_likelihood():
    estimate, se, prior_mean, prior_sd = 0.12, 0.05, 0.0, 0.04
    mean, sd = normal_posterior(estimate, se, prior_mean, prior_sd)
    grid = np.linspace(-0.5, 0.5, 200_001)
    density = stats.norm.pdf(grid, prior_mean, prior_sd) * stats.norm.pdf(estimate, grid, se)
    density /= np.trapezoid(density, grid)
    grid_mean = np.trapezoid(grid * density, grid)
    grid_sd = math.sqrt(np.trapezoid((grid - grid_mean) ** 2 * density, grid))
    assert_allclose([mean, sd], [grid_mean, grid_sd], rtol=1e-8)


def test_prior_is_applied_to_relative_and_scaled_to_absolute():
    result = bayesian_compare(BASELINE, PILOT, "mean", "increase", prior_mean=0.01, prior_sd=0.02)
    lift, se = delta_lift(20.0, 6.0, 400, 21.0, 7.0, 380)
    rel_mean, rel_sd = normal_posterior(lift, se, 0.01, 0.02)
    abs_mean, abs_sd = normal_posterior(1.0, compare_means(BASELINE, PILOT).se, 0.2, 0.4)
    assert_allclose(result.relative.estimate, rel_mean, rtol=1e-12)
    assert_allclose(result.absolute.estimate, abs_mean, rtol=1e-12)
    assert_allclose(result.se, abs_sd, rtol=1e-12)
    # The prior pulls the estimate towards +1 %.
    assert 0.01 < result.relative.estimate < lift


@pytest.mark.parametrize("mean", [-0.3, -0.02, 0.0, 0.05, 0.4])
@pytest.mark.parametrize("direction", ["increase", "decrease"])
def test_expected_loss_matches_numerical_integration(mean, direction):
    sd = 0.1
    sign = 1 if direction == "increase" else -1

    def harm(lift):
        return max(-sign * lift, 0.0) * stats.norm.pdf(lift, mean, sd)

    expected, _ = integrate.quad(harm, mean - 12 * sd, mean + 12 * sd, points=[0.0], limit=200)
    assert_allclose(expected_loss(mean, sd, direction), expected, rtol=1e-8, atol=1e-14)


def test_chance_and_loss_agree_with_seeded_monte_carlo():
    result = bayesian_compare(BASELINE, PILOT, "mean", "decrease", prior_mean=0.0, prior_sd=0.05)
    rng = np.random.default_rng(42)
    relative = result.relative
    rel_sd = (relative.ci_high - relative.ci_low) / (2 * stats.norm.ppf(0.975))
    draws = rng.normal(relative.estimate, rel_sd, size=400_000)
    # Monte Carlo error with 400 000 draws: about 0.0003 for this chance (0.03) and
    # 0.00004 for the loss; the tolerances allow five times that.
    assert_allclose(result.detail("chance_to_beat_baseline"), np.mean(draws < 0), atol=0.0015)
    assert_allclose(result.detail("expected_loss"), np.mean(np.maximum(draws, 0)), atol=2e-4)


def test_delta_method_lift_agrees_with_simulated_group_means():
    # Simulate each group's mean from its flat-prior posterior and form the lift directly;
    # the normal approximation of the lift should give nearly the same chance to beat.
    result = bayesian_compare(BASELINE, PILOT, "mean", "increase")
    rng = np.random.default_rng(7)
    baseline_means = rng.normal(20.0, 6.0 / math.sqrt(400), size=400_000)
    pilot_means = rng.normal(21.0, 7.0 / math.sqrt(380), size=400_000)
    simulated = np.mean(pilot_means / baseline_means - 1 > 0)
    assert_allclose(result.detail("chance_to_beat_baseline"), simulated, atol=0.005)


def test_direction_decides_what_beating_the_baseline_means():
    higher = bayesian_compare(BASELINE, PILOT, "mean", "increase")
    lower = bayesian_compare(BASELINE, PILOT, "mean", "decrease")
    chance_up = higher.detail("chance_to_beat_baseline")
    assert chance_up > 0.9
    assert_allclose(lower.detail("chance_to_beat_baseline"), 1 - chance_up, rtol=1e-12)
    assert higher.detail("expected_loss") < lower.detail("expected_loss")
    assert higher.p_value == lower.p_value


def test_proportions_are_supported():
    result = bayesian_compare(
        proportion_moments(80, 1000), proportion_moments(60, 1000), "proportion", "decrease"
    )
    assert result.detail("chance_to_beat_baseline") > 0.9
    assert any("posterior probability" in note for note in result.notes)


@pytest.mark.parametrize(
    ("baseline", "pilot", "kwargs", "message"),
    [
        (Moments.from_values([-1.0, 1.0]), PILOT, {}, "needs a positive baseline"),
        (BASELINE, PILOT, {"prior_sd": 0.0}, "prior_sd must be a positive relative lift"),
        (BASELINE, PILOT, {"prior_mean": 0.1}, "prior_mean has no effect with a flat prior"),
        (BASELINE, PILOT, {"direction": "up"}, "direction must be 'increase'"),
        (Moments.from_values([1.0]), PILOT, {}, "fewer than 2 observations"),
        (
            Moments.from_values([2.0, 2.0]),
            Moments.from_values([3.0, 3.0]),
            {},
            "neither group varies",
        ),
        (proportion_moments(5, 100), proportion_moments(0, 100), {}, "no sampling uncertainty"),
    ],
)
def test_bayesian_rejects_unusable_input(baseline, pilot, kwargs, message):
    arguments = {"direction": "increase"} | kwargs
    kind = "proportion" if baseline.n == 100 else "mean"
    with pytest.raises(ValueError, match=message):
        bayesian_compare(baseline, pilot, kind, **arguments)
