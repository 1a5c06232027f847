"""CUPED against a direct computation on raw arrays, scipy's Welch test and statsmodels OLS."""

import math

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from analysis.cuped import compare_means_cuped, pooled_theta
from analysis.sufficient import Comoments, Moments
from analysis.two_sample import compare_means


def pilot_data(seed=31, n_baseline=300, n_pilot=280, effect=1.5):
    """Outcomes that depend on each unit's pre-period value, plus a pilot effect."""
    rng = np.random.default_rng(seed)

    def group(n, shift):
        before = rng.normal(50.0, 10.0, size=n)
        after = 5.0 + 0.8 * before + rng.normal(0.0, 4.0, size=n) + shift
        return after, before

    return group(n_baseline, 0.0), group(n_pilot, effect)


def within_group_theta(groups):
    cross = sum(np.sum((x - x.mean()) * (y - y.mean())) for x, y in groups)
    spread = sum(np.sum((y - y.mean()) ** 2) for _, y in groups)
    return cross / spread


def test_cuped_equals_welch_on_adjusted_raw_values():
    (xb, yb), (xp, yp) = pilot_data()
    result = compare_means_cuped(Comoments.from_values(xb, yb), Comoments.from_values(xp, yp))
    theta = within_group_theta([(xb, yb), (xp, yp)])
    covariate_mean = np.concatenate([yb, yp]).mean()
    adjusted_b = xb - theta * (yb - covariate_mean)
    adjusted_p = xp - theta * (yp - covariate_mean)
    welch = stats.ttest_ind(adjusted_p, adjusted_b, equal_var=False)
    interval = welch.confidence_interval()
    assert_allclose(result.detail("theta"), theta, rtol=1e-10)
    assert_allclose(result.absolute.estimate, adjusted_p.mean() - adjusted_b.mean(), rtol=1e-10)
    assert_allclose([result.statistic, result.df], [welch.statistic, welch.df], rtol=1e-9)
    assert_allclose(result.p_value, welch.pvalue, rtol=1e-8)
    assert_allclose(
        [result.absolute.ci_low, result.absolute.ci_high], [interval.low, interval.high], rtol=1e-9
    )
    assert_allclose(result.relative.estimate, adjusted_p.mean() / adjusted_b.mean() - 1, rtol=1e-10)


def test_cuped_effect_and_slope_equal_regression_adjustment():
    (xb, yb), (xp, yp) = pilot_data(seed=4)
    result = compare_means_cuped(Comoments.from_values(xb, yb), Comoments.from_values(xp, yp))
    outcome = np.concatenate([xb, xp])
    in_pilot = np.concatenate([np.zeros(xb.size), np.ones(xp.size)])
    covariate = np.concatenate([yb, yp])
    design = sm.add_constant(np.column_stack([in_pilot, covariate]))
    fit = sm.OLS(outcome, design).fit()
    # With theta pooled within groups, the adjusted difference is the OLS group coefficient.
    assert_allclose(result.absolute.estimate, fit.params[1], rtol=1e-9)
    assert_allclose(result.detail("theta"), fit.params[2], rtol=1e-9)
    # OLS also carries the uncertainty of theta and pools the variances; with a few hundred
    # units per group the standard errors agree to within a few per cent.
    assert_allclose(result.se, fit.bse[1], rtol=0.03)


def test_variance_reduction_share_and_smaller_standard_error():
    (xb, yb), (xp, yp) = pilot_data(seed=9)
    baseline, pilot = Comoments.from_values(xb, yb), Comoments.from_values(xp, yp)
    result = compare_means_cuped(baseline, pilot)
    plain = compare_means(baseline.x, pilot.x)
    assert_allclose(result.detail("variance_reduction"), 1 - result.se**2 / plain.se**2, rtol=1e-12)
    # Outcome sd is sqrt(0.8^2 * 100 + 16) = 8.9, residual sd 4: about 80 % less variance.
    assert 0.7 < result.detail("variance_reduction") < 0.9
    assert result.se < plain.se


def test_useless_covariate_changes_little():
    rng = np.random.default_rng(17)
    xb, xp = rng.normal(10, 2, 200), rng.normal(10.5, 2, 200)
    yb, yp = rng.normal(0, 1, 200), rng.normal(0, 1, 200)
    result = compare_means_cuped(Comoments.from_values(xb, yb), Comoments.from_values(xp, yp))
    assert abs(result.detail("variance_reduction")) < 0.05


def test_pooled_theta_by_hand():
    baseline = Comoments.from_values([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    pilot = Comoments.from_values([3.0, 5.0, 7.0], [1.0, 2.0, 3.0])
    assert_allclose(pooled_theta(baseline, pilot), 2.0, rtol=1e-12)


@pytest.mark.parametrize(
    ("baseline", "pilot", "message"),
    [
        (([1.0, 2.0, 3.0], [5.0, 5.0, 5.0]), ([2.0, 3.0], [5.0, 5.0]), "covariate does not vary"),
        (([1.0], [1.0]), ([2.0, 3.0], [1.0, 2.0]), "baseline group has fewer than 2"),
        (([1.0, 2.0], [1.0, 2.0]), ([], []), "pilot group is empty"),
        (([1.0, math.nan], [1.0, 2.0]), ([2.0, 3.0], [1.0, 2.0]), "not finite"),
        (([1.0, 2.0], [1.0, 2.0]), ([3.0, 4.0], [1.0, 2.0]), "neither group varies"),
    ],
)
def test_cuped_rejects_unusable_input(baseline, pilot, message):
    with pytest.raises(ValueError, match=message):
        compare_means_cuped(Comoments.from_values(*baseline), Comoments.from_values(*pilot))


def test_cuped_needs_comoments():
    with pytest.raises(ValueError, match="CUPED needs Comoments"):
        compare_means_cuped(
            Moments.from_values([1.0, 2.0]), Comoments.from_values([1.0, 2.0], [1.0, 3.0])
        )
