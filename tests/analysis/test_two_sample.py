"""Two-sample comparisons against R, Fagerland et al. (2015), scipy and statsmodels."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats import proportion as sm_proportion

from analysis.sufficient import Comoments, Moments
from analysis.two_sample import (
    GroupEstimate,
    compare,
    compare_means,
    compare_proportions,
    compare_ratios,
    non_inferiority,
    proportion_moments,
    relative_lift,
    welch_df,
)

# R datasets::sleep (Student 1908), extra hours of sleep by group.
SLEEP_GROUP1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def sleep_comparison():
    # R reports group 1 - group 2, so group 2 is the baseline and group 1 the pilot.
    return compare_means(Moments.from_values(SLEEP_GROUP2), Moments.from_values(SLEEP_GROUP1))


def test_welch_matches_r_t_test_on_sleep():
    # R: t.test(extra ~ group, data = sleep) -> t = -1.8608, df = 17.776, p-value = 0.07939,
    # 95 percent CI -3.3654832 0.2054832. t, df and p are printed to 5 and 4 significant
    # digits (rtol half a unit in the last printed place), the interval to 7 decimals.
    result = sleep_comparison()
    assert_allclose(result.statistic, -1.8608, rtol=3e-5)
    assert_allclose(result.df, 17.776, rtol=3e-5)
    assert_allclose(result.p_value, 0.07939, rtol=7e-5)
    assert_allclose(
        [result.absolute.ci_low, result.absolute.ci_high], [-3.3654832, 0.2054832], rtol=3e-7
    )
    assert_allclose(result.absolute.estimate, 0.75 - 2.33, rtol=1e-12)
    assert result.test == "Welch two-sample t-test"


def test_welch_matches_r_on_integer_sequences():
    # R: t.test(1:10, y = c(7:20)) -> p-value = 1.855e-05 (4 significant digits).
    result = compare_means(
        Moments.from_values(np.arange(7, 21)), Moments.from_values(np.arange(1, 11))
    )
    assert_allclose(result.p_value, 1.855e-05, rtol=3e-4)


def test_welch_matches_scipy_on_raw_data():
    rng = np.random.default_rng(7)
    baseline = rng.normal(50.0, 4.0, size=40)
    pilot = rng.normal(52.0, 9.0, size=65)
    result = compare_means(Moments.from_values(baseline), Moments.from_values(pilot), alpha=0.1)
    scipy_result = stats.ttest_ind(pilot, baseline, equal_var=False)
    interval = scipy_result.confidence_interval(confidence_level=0.9)
    assert_allclose(result.statistic, scipy_result.statistic, rtol=1e-12)
    assert_allclose(result.p_value, scipy_result.pvalue, rtol=1e-10)
    assert_allclose(result.df, scipy_result.df, rtol=1e-12)
    assert_allclose(
        [result.absolute.ci_low, result.absolute.ci_high], [interval.low, interval.high], rtol=1e-10
    )
    assert_allclose(result.se, math.sqrt(baseline.var(ddof=1) / 40 + pilot.var(ddof=1) / 65))


def test_relative_lift_uses_delta_method_on_welch_df():
    rng = np.random.default_rng(11)
    baseline = rng.normal(20.0, 5.0, size=80)
    pilot = rng.normal(23.0, 6.0, size=90)
    result = compare_means(Moments.from_values(baseline), Moments.from_values(pilot))
    b, p = baseline.mean(), pilot.mean()
    var_b, var_p = baseline.var(ddof=1) / 80, pilot.var(ddof=1) / 90
    se = math.sqrt(var_p / b**2 + p**2 * var_b / b**4)
    df = (var_b + var_p) ** 2 / (var_b**2 / 79 + var_p**2 / 89)
    quantile = stats.t.ppf(0.975, df)
    expected = [p / b - 1, p / b - 1 - quantile * se, p / b - 1 + quantile * se]
    relative = result.relative
    assert_allclose([relative.estimate, relative.ci_low, relative.ci_high], expected, rtol=1e-12)


def test_summaries_and_values_give_the_same_comparison():
    from_values = sleep_comparison()
    g1, g2 = np.array(SLEEP_GROUP1), np.array(SLEEP_GROUP2)
    from_summary = compare_means(
        Moments.from_summary(10, g2.mean(), g2.std(ddof=1)),
        Moments.from_summary(10, g1.mean(), g1.std(ddof=1)),
    )
    assert_allclose(from_summary.p_value, from_values.p_value, rtol=1e-12)


def test_zero_baseline_mean_gives_no_relative_change_and_says_why():
    result = compare_means(
        Moments.from_values([-1.0, 0.0, 1.0]), Moments.from_values([1.0, 2.0, 4.0])
    )
    assert result.relative is None
    assert any("baseline is zero" in note for note in result.notes)
    assert math.isfinite(result.p_value)


def test_one_constant_group_is_allowed():
    result = compare_means(
        Moments.from_values([5.0, 5.0, 5.0]), Moments.from_values([4.0, 6.0, 7.0])
    )
    # All the variance comes from the pilot, so Welch's df is the pilot's n - 1.
    assert_allclose(result.df, 2.0, rtol=1e-12)


def test_both_groups_without_variation_raise():
    with pytest.raises(ValueError, match="neither group varies"):
        compare_means(Moments.from_values([5.0, 5.0]), Moments.from_values([6.0, 6.0, 6.0]))


@pytest.mark.parametrize(
    ("baseline", "pilot", "message"),
    [
        ([1.0], [1.0, 2.0], "baseline group has fewer than 2 observations \\(n=1\\)"),
        ([1.0, 2.0], [3.0], "pilot group has fewer than 2 observations \\(n=1\\)"),
        ([], [1.0, 2.0], "baseline group is empty"),
        ([1.0, np.nan], [1.0, 2.0], "not a finite number"),
    ],
)
def test_compare_means_rejects_unusable_groups(baseline, pilot, message):
    with pytest.raises(ValueError, match=message):
        compare_means(Moments.from_values(baseline), Moments.from_values(pilot))


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5])
def test_alpha_outside_zero_one_raises(alpha):
    with pytest.raises(ValueError, match="alpha must lie strictly between 0 and 1"):
        compare_means(Moments.from_values([1.0, 2.0]), Moments.from_values([1.0, 3.0]), alpha)


def test_newcombe_interval_matches_fagerland_and_statsmodels():
    # Fagerland, Lydersen & Laake (2015), Stat Methods Med Res 24:224-254: 7/34 vs 1/34,
    # difference 0.1765, Newcombe hybrid score 95% CI (0.019, 0.34), printed to 2-3 digits.
    result = compare_proportions(proportion_moments(1, 34), proportion_moments(7, 34))
    assert_allclose(result.absolute.estimate, 0.1765, rtol=3e-4)
    assert_allclose(result.absolute.ci_low, 0.019, rtol=3e-2)
    assert_allclose(result.absolute.ci_high, 0.34, rtol=1.5e-2)
    low, high = sm_proportion.confint_proportions_2indep(7, 34, 1, 34, method="newcomb")
    assert_allclose([result.absolute.ci_low, result.absolute.ci_high], [low, high], rtol=1e-10)


def test_pooled_z_matches_statsmodels():
    result = compare_proportions(proportion_moments(1, 34), proportion_moments(7, 34))
    z, p_value = sm_proportion.proportions_ztest([7, 1], [34, 34])
    assert_allclose([result.statistic, result.p_value], [z, p_value], rtol=1e-12)
    # The score test without small-sample correction is the same pooled z.
    score = sm_proportion.test_proportions_2indep(7, 34, 1, 34, method="score", correction=False)
    assert_allclose(result.statistic, score.statistic, rtol=1e-12)
    assert result.df is None


def test_proportions_from_raw_zero_one_values_match_counts():
    rng = np.random.default_rng(3)
    baseline = (rng.random(500) < 0.3).astype(float)
    pilot = (rng.random(400) < 0.36).astype(float)
    from_values = compare_proportions(Moments.from_values(baseline), Moments.from_values(pilot))
    from_counts = compare_proportions(
        proportion_moments(int(baseline.sum()), 500), proportion_moments(int(pilot.sum()), 400)
    )
    low, high = sm_proportion.confint_proportions_2indep(
        int(pilot.sum()), 400, int(baseline.sum()), 500, method="newcomb", alpha=0.05
    )
    assert_allclose(from_values.statistic, from_counts.statistic, rtol=1e-12)
    assert_allclose(
        [from_values.absolute.ci_low, from_values.absolute.ci_high], [low, high], rtol=1e-10
    )


def test_proportion_relative_lift_is_plain_delta_method():
    result = compare_proportions(proportion_moments(120, 400), proportion_moments(150, 400))
    b, p = 0.3, 0.375
    se = math.sqrt(p * (1 - p) / 400 / b**2 + p**2 * b * (1 - b) / 400 / b**4)
    z = stats.norm.ppf(0.975)
    expected = [p / b - 1, p / b - 1 - z * se, p / b - 1 + z * se]
    relative = result.relative
    assert_allclose([relative.estimate, relative.ci_low, relative.ci_high], expected, rtol=1e-12)
    assert_allclose(result.se, math.sqrt(b * (1 - b) / 400 + p * (1 - p) / 400), rtol=1e-12)


def test_proportion_relative_interval_stops_at_minus_100_percent():
    result = compare_proportions(proportion_moments(1, 34), proportion_moments(7, 34))
    assert result.relative.estimate == pytest.approx(6.0)
    assert result.relative.ci_low == -1.0


def test_proportion_with_zero_baseline_successes_has_no_relative_change():
    result = compare_proportions(proportion_moments(0, 50), proportion_moments(4, 50))
    assert result.relative is None
    assert any("baseline is zero" in note for note in result.notes)


def test_proportions_that_never_vary_within_groups_flag_the_flat_lift():
    result = compare_proportions(proportion_moments(40, 40), proportion_moments(0, 40))
    assert result.relative.ci_low == result.relative.ci_high == -1.0
    assert any("no width" in note for note in result.notes)


@pytest.mark.parametrize(
    ("successes", "outcome"), [(0, "0 \\(failure\\)"), (30, "1 \\(success\\)")]
)
def test_proportions_without_any_difference_raise(successes, outcome):
    with pytest.raises(ValueError, match=f"every observation in both groups is {outcome}"):
        compare_proportions(
            proportion_moments(successes, 30), proportion_moments(0 if not successes else 20, 20)
        )


def test_proportion_needs_zero_one_values():
    with pytest.raises(ValueError, match="does not look like 0/1 values"):
        compare_proportions(Moments.from_values([0.0, 2.0, 1.0]), proportion_moments(3, 10))
    with pytest.raises(ValueError, match="does not look like 0/1 values"):
        compare_proportions(Moments.from_values([0.5, 0.5]), proportion_moments(3, 10))


def test_proportion_with_missing_values_raises():
    with pytest.raises(ValueError, match="pilot count of successes is not a finite number"):
        compare_proportions(proportion_moments(3, 10), Moments.from_values([0.0, np.nan, 1.0]))


def test_proportion_moments_checks_counts():
    with pytest.raises(ValueError, match="between 0 and n"):
        proportion_moments(11, 10)


def ratio_arms(seed=5, n_baseline=500, n_pilot=450):
    rng = np.random.default_rng(seed)

    def arm(n, rate):
        # Denominators (e.g. tickets per customer) and numerators (tickets resolved first
        # time) that are strongly correlated, so the covariance term matters.
        tickets = rng.poisson(8.0, size=n) + 1.0
        resolved = rng.binomial(tickets.astype(int), rate).astype(float)
        return resolved, tickets

    return arm(n_baseline, 0.60), arm(n_pilot, 0.64)


def delta_ratio(x, y):
    ratio = x.mean() / y.mean()
    residual = x - ratio * y
    return ratio, residual.var(ddof=1) / (x.size * y.mean() ** 2)


def test_ratio_comparison_matches_direct_delta_method_on_raw_arrays():
    (xb, yb), (xp, yp) = ratio_arms()
    result = compare_ratios(Comoments.from_values(xb, yb), Comoments.from_values(xp, yp))
    r_b, var_b = delta_ratio(xb, yb)
    r_p, var_p = delta_ratio(xp, yp)
    df = (var_b + var_p) ** 2 / (var_b**2 / (xb.size - 1) + var_p**2 / (xp.size - 1))
    se = math.sqrt(var_b + var_p)
    quantile = stats.t.ppf(0.975, df)
    assert_allclose(result.absolute.estimate, r_p - r_b, rtol=1e-12)
    assert_allclose(result.se, se, rtol=1e-10)
    assert_allclose(result.df, df, rtol=1e-10)
    assert_allclose(result.absolute.ci_low, r_p - r_b - quantile * se, rtol=1e-10)
    assert_allclose(result.p_value, 2 * stats.t.sf(abs(r_p - r_b) / se, df), rtol=1e-9)
    rel_se = math.sqrt(var_p / r_b**2 + r_p**2 * var_b / r_b**4)
    assert_allclose(result.relative.estimate, r_p / r_b - 1, rtol=1e-12)
    assert_allclose(result.relative.ci_high, r_p / r_b - 1 + quantile * rel_se, rtol=1e-10)


def test_ratio_standard_error_agrees_with_a_bootstrap():
    (xb, yb), (xp, yp) = ratio_arms(seed=8)
    result = compare_ratios(Comoments.from_values(xb, yb), Comoments.from_values(xp, yp))
    rng = np.random.default_rng(99)
    draws = []
    for _ in range(2000):
        ib = rng.integers(0, xb.size, xb.size)
        ip = rng.integers(0, xp.size, xp.size)
        draws.append(xp[ip].mean() / yp[ip].mean() - xb[ib].mean() / yb[ib].mean())
    # 2000 resamples estimate an sd to about 1.6 % (1/sqrt(2 * 2000)); allow 8 %.
    assert_allclose(result.se, np.std(draws, ddof=1), rtol=0.08)


def test_ratio_with_zero_denominator_mean_raises():
    with pytest.raises(ValueError, match="baseline denominator has mean zero"):
        compare_ratios(
            Comoments.from_values([1.0, 2.0], [1.0, -1.0]),
            Comoments.from_values([1.0, 2.0], [1.0, 2.0]),
        )


def test_ratio_with_zero_numerator_in_baseline_has_no_relative_change():
    result = compare_ratios(
        Comoments.from_values([0.0, 0.0, 0.0], [2.0, 3.0, 4.0]),
        Comoments.from_values([1.0, 2.0, 2.0], [2.0, 3.0, 3.0]),
    )
    assert result.relative is None


def test_ratio_needs_comoments():
    with pytest.raises(ValueError, match="ratio metric needs Comoments"):
        compare_ratios(Moments.from_values([1.0, 2.0]), Moments.from_values([1.0, 2.0]))
    with pytest.raises(ValueError, match="mean metric needs Moments"):
        compare_means(
            Comoments.from_values([1.0, 2.0], [1.0, 1.0]),
            Comoments.from_values([1.0, 2.0], [1.0, 1.0]),
        )


def test_ratio_groups_need_two_rows():
    with pytest.raises(ValueError, match="pilot group has fewer than 2"):
        compare_ratios(
            Comoments.from_values([1.0, 2.0], [1.0, 3.0]), Comoments.from_values([1.0], [1.0])
        )


def test_compare_dispatches_by_kind():
    baseline, pilot = Moments.from_values(SLEEP_GROUP2), Moments.from_values(SLEEP_GROUP1)
    assert compare(baseline, pilot, "mean") == compare_means(baseline, pilot)
    b, p = proportion_moments(1, 34), proportion_moments(7, 34)
    assert compare(b, p, "proportion", alpha=0.1) == compare_proportions(b, p, alpha=0.1)
    rb, rp = (
        Comoments.from_values([1.0, 2.0], [2.0, 3.0]),
        Comoments.from_values([2.0, 2.0], [3.0, 4.0]),
    )
    assert compare(rb, rp, "ratio") == compare_ratios(rb, rp)
    with pytest.raises(ValueError, match="kind must be one of mean, proportion, ratio"):
        compare(baseline, pilot, "median")


@pytest.mark.parametrize(
    ("direction", "alternative", "sign"), [("increase", "greater", 1), ("decrease", "less", -1)]
)
def test_non_inferiority_of_means_matches_scipy_with_shifted_pilot(direction, alternative, sign):
    rng = np.random.default_rng(21)
    baseline = rng.normal(100.0, 12.0, size=60)
    pilot = rng.normal(99.0, 15.0, size=70)
    margin = 5.0
    result = non_inferiority(
        Moments.from_values(baseline), Moments.from_values(pilot), "mean", margin, direction
    )
    # Testing pilot - baseline against -margin (or +margin) is Welch's test of the
    # pilot shifted by the margin against the baseline.
    expected = stats.ttest_ind(
        pilot + sign * margin, baseline, equal_var=False, alternative=alternative
    )
    assert_allclose(result.statistic, expected.statistic, rtol=1e-12)
    assert_allclose(result.p_value, expected.pvalue, rtol=1e-10)
    assert_allclose(result.df, expected.df, rtol=1e-12)
    assert result.detail("margin") == margin


def test_non_inferiority_of_proportions_matches_statsmodels_wald():
    result = non_inferiority(
        proportion_moments(350, 1000), proportion_moments(330, 1000), "proportion", 0.05, "increase"
    )
    expected = sm_proportion.test_proportions_2indep(
        330, 1000, 350, 1000, value=-0.05, method="wald", alternative="larger"
    )
    assert_allclose(
        [result.statistic, result.p_value], [expected.statistic, expected.pvalue], rtol=1e-12
    )
    assert result.df is None


def test_non_inferiority_of_ratios_uses_the_ratio_standard_error():
    (xb, yb), (xp, yp) = ratio_arms(seed=12)
    baseline, pilot = Comoments.from_values(xb, yb), Comoments.from_values(xp, yp)
    plain = compare_ratios(baseline, pilot)
    result = non_inferiority(baseline, pilot, "ratio", 0.01, "decrease")
    statistic = (plain.absolute.estimate - 0.01) / plain.se
    assert_allclose(result.statistic, statistic, rtol=1e-12)
    assert_allclose(result.p_value, stats.t.cdf(statistic, plain.df), rtol=1e-10)


@pytest.mark.parametrize("margin", [0.0, 0.5, 1.0, 1.5, 2.5, 4.0])
@pytest.mark.parametrize("direction", ["increase", "decrease"])
def test_non_inferiority_decision_agrees_with_interval_bound(margin, direction):
    baseline = Moments.from_summary(50, 10.0, 3.0)
    pilot = Moments.from_summary(50, 9.0 if direction == "increase" else 11.0, 3.0)
    result = non_inferiority(baseline, pilot, "mean", margin, direction, alpha=0.05)
    if direction == "increase":
        inside = result.absolute.ci_low > -margin
    else:
        inside = result.absolute.ci_high < margin
    assert (result.p_value < 0.05) == inside


def test_non_inferiority_rejects_bad_margin_and_direction():
    baseline, pilot = Moments.from_values([1.0, 2.0, 3.0]), Moments.from_values([1.0, 2.0, 4.0])
    with pytest.raises(ValueError, match="margin must be a finite number ≥ 0"):
        non_inferiority(baseline, pilot, "mean", -1.0, "increase")
    with pytest.raises(ValueError, match="direction must be 'increase'"):
        non_inferiority(baseline, pilot, "mean", 1.0, "up")
    with pytest.raises(ValueError, match="neither group varies"):
        non_inferiority(
            proportion_moments(20, 20), proportion_moments(0, 20), "proportion", 0.1, "increase"
        )


def test_group_estimate_helpers():
    b, p = GroupEstimate(10.0, 1.0, 50), GroupEstimate(12.0, 1.0, 50)
    assert_allclose(welch_df(b, p), 98.0, rtol=1e-12)
    assert relative_lift(GroupEstimate(0.0, 1.0, 5), p) is None
