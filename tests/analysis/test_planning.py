"""Planning a pilot before its data: against statsmodels, the published value and a simulation."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from analysis.designs import difference_in_differences
from analysis.planning import plan_pilot
from analysis.power import proportion_sample_size, two_sample_power


def t_size(effect_size, alpha=0.05, power=0.8):
    return TTestIndPower().solve_power(effect_size, alpha=alpha, power=power)


def test_concurrent_mean_matches_the_published_size_and_statsmodels():
    # /work reference: two-sample t-test, d = 0.5, alpha 0.05 two-sided, power 0.8 -> 63.77
    # per group (two decimals, so rtol 1e-4); statsmodels TTestIndPower solves the same
    # noncentral-t equation, agreement to the solvers' tolerance (rtol 1e-6).
    plan = plan_pilot(5.0, sd=10.0, weekly_per_group=16)
    assert_allclose(plan.n_two_groups, 63.77, rtol=1e-4)
    assert_allclose(plan.n_two_groups, t_size(0.5), rtol=1e-6)
    assert (plan.n_per_group, plan.total_observations) == (64, 128)
    assert plan.weeks == 4.0
    assert plan.weeks_before is None
    assert plan.variance_factor == 1.0


def test_concurrent_proportion_matches_statsmodels_normal_ind_power():
    # Cohen's h from statsmodels' proportion_effectsize, solved by NormalIndPower: the
    # same normal equation, rtol 1e-6.
    plan = plan_pilot(-0.05, baseline_proportion=0.20, alpha=0.05, power=0.9)
    h = proportion_effectsize(0.15, 0.20)
    expected = NormalIndPower().solve_power(h, alpha=0.05, power=0.9)
    assert_allclose(plan.n_two_groups, expected, rtol=1e-6)
    assert_allclose(plan.n_two_groups, proportion_sample_size(0.20, 0.15, power=0.9), rtol=1e-9)
    assert plan.n_per_group == math.ceil(expected)
    assert plan.approximation == "normal"


@pytest.mark.parametrize("design", ["concurrent", "pre_post"])
def test_a_covariate_shrinks_the_size_by_one_minus_rho_squared(design):
    # Frison & Pocock (1992), Borm et al. (2007): ANCOVA on one pre-measurement with
    # correlation rho leaves sd * sqrt(1 - rho^2), so the t-test's size for d / sqrt(1 - rho^2).
    plan = plan_pilot(5.0, sd=10.0, design=design, correlation=0.6, weekly_per_group=10)
    assert_allclose(plan.variance_factor, 0.64, rtol=1e-12)
    assert plan.n_per_group == math.ceil(t_size(0.5 / math.sqrt(0.64)))
    # About (1 - rho^2) times the plain size: Borm et al.'s n_ANCOVA ≈ (1 - rho^2) n + 1.
    assert abs(plan.n_per_group - 0.64 * plan.n_two_groups) <= 2
    if design == "pre_post":
        assert plan.weeks_before == plan.weeks == plan.n_per_group / 10


def test_did_without_clusters_needs_twice_the_size_in_each_of_four_cells():
    # Var(DiD) = 4 sigma^2 / n against 2 sigma^2 / n for two groups: each cell needs the
    # two-group size for d / sqrt(2), about twice the two-group size, four times in all.
    plan = plan_pilot(5.0, sd=10.0, design="did", weekly_per_group=20)
    assert plan.variance_factor == 2.0
    assert plan.n_per_group == math.ceil(t_size(0.5 / math.sqrt(2)))
    assert abs(plan.n_per_group - 2 * plan.n_two_groups) <= 2
    assert plan.total_observations == 4 * plan.n_per_group
    assert plan.weeks == plan.weeks_before == plan.n_per_group / 20


def test_did_with_clusters_uses_the_design_effect_and_the_autocorrelation():
    # Hooper et al. (2016): cluster means of m observations have variance
    # (sigma^2 / m)(1 + (m - 1) icc) and correlate across periods by
    # r = m icc pi / (1 + (m - 1) icc).
    icc, m, pi = 0.05, 20, 0.5
    design_effect = 1 + (m - 1) * icc
    r = m * icc * pi / design_effect
    plan = plan_pilot(
        2.0, sd=10.0, design="did", icc=icc, cluster_size=m, cluster_autocorrelation=pi
    )
    assert_allclose(plan.variance_factor, 2 * design_effect * (1 - r), rtol=1e-12)
    change_variance = 2 / m * design_effect * (1 - r)
    clusters = math.ceil(t_size(0.2 / math.sqrt(change_variance)))
    assert (plan.clusters_per_group, plan.n_per_group) == (clusters, clusters * m)
    # Without the persistence the clusters' effects do not cancel: more clusters.
    cautious = plan_pilot(2.0, sd=10.0, design="did", icc=icc, cluster_size=m)
    assert cautious.clusters_per_group > plan.clusters_per_group


def test_a_seeded_simulation_of_clustered_did_has_the_planned_power_and_variance():
    icc, m, pi, effect, alpha = 0.1, 10, 0.6, 0.3, 0.05
    plan = plan_pilot(
        effect,
        sd=1.0,
        alpha=alpha,
        design="did",
        icc=icc,
        cluster_size=m,
        cluster_autocorrelation=pi,
    )
    k = plan.clusters_per_group
    rng = np.random.default_rng(20261202)
    reps = 4000
    # sigma^2 = 1 split into a persistent cluster effect, a cluster-period effect and noise.
    persistent = rng.normal(0, math.sqrt(icc * pi), (reps, 2, k, 1, 1))
    period = rng.normal(0, math.sqrt(icc * (1 - pi)), (reps, 2, k, 2, 1))
    noise = rng.normal(0, math.sqrt(1 - icc), (reps, 2, k, 2, m))
    y = persistent + period + noise
    y[:, 1, :, 1, :] += effect  # group 1 is the pilot, period 1 the pilot period
    changes = y[..., 1, :].mean(axis=-1) - y[..., 0, :].mean(axis=-1)  # (reps, group, k)
    did = changes[:, 1].mean(axis=-1) - changes[:, 0].mean(axis=-1)

    # The simulated estimate is the product's: OLS interaction on the raw rows of one run.
    one = y[0]
    group, cluster, when, _ = np.indices(one.shape)
    product = difference_in_differences(
        one.ravel(), group.ravel() == 1, when.ravel() == 1, cluster=(group * k + cluster).ravel()
    )
    assert_allclose(product.absolute.estimate, did[0], rtol=1e-10)

    # Variance of the estimate: 2 V sigma^2 / k. 4000 runs give the sample variance a
    # relative standard error of sqrt(2 / 3999) = 2.2%; rtol 0.08 is 3.5 of them.
    change_variance = plan.variance_factor / m
    assert_allclose(did.var(ddof=1), 2 * change_variance / k, rtol=0.08)

    # Power of the t-test on the clusters' changes at the planned k, against the power
    # the plan promises there (at least 0.8); Monte Carlo se sqrt(0.8 * 0.2 / 4000) =
    # 0.0063, so atol 0.022 is 3.5 of them.
    p_values = stats.ttest_ind(changes[:, 1], changes[:, 0], axis=-1).pvalue
    promised = two_sample_power(effect / math.sqrt(change_variance), k, alpha)
    assert promised >= 0.8
    assert_allclose(np.mean(p_values < alpha), promised, atol=0.022)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"minimum_effect": 0, "sd": 1}, "minimum effect must be a non-zero number"),
        ({"minimum_effect": 1}, "give the spread \\(sd\\) of a mean or the baseline proportion"),
        (
            {"minimum_effect": 1, "sd": 1, "baseline_proportion": 0.2},
            "give the spread \\(sd\\) of a mean or the baseline proportion",
        ),
        ({"minimum_effect": 1, "sd": -2}, "standard deviation must be a positive number"),
        ({"minimum_effect": 0.1, "baseline_proportion": 1.2}, "baseline proportion must lie in"),
        ({"minimum_effect": -0.3, "baseline_proportion": 0.2}, "outside 0 to 1"),
        ({"minimum_effect": 1, "sd": 1, "design": "its"}, "design must be one of"),
        ({"minimum_effect": 1, "sd": 1, "correlation": 1.0}, "correlation must lie in"),
        ({"minimum_effect": 1, "sd": 1, "icc": 0.1}, "difference-in-differences only"),
        (
            {"minimum_effect": 0.05, "baseline_proportion": 0.2, "correlation": 0.5},
            "adjusts means only",
        ),
        (
            {"minimum_effect": 1, "sd": 1, "design": "did", "correlation": 0.5},
            "give the ICC and the cluster autocorrelation instead",
        ),
        ({"minimum_effect": 1, "sd": 1, "design": "did", "icc": 1.0}, "the ICC must lie in"),
        (
            {"minimum_effect": 1, "sd": 1, "design": "did", "cluster_size": 0.5},
            "cluster size \\(observations per cluster per period\\) must be at least 1",
        ),
        (
            {"minimum_effect": 1, "sd": 1, "design": "did", "cluster_autocorrelation": 2},
            "cluster autocorrelation must lie in",
        ),
        ({"minimum_effect": 1, "sd": 1, "alpha": 0.9, "power": 0.8}, "power must lie between"),
        ({"minimum_effect": 1, "sd": 1, "weekly_per_group": 0}, "weekly rate per group"),
    ],
)
def test_unusable_plans_are_refused_with_the_reason(arguments, message):
    with pytest.raises(ValueError, match=message):
        plan_pilot(**arguments)
