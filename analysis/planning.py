"""Planning a pilot before its data: observations per group and weeks needed, by design."""

from __future__ import annotations

import math
from dataclasses import dataclass

from analysis.power import sample_size_per_group, weeks_remaining

DESIGNS = ("concurrent", "pre_post", "did")
# Observations a design needs, in groups × periods of ``n_per_group`` each.
CELLS = {"concurrent": 2, "pre_post": 2, "did": 4}


@dataclass(frozen=True)
class PilotPlan:
    """How large a pilot must be to detect its minimum effect, and how long it must run.

    ``n_per_group`` is the number of observations each group needs in the pilot
    period; a pre/post design needs as many in the period before, a
    difference-in-differences as many again in each group's period before.
    ``n_two_groups`` is the unrounded size per group of a plain two-group
    comparison of single observations, and ``variance_factor`` how much the
    design multiplies the variance of that comparison's estimate at the same
    size per group (below 1: the design needs fewer observations).
    """

    design: str
    effect_size: float
    n_two_groups: float
    variance_factor: float
    n_per_group: int
    clusters_per_group: int | None
    total_observations: int
    weeks: float | None
    weeks_before: float | None
    approximation: str


def plan_pilot(
    minimum_effect: float,
    sd: float | None = None,
    baseline_proportion: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    design: str = "concurrent",
    weekly_per_group: float | None = None,
    correlation: float = 0.0,
    icc: float = 0.0,
    cluster_size: float = 1.0,
    cluster_autocorrelation: float = 0.0,
) -> PilotPlan:
    """Observations per group, and weeks, for a two-sided test to detect ``minimum_effect``.

    The effect is standardised first: d = |effect| / sd for a mean (or a ratio
    taken per observation), Cohen's h = 2 asin √(p + effect) − 2 asin √p for a
    proportion p. Then, by design:

    - ``concurrent`` and ``pre_post`` (the pilot group before against after)
      compare two groups of observations. Where the analysis adjusts a mean for
      each observation's value before the pilot (the stored ``covariate``,
      CUPED), the residual variance is σ²(1 − ρ²) with ρ = ``correlation``
      (ANCOVA with one baseline measurement, Frison and Pocock 1992; Borm et
      al. 2007), so the size is the two-sample t-test's for d / √(1 − ρ²),
      about (1 − ρ²) times the size without the covariate.
    - ``did`` compares the change of k clusters (sites, agents) per group of m
      = ``cluster_size`` observations per period each. With the intra-cluster
      correlation ρ = ``icc`` and the share π = ``cluster_autocorrelation`` of
      the cluster effect that persists from the period before to the pilot
      period, a cluster's mean has variance (σ²/m)(1 + (m − 1)ρ) and its means
      in the two periods correlate by r = mρπ / (1 + (m − 1)ρ), so its change
      has variance V σ² with V = (2/m)(1 + (m − 1)ρ)(1 − r) (Hooper et al.
      2016; Teerenstra et al. 2012). The difference-in-differences is the
      difference of the two groups' mean changes, so k is the two-sample
      t-test's size for d / √V (on 2k − 2 degrees of freedom, close to the
      analysis' G − 1), and each group needs k·m observations per period.
      Against a two-group comparison of the same size per group the variance
      is 2(1 + (m − 1)ρ)(1 − r) times larger: the design effect 1 + (m − 1)ρ,
      doubled because each group's change takes two periods, times (1 − r).
      Without clusters (m = 1, ρ = 0) each of the four cells needs twice the
      two-group size, four times the observations in all.

    Means use the t distribution, as the Welch t-test run on them; proportions
    in the two-group designs the normal distribution, as their z-test (and
    :func:`analysis.power.proportion_sample_size`); difference-in-differences
    always the t distribution, as its regression.

    Parameters
    ----------
    minimum_effect : float
        Smallest change worth acting on, pilot − baseline, in the metric's units
        (a proportion's as a difference of proportions, signed: −0.05 for five
        points fewer).
    sd : float, optional
        Standard deviation of one observation of a mean metric.
    baseline_proportion : float, optional
        Expected proportion in the baseline; give this or ``sd``.
    alpha, power : float
        Two-sided significance level, wanted probability of detecting the effect.
    design : {"concurrent", "pre_post", "did"}
    weekly_per_group : float, optional
        Observations each group is expected to produce per week.
    correlation : float
        Correlation of a mean metric with its pre-pilot covariate, for
        ``concurrent`` and ``pre_post`` (0: no adjustment).
    icc, cluster_size, cluster_autocorrelation : float
        For ``did`` only: intra-cluster correlation (0 ≤ ρ < 1), observations per
        cluster per period (m ≥ 1), persisting share of the cluster effect (0 ≤ π
        ≤ 1; 0 is the cautious choice when unknown).

    Returns
    -------
    PilotPlan

    References
    ----------
    .. [1] Frison, L. and Pocock, S. J. (1992). Repeated measures in clinical
       trials: analysis using mean summary statistics and its implications for
       design. Statistics in Medicine 11, 1685-1704.
    .. [2] Borm, G. F., Fransen, J. and Lemmens, W. A. J. G. (2007). A simple
       sample size formula for analysis of covariance in randomized clinical
       trials. Journal of Clinical Epidemiology 60, 1234-1238.
    .. [3] Hooper, R., Teerenstra, S., de Hoop, E. and Eldridge, S. (2016).
       Sample size calculation for stepped wedge and other longitudinal cluster
       randomised trials. Statistics in Medicine 35, 4718-4728.
    .. [4] Teerenstra, S., Eldridge, S., Graff, M., de Hoop, E. and Borm, G. F.
       (2012). A simple sample size formula for analysis of covariance in
       cluster randomized trials. Statistics in Medicine 31, 2169-2178.
    .. [5] Donner, A. and Klar, N. (2000). Design and Analysis of Cluster
       Randomization Trials in Health Research, ch. 5. Arnold.

    Examples
    --------
    >>> plan = plan_pilot(5.0, sd=10.0, weekly_per_group=16)
    >>> round(plan.n_two_groups, 2), plan.n_per_group, plan.weeks
    (63.77, 64, 4.0)
    >>> plan_pilot(5.0, sd=10.0, design="did").n_per_group
    127
    """
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)}; got {design!r}")
    effect_size, approximation = _standardised(minimum_effect, sd, baseline_proportion)
    _check_share("correlation", correlation, -1, 1, upper_open=True, lower_open=True)
    if design == "did":
        approximation = "t"
        factor, per_cluster = _did_factor(correlation, icc, cluster_size, cluster_autocorrelation)
    else:
        factor, per_cluster = _covariate_factor(
            correlation, baseline_proportion, icc, cluster_size, cluster_autocorrelation
        )
    n_two_groups = sample_size_per_group(effect_size, alpha, power, approximation=approximation)
    # The unit of analysis is an observation, or for did a cluster's change.
    unit_effect = effect_size / math.sqrt(factor / per_cluster)
    units = math.ceil(sample_size_per_group(unit_effect, alpha, power, approximation=approximation))
    # Less a hair, so that 11.000000000000002 observations (1.1 × 10) count as 11.
    n_per_group = math.ceil(units * per_cluster - 1e-9)
    weeks = None if weekly_per_group is None else weeks_remaining(weekly_per_group, 0, n_per_group)
    return PilotPlan(
        design=design,
        effect_size=effect_size,
        n_two_groups=n_two_groups,
        variance_factor=factor,
        n_per_group=n_per_group,
        clusters_per_group=units if design == "did" else None,
        total_observations=CELLS[design] * n_per_group,
        weeks=weeks,
        weeks_before=None if design == "concurrent" else weeks,
        approximation=approximation,
    )


def _standardised(minimum_effect, sd, baseline_proportion) -> tuple[float, str]:
    """The effect in standard deviations (d, or h for a proportion) and its approximation."""
    if not (math.isfinite(minimum_effect) and minimum_effect != 0):
        raise ValueError(f"the minimum effect must be a non-zero number, got {minimum_effect}")
    if (sd is None) == (baseline_proportion is None):
        raise ValueError("give the spread (sd) of a mean or the baseline proportion, not both")
    if sd is not None:
        if not (math.isfinite(sd) and sd > 0):
            raise ValueError(f"the standard deviation must be a positive number, got {sd}")
        return abs(minimum_effect) / sd, "t"
    _check_share("the baseline proportion", baseline_proportion, 0, 1, True, True)
    expected = baseline_proportion + minimum_effect
    if not 0 < expected < 1:
        raise ValueError(
            f"a baseline proportion of {baseline_proportion:g} changed by {minimum_effect:g} "
            f"gives {expected:g}, outside 0 to 1; give the effect as a difference of "
            "proportions (−0.05 for five points fewer)"
        )
    h = 2 * math.asin(math.sqrt(expected)) - 2 * math.asin(math.sqrt(baseline_proportion))
    return abs(h), "normal"


def _covariate_factor(correlation, baseline_proportion, icc, cluster_size, autocorrelation):
    if (icc, cluster_size, autocorrelation) != (0, 1, 0):
        raise ValueError(
            "the ICC, cluster size and cluster autocorrelation apply to "
            "difference-in-differences only; the two-group tests treat observations as "
            "independent"
        )
    if correlation and baseline_proportion is not None:
        raise ValueError(
            "the analysis adjusts means only for a pre-pilot covariate; "
            "leave the correlation at 0 for a proportion"
        )
    return 1 - correlation**2, 1.0


def _did_factor(correlation, icc, cluster_size, autocorrelation):
    if correlation:
        raise ValueError(
            "for difference-in-differences give the ICC and the cluster autocorrelation "
            "instead of the correlation with a covariate"
        )
    _check_share("the ICC", icc, 0, 1, upper_open=True)
    _check_share("the cluster autocorrelation", autocorrelation, 0, 1)
    if not (math.isfinite(cluster_size) and cluster_size >= 1):
        raise ValueError(
            f"the cluster size (observations per cluster per period) must be at least 1, "
            f"got {cluster_size}"
        )
    m = cluster_size
    design_effect = 1 + (m - 1) * icc
    r = m * icc * autocorrelation / design_effect
    if not r < 1:
        raise ValueError(
            "with this ICC, cluster size and autocorrelation the period before predicts "
            "the pilot period exactly; lower the cluster autocorrelation"
        )
    return 2 * design_effect * (1 - r), m


def _check_share(name, value, low, high, upper_open=False, lower_open=False):
    below = value <= low if lower_open else value < low
    above = value >= high if upper_open else value > high
    if not math.isfinite(value) or below or above:
        left, right = "(" if lower_open else "[", ")" if upper_open else "]"
        raise ValueError(f"{name} must lie in {left}{low}, {high}{right}, got {value}")
