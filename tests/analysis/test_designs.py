"""Difference in differences, interrupted time series and threshold regression."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose
from statsmodels.regression.linear_model import OLS

from analysis.designs import (
    difference_in_differences,
    interrupted_time_series,
    threshold_regression,
)


def agent_panel(seed, effect=1.5, agents=60, weeks=8, pilot_agents=20):
    """Agents observed weekly; the first ``pilot_agents`` join the pilot from week 4."""
    rng = np.random.default_rng(seed)
    agent = np.repeat(np.arange(agents), weeks)
    week = np.tile(np.arange(weeks), agents)
    pilot = (agent < pilot_agents).astype(int)
    post = (week >= weeks // 2).astype(int)
    y = (
        rng.normal(0, 1, agents)[agent]
        + 0.3 * week
        + 0.5 * pilot
        + effect * pilot * post
        + rng.normal(0, 1, agent.size)
    )
    return pd.DataFrame({"y": y, "pilot": pilot, "post": post, "agent": agent})


class TestDifferenceInDifferences:
    def test_estimate_is_the_difference_of_cell_mean_differences(self):
        panel = agent_panel(1).sample(frac=0.7, random_state=3)  # unbalanced cells
        means = panel.groupby(["pilot", "post"]).y.mean()
        expected = (means[1, 1] - means[1, 0]) - (means[0, 1] - means[0, 0])
        result = difference_in_differences(panel.y, panel.pilot, panel.post)
        assert_allclose(result.absolute.estimate, expected, rtol=1e-12)
        assert_allclose(result.detail("baseline_change"), means[0, 1] - means[0, 0], rtol=1e-12)
        assert_allclose(result.detail("pre_gap"), means[1, 0] - means[0, 0], rtol=1e-12)

    def test_clustered_inference_equals_statsmodels(self):
        panel = agent_panel(2)
        result = difference_in_differences(panel.y, panel.pilot, panel.post, cluster=panel.agent)
        # statsmodels' own cluster-robust fit (CR1, t with G − 1 df) on the same data.
        reference = smf.ols("y ~ pilot * post", panel).fit(
            cov_type="cluster", cov_kwds={"groups": panel.agent}, use_t=True
        )
        assert_allclose(result.se, reference.bse["pilot:post"], rtol=1e-10)
        assert_allclose(result.p_value, reference.pvalues["pilot:post"], rtol=1e-8)
        assert_allclose(
            [result.absolute.ci_low, result.absolute.ci_high],
            reference.conf_int().loc["pilot:post"],
            rtol=1e-10,
        )
        assert result.df == 59
        assert result.detail("clusters") == 60

    def test_unclustered_inference_equals_statsmodels_hc1(self):
        panel = agent_panel(3)
        result = difference_in_differences(panel.y, panel.pilot, panel.post)
        reference = smf.ols("y ~ pilot * post", panel).fit(cov_type="HC1", use_t=True)
        assert_allclose(result.se, reference.bse["pilot:post"], rtol=1e-10)
        assert_allclose(result.p_value, reference.pvalues["pilot:post"], rtol=1e-8)
        assert result.df == len(panel) - 4

    def test_string_cluster_labels_give_the_same_result(self):
        panel = agent_panel(4)
        by_number = difference_in_differences(panel.y, panel.pilot, panel.post, panel.agent)
        labels = [f"agent-{a}" for a in panel.agent]
        by_name = difference_in_differences(panel.y, panel.pilot, panel.post, labels)
        assert by_name == by_number

    def test_simulated_panel_recovers_the_known_effect(self):
        panel = agent_panel(5, effect=1.5)
        result = difference_in_differences(panel.y, panel.pilot, panel.post, cluster=panel.agent)
        assert result.absolute.ci_low < 1.5 < result.absolute.ci_high
        assert result.p_value < 0.001

    def test_interval_covers_the_effect_at_about_the_stated_rate(self):
        covered = []
        for seed in range(200):
            panel = agent_panel(100 + seed, effect=0.8)
            result = difference_in_differences(
                panel.y, panel.pilot, panel.post, cluster=panel.agent, alpha=0.1
            )
            covered.append(result.absolute.ci_low < 0.8 < result.absolute.ci_high)
        assert 0.83 <= np.mean(covered) <= 0.96

    def test_relative_is_against_the_pilots_counterfactual(self):
        panel = agent_panel(6)
        panel["y"] += 10
        result = difference_in_differences(panel.y, panel.pilot, panel.post)
        means = panel.groupby(["pilot", "post"]).y.mean()
        counterfactual = means[1, 0] + (means[0, 1] - means[0, 0])
        assert_allclose(result.relative.estimate, result.absolute.estimate / counterfactual)
        assert result.relative.ci_low < result.relative.estimate < result.relative.ci_high

    def test_relative_is_missing_when_the_counterfactual_is_zero(self):
        y = [0, 0, -2, -2, 1, 3, 4, 6]  # pilot pre mean 2, baseline change −2
        pilot = [0, 0, 0, 0, 1, 1, 1, 1]
        post = [0, 0, 1, 1, 0, 0, 1, 1]
        result = difference_in_differences(y, pilot, post)
        assert result.relative is None
        assert any("not clearly away from zero" in note for note in result.notes)

    def test_few_clusters_are_noted(self):
        panel = agent_panel(7, agents=12, pilot_agents=4)
        result = difference_in_differences(panel.y, panel.pilot, panel.post, cluster=panel.agent)
        assert any("few clusters" in note for note in result.notes)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda p: p.assign(post=0), "post-period rows"),
            (lambda p: p.assign(pilot=p.pilot * 2), "True/False"),
            (lambda p: p.assign(y=np.nan), "missing"),
            (lambda p: p.assign(y=3.0), "does not vary"),
            (lambda p: p.assign(agent=np.where(p.pilot == 1, 0, p.agent)), "pilot group has 1"),
        ],
    )
    def test_bad_input_is_refused(self, change, message):
        panel = change(agent_panel(8))
        with pytest.raises(ValueError, match=message):
            difference_in_differences(panel.y, panel.pilot, panel.post, cluster=panel.agent)

    def test_mismatched_lengths_are_refused(self):
        with pytest.raises(ValueError, match="one value per y"):
            difference_in_differences([1, 2, 3], [0, 1], [0, 1, 1])


def weekly_series(seed, level_change=2.0, slope_change=-0.03, n=120, start=60, phi=0.6):
    rng = np.random.default_rng(seed)
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = phi * noise[i - 1] + rng.normal()
    t = np.arange(n, dtype=float)
    after = t >= start
    y = 10 + 0.05 * t + level_change * after + slope_change * (t - start) * after + noise
    return t, y


class TestInterruptedTimeSeries:
    def test_equals_statsmodels_segmented_regression_with_hac(self):
        t, y = weekly_series(1)
        result = interrupted_time_series(t, y, intervention=60, maxlags=5)
        after = (t >= 60).astype(float)
        design = np.column_stack([np.ones_like(t), t, after, (t - 60) * after])
        # The same model in statsmodels with its own HAC (small-sample factor on).
        reference = OLS(y, design).fit(
            cov_type="HAC", cov_kwds={"maxlags": 5, "use_correction": True}, use_t=True
        )
        assert_allclose(result.absolute.estimate, reference.params[2], rtol=1e-9)
        assert_allclose(result.se, reference.bse[2], rtol=1e-9)
        assert_allclose(result.p_value, reference.pvalues[2], rtol=1e-7)
        assert_allclose(result.detail("slope_change"), reference.params[3], rtol=1e-9)
        assert_allclose(result.detail("slope_change_p_value"), reference.pvalues[3], rtol=1e-7)
        assert_allclose(result.detail("pre_slope"), reference.params[1], rtol=1e-9)
        assert_allclose(
            [result.absolute.ci_low, result.absolute.ci_high], reference.conf_int()[2], rtol=1e-9
        )
        assert result.df == len(t) - 4

    def test_simulation_recovers_the_known_level_change(self):
        t, y = weekly_series(0, level_change=2.0, phi=0.3)
        result = interrupted_time_series(t, y, intervention=60)
        assert result.absolute.ci_low < 2.0 < result.absolute.ci_high
        assert result.p_value < 0.01
        low, high = result.detail("slope_change_ci_low"), result.detail("slope_change_ci_high")
        assert low < -0.03 < high

    def test_interval_covers_the_level_change_near_the_stated_rate(self):
        # Newey-West runs a little narrow on short autocorrelated series (see Notes).
        covered = [
            interrupted_time_series(*weekly_series(seed, phi=0.3), intervention=60).absolute
            for seed in range(200)
        ]
        rate = np.mean([est.ci_low < 2.0 < est.ci_high for est in covered])
        assert 0.85 <= rate <= 0.98

    def test_default_lags_follow_the_newey_west_rule(self):
        t, y = weekly_series(3, n=300, start=150)
        result = interrupted_time_series(t, y, intervention=150)
        assert result.detail("maxlags") == math.floor(4 * (300 / 100) ** (2 / 9))

    def test_dates_are_measured_in_days(self):
        t, y = weekly_series(4)
        dates = np.datetime64("2024-01-01") + t.astype("timedelta64[D]")
        by_date = interrupted_time_series(dates, y, intervention="2024-03-01")
        by_number = interrupted_time_series(t, y, intervention=60)  # 1 March is day 60
        assert by_date == by_number

    def test_order_of_rows_does_not_matter(self):
        t, y = weekly_series(5)
        order = np.random.default_rng(0).permutation(t.size)
        assert interrupted_time_series(t[order], y[order], 60) == interrupted_time_series(t, y, 60)

    def test_relative_is_against_the_pre_trend_at_the_intervention(self):
        t, y = weekly_series(6)
        result = interrupted_time_series(t, y, intervention=60)
        level = result.detail("counterfactual_level")
        assert_allclose(result.relative.estimate, result.absolute.estimate / level)

    @pytest.mark.parametrize(
        ("time", "intervention", "maxlags", "message"),
        [
            (np.r_[0, 0, 1, 2, 3, 4, 5, 6], 3, None, "repeated"),
            (np.arange(8), 6, None, "at least three"),
            (np.arange(8), "2024-01-01", None, "same kind"),
            (np.datetime64("2024-01-01") + np.arange(8), 4, None, "same kind"),
            (np.arange(8), 4, 8, "maxlags"),
            (np.arange(8), 4, 1.5, "maxlags"),
        ],
    )
    def test_bad_input_is_refused(self, time, intervention, maxlags, message):
        y = np.random.default_rng(0).normal(size=8)
        with pytest.raises(ValueError, match=message):
            interrupted_time_series(time, y, intervention, maxlags=maxlags)

    def test_exact_segments_are_refused(self):
        t = np.arange(10.0)
        with pytest.raises(ValueError, match="does not vary"):
            interrupted_time_series(t, 1 + 0.5 * t + 2 * (t >= 5), intervention=5)


def agent_weeks(seed, n=4000, threshold=0.70, jump=0.8, noise=0.03):
    """Weekly occupancy and turnover: flat turnover until the threshold, then rising sharply."""
    rng = np.random.default_rng(seed)
    occupancy = rng.uniform(0.5, 0.9, n)
    turnover = (
        0.04
        + 0.02 * occupancy
        + jump * np.maximum(0, occupancy - threshold)
        + noise * rng.normal(size=n)
    )
    return occupancy, turnover


class TestThresholdRegression:
    def test_recovers_the_occupancy_threshold(self):
        occupancy, turnover = agent_weeks(1)
        result = threshold_regression(occupancy, turnover)
        assert abs(result.detail("threshold") - 0.70) < 0.01
        assert result.detail("threshold_ci_low") <= 0.70 <= result.detail("threshold_ci_high")
        assert result.absolute.ci_low < 0.8 < result.absolute.ci_high
        assert result.p_value == pytest.approx(1 / 1000)
        assert_allclose(
            result.detail("slope_above") - result.detail("slope_below"), result.absolute.estimate
        )

    def test_purely_linear_truth_gives_no_small_p_value(self):
        occupancy, turnover = agent_weeks(2, jump=0.0)
        turnover += 0.3 * occupancy
        result = threshold_regression(occupancy, turnover)
        assert result.p_value > 0.2
        assert any("no clear threshold" in note for note in result.notes)

    def test_linear_truth_with_spread_growing_past_the_threshold_is_not_a_threshold(self):
        # The wild bootstrap keeps the null distribution honest when the spread changes with x.
        rng = np.random.default_rng(3)
        occupancy = rng.uniform(0.5, 0.9, 3000)
        spread = np.where(occupancy > 0.7, 0.08, 0.01)
        turnover = 0.3 * occupancy + spread * rng.normal(size=occupancy.size)
        assert threshold_regression(occupancy, turnover).p_value > 0.05

    def test_matches_a_direct_least_squares_search(self):
        occupancy, turnover = agent_weeks(4, n=500, jump=0.3)
        grid = np.linspace(0.55, 0.85, 31)
        result = threshold_regression(occupancy, turnover, grid=grid, n_resamples=99)
        fits = []
        for tau in grid:
            design = np.column_stack(
                [np.ones_like(occupancy), occupancy, np.maximum(0, occupancy - tau)]
            )
            coef, rss, *_ = np.linalg.lstsq(design, turnover)
            fits.append((rss[0], tau, coef))
        rss_hinge, tau, coef = min(fits, key=lambda fit: fit[0])
        line = np.column_stack([np.ones_like(occupancy), occupancy])
        rss_line = np.linalg.lstsq(line, turnover)[1][0]
        assert result.detail("threshold") == tau
        assert_allclose(result.detail("slope_below"), coef[1], rtol=1e-9)
        assert_allclose(result.absolute.estimate, coef[2], rtol=1e-9)
        assert_allclose(result.statistic, (rss_line - rss_hinge) / (rss_hinge / 497), rtol=1e-8)

    def test_same_seed_gives_the_same_result(self):
        occupancy, turnover = agent_weeks(5, n=1000, jump=0.2)
        first = threshold_regression(occupancy, turnover, n_resamples=199, seed=7)
        again = threshold_regression(occupancy, turnover, n_resamples=199, seed=7)
        other = threshold_regression(occupancy, turnover, n_resamples=199, seed=8)
        assert first == again
        assert first.absolute != other.absolute

    @pytest.mark.parametrize(
        ("x", "y", "options", "message"),
        [
            (np.full(20, 0.7), np.arange(20.0), {}, "three distinct"),
            (np.repeat([0.6, 0.8], 10), np.arange(20.0), {}, "three distinct"),
            (np.linspace(0.5, 0.9, 20), np.ones(20), {}, "y is constant"),
            (np.linspace(0.5, 0.9, 20), 2 * np.linspace(0.5, 0.9, 20), {}, "straight line"),
            (np.linspace(0.5, 0.9, 5), np.arange(5.0), {}, "at least 10"),
            (np.linspace(0.5, 0.9, 20), np.arange(20.0) ** 2, {"grid": [0.95]}, "strictly"),
            (np.linspace(0.5, 0.9, 20), np.arange(20.0) ** 2, {"n_resamples": 10}, "99"),
            (np.linspace(0.5, 0.9, 20), np.arange(19.0), {}, "same length"),
        ],
    )
    def test_bad_input_is_refused(self, x, y, options, message):
        with pytest.raises(ValueError, match=message):
            threshold_regression(x, y, **options)
