"""Fixed-sample comparisons of a pilot with its baseline: means, proportions, ratios."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from scipy import stats

from analysis.results import Comparison, Estimate
from analysis.sufficient import Comoments, Moments

KINDS = ("mean", "proportion", "ratio")
DIRECTIONS = ("increase", "decrease")

ZERO_BASELINE_NOTE = "No relative change: the baseline is zero, so pilot / baseline is undefined."
FLAT_RELATIVE_NOTE = (
    "Neither group varies, so the interval for the relative change has no width; "
    "read it as a description of these data, not as a statement of certainty."
)


@dataclass(frozen=True)
class GroupEstimate:
    """One group's estimate of a metric and the variance of that estimate.

    ``estimate`` is a mean, a proportion or a ratio of means; ``variance`` is
    the squared standard error of ``estimate`` (not the variance of the
    observations); ``n`` is the number of observations behind it.
    """

    estimate: float
    variance: float
    n: int


def proportion_moments(successes: int, n: int) -> Moments:
    """Moments of ``n`` observations of 0/1 of which ``successes`` are 1.

    Examples
    --------
    >>> proportion_moments(7, 34).mean == 7 / 34
    True
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"successes must lie between 0 and n, got {successes} of {n}")
    # For 0/1 values x*x == x, so the sum of squares equals the count of successes.
    return Moments(int(n), float(successes), float(successes), 0.0)


def check_alpha(alpha: float) -> None:
    """Raise ValueError unless ``0 < alpha < 1``."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")


def group_estimates(baseline, pilot, kind: str) -> tuple[GroupEstimate, GroupEstimate]:
    """Estimates for the baseline and the pilot group of one metric.

    Parameters
    ----------
    baseline, pilot : Moments or Comoments
        ``Moments`` for ``kind`` "mean" and "proportion" (of 0/1 values),
        ``Comoments`` (x = numerator, y = denominator) for "ratio".
    kind : {"mean", "proportion", "ratio"}
        How the metric is summarised per group.

    Returns
    -------
    tuple of GroupEstimate
        ``(baseline, pilot)``.

    Examples
    --------
    >>> b, p = group_estimates(proportion_moments(1, 34), proportion_moments(7, 34), "proportion")
    >>> round(p.estimate - b.estimate, 4)
    0.1765
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    return _group_estimate(baseline, kind, "baseline"), _group_estimate(pilot, kind, "pilot")


def _group_estimate(group, kind: str, role: str) -> GroupEstimate:
    expected = Comoments if kind == "ratio" else Moments
    if not isinstance(group, expected):
        raise ValueError(
            f"a {kind} metric needs {expected.__name__} for each group; "
            f"the {role} group is {type(group).__name__}"
        )
    check_count(group.n, role)
    if kind == "mean":
        return _mean_estimate(group, role)
    if kind == "proportion":
        return _proportion_estimate(group, role)
    return _ratio_estimate(group, role)


def check_count(n: int, role: str) -> None:
    """Raise ValueError unless the ``role`` group has at least 2 observations."""
    if n == 0:
        raise ValueError(f"the {role} group is empty; a comparison needs data in both groups")
    if n < 2:
        raise ValueError(
            f"the {role} group has fewer than 2 observations (n={n}); "
            "a comparison needs at least 2 per group"
        )


def _check_finite(value: float, what: str) -> None:
    if not math.isfinite(value):
        raise ValueError(f"the {what} is not a finite number ({value}); check the data for NaN")


def _mean_estimate(moments: Moments, role: str) -> GroupEstimate:
    _check_finite(moments.mean, f"{role} mean")
    _check_finite(moments.variance, f"{role} variance")
    return GroupEstimate(moments.mean, moments.variance / moments.n, moments.n)


def _proportion_estimate(moments: Moments, role: str) -> GroupEstimate:
    n = moments.n
    successes = moments.sum + n * moments.shift
    _check_finite(successes, f"{role} count of successes")
    # Sums of 0/1 values are whole numbers; the slack only absorbs float rounding.
    slack = 1e-6 * n
    whole = abs(successes - round(successes)) <= slack
    binary = abs(moments.m2 - successes * (n - successes) / n) <= slack
    if not (whole and binary and -slack <= successes <= n + slack):
        raise ValueError(
            f"the {role} group does not look like 0/1 values (n={n}, sum={successes:g}); "
            "a proportion metric needs each observation to be 0 or 1"
        )
    share = min(max(round(successes) / n, 0.0), 1.0)
    return GroupEstimate(share, share * (1 - share) / n, n)


def _ratio_estimate(comoments: Comoments, role: str) -> GroupEstimate:
    n = comoments.n
    x_mean, y_mean = comoments.x.mean, comoments.y.mean
    _check_finite(x_mean, f"{role} numerator mean")
    _check_finite(y_mean, f"{role} denominator mean")
    if y_mean == 0:
        raise ValueError(
            f"the {role} denominator has mean zero; a ratio metric needs a denominator "
            "that is not zero on average (for example visits, orders or hours)"
        )
    ratio = x_mean / y_mean
    # Delta method, covariance included: the variance of x - R*y per observation.
    spread = (
        comoments.x.variance
        + ratio * ratio * comoments.y.variance
        - 2 * ratio * comoments.covariance
    )
    return GroupEstimate(ratio, max(spread, 0.0) / (n * y_mean * y_mean), n)


def check_variation(baseline: GroupEstimate, pilot: GroupEstimate) -> None:
    """Raise ValueError when neither group's estimate has any sampling variance."""
    if baseline.variance == 0 and pilot.variance == 0:
        raise ValueError(
            "neither group varies: every observation within each group has the same value, "
            "so there is no noise to judge the difference against"
        )


def welch_df(baseline: GroupEstimate, pilot: GroupEstimate) -> float:
    """Welch–Satterthwaite degrees of freedom for the difference of two estimates.

    References
    ----------
    .. [1] Welch, B. L. (1947). The generalization of "Student's" problem when
       several different population variances are involved. Biometrika 34, 28-35.

    Examples
    --------
    >>> round(welch_df(GroupEstimate(0, 1.0, 10), GroupEstimate(0, 1.0, 10)), 6)
    18.0
    """
    total = baseline.variance + pilot.variance
    # Shares of the total, so that squaring neither overflows nor underflows.
    b, p = baseline.variance / total, pilot.variance / total
    return 1 / (b * b / (baseline.n - 1) + p * p / (pilot.n - 1))


def relative_lift(baseline: GroupEstimate, pilot: GroupEstimate) -> tuple[float, float] | None:
    """Relative lift pilot / baseline − 1 and its delta-method standard error.

    The two estimates are independent, so Var(p/b) ≈ Var(p)/b² + p² Var(b)/b⁴.
    Returns None when the baseline estimate is zero.

    References
    ----------
    .. [1] Kohavi, R., Tang, D. and Xu, Y. (2020). Trustworthy Online Controlled
       Experiments, ch. 18 (variance of the percent change). Cambridge University Press.

    Examples
    --------
    >>> lift, se = relative_lift(GroupEstimate(10.0, 1.0, 50), GroupEstimate(12.0, 1.0, 50))
    >>> round(lift, 6), round(se, 6)
    (0.2, 0.156205)
    """
    if baseline.estimate == 0:
        return None
    b, p = baseline.estimate, pilot.estimate
    ratio = p / b  # divided step by step: b**4 overflows long before the lift does
    variance = (pilot.variance + ratio * ratio * baseline.variance) / b / b
    return ratio - 1, math.sqrt(variance)


def relative_estimate(
    baseline: GroupEstimate, pilot: GroupEstimate, quantile: float
) -> tuple[Estimate | None, tuple[str, ...]]:
    """Relative lift with a symmetric interval of ``quantile`` standard errors, and notes."""
    lift = relative_lift(baseline, pilot)
    if lift is None:
        return None, (ZERO_BASELINE_NOTE,)
    value, se = lift
    notes = (FLAT_RELATIVE_NOTE,) if se == 0 else ()
    return Estimate(value, value - quantile * se, value + quantile * se), notes


def compare_means(baseline: Moments, pilot: Moments, alpha: float = 0.05) -> Comparison:
    """Welch two-sample t-test of pilot − baseline on the mean of a metric.

    Parameters
    ----------
    baseline, pilot : Moments
        Sufficient statistics of each group.
    alpha : float
        1 − confidence level of the intervals.

    Returns
    -------
    Comparison
        ``absolute`` is the difference of means with a t interval on the
        Welch–Satterthwaite degrees of freedom; ``relative`` is
        pilot / baseline − 1 with a delta-method interval on the same t
        distribution (None when the baseline mean is zero); ``statistic`` is t.

    References
    ----------
    .. [1] Welch, B. L. (1947). Biometrika 34, 28-35.
    .. [2] R Core Team, ``t.test`` (stats package), the reference implementation
       these numbers are checked against.

    Examples
    --------
    >>> group1 = Moments.from_values([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
    >>> group2 = Moments.from_values([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])
    >>> result = compare_means(baseline=group2, pilot=group1)
    >>> round(result.statistic, 4), round(result.df, 3), round(result.p_value, 5)
    (-1.8608, 17.776, 0.07939)
    """
    check_alpha(alpha)
    b, p = group_estimates(baseline, pilot, "mean")
    return welch_comparison(b, p, alpha, "Welch two-sample t-test")


def compare_ratios(baseline: Comoments, pilot: Comoments, alpha: float = 0.05) -> Comparison:
    """Welch-type t-test of pilot − baseline on a ratio metric mean(x) / mean(y).

    Each group's ratio R = x̄ / ȳ gets the delta-method variance
    Var(R) ≈ (Var(x̄) + R² Var(ȳ) − 2R Cov(x̄, ȳ)) / ȳ², which keeps the
    covariance of numerator and denominator measured on the same rows. The
    difference uses the Welch–Satterthwaite degrees of freedom on these two
    variances (n − 1 each), the relative lift the delta method for independent
    ratios, both on the t distribution.

    Parameters
    ----------
    baseline, pilot : Comoments
        Joint sums per group, ``x`` the numerator (e.g. resolved tickets),
        ``y`` the denominator (e.g. tickets).
    alpha : float
        1 − confidence level of the intervals.

    Returns
    -------
    Comparison

    References
    ----------
    .. [1] Deng, A., Knoblich, U. and Lu, J. (2018). Applying the delta method in
       metric analytics: a practical guide with novel ideas. KDD '18, 233-242.

    Examples
    --------
    >>> baseline = Comoments.from_values([3, 5, 2, 6], [10, 12, 8, 11])
    >>> pilot = Comoments.from_values([6, 7, 5, 8], [11, 12, 9, 13])
    >>> round(compare_ratios(baseline, pilot).absolute.estimate, 4)
    0.1875
    """
    check_alpha(alpha)
    b, p = group_estimates(baseline, pilot, "ratio")
    return welch_comparison(b, p, alpha, "Welch t-test on ratio metrics (delta method)")


def welch_comparison(
    baseline: GroupEstimate, pilot: GroupEstimate, alpha: float, test: str
) -> Comparison:
    """Welch t comparison of two group estimates; see :func:`compare_means`."""
    check_variation(baseline, pilot)
    difference = pilot.estimate - baseline.estimate
    se = math.sqrt(baseline.variance + pilot.variance)
    df = welch_df(baseline, pilot)
    t_stat = difference / se
    quantile = float(stats.t.ppf(1 - alpha / 2, df))
    relative, notes = relative_estimate(baseline, pilot, quantile)
    return Comparison(
        absolute=Estimate(difference, difference - quantile * se, difference + quantile * se),
        relative=relative,
        statistic=t_stat,
        df=df,
        p_value=float(2 * stats.t.sf(abs(t_stat), df)),
        test=test,
        se=se,
        notes=notes,
        details=(("baseline", baseline.estimate), ("pilot", pilot.estimate)),
    )


def wilson_interval(successes: float, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval for one proportion, ``z`` the normal quantile.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
       statistical inference. JASA 22, 209-212.

    Examples
    --------
    >>> low, high = wilson_interval(7, 34, 1.959963984540054)
    >>> round(low, 4), round(high, 4)
    (0.1035, 0.368)
    """
    share = successes / n
    shrink = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / shrink
    half = z / shrink * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def newcombe_interval(
    baseline: GroupEstimate, pilot: GroupEstimate, z: float
) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) for pilot − baseline proportions.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference between
       independent proportions: comparison of eleven methods. Statistics in
       Medicine 17, 873-890.
    """
    b, p = baseline.estimate, pilot.estimate
    b_low, b_high = wilson_interval(b * baseline.n, baseline.n, z)
    p_low, p_high = wilson_interval(p * pilot.n, pilot.n, z)
    difference = p - b
    low = difference - math.hypot(p - p_low, b_high - b)
    high = difference + math.hypot(p_high - p, b - b_low)
    return low, high


def compare_proportions(baseline: Moments, pilot: Moments, alpha: float = 0.05) -> Comparison:
    """Compare two proportions: Newcombe interval, pooled z-test, relative lift.

    ``absolute`` is the difference of proportions with Newcombe's hybrid score
    interval, which keeps its coverage for small counts and proportions near
    0 or 1 where the Wald interval does not. The p-value is the classical
    two-proportion z-test with the pooled proportion under the null of no
    difference (``statistic`` is z, ``df`` None). ``se`` is the unpooled
    standard error of the difference; the pooled one is in ``details``.

    ``relative`` uses the plain delta method on the ratio of proportions, the
    same approximation as for means and ratio metrics, so that lifts of every
    kind of metric are computed alike and a pilot with no successes still gets
    a finite interval (the log risk-ratio interval breaks down there). With
    small counts the symmetric interval can reach below −100 %, a change no
    proportion can make, so its lower end is cut at −100 %.

    Parameters
    ----------
    baseline, pilot : Moments
        Moments of 0/1 observations; :func:`proportion_moments` builds them
        from counts.
    alpha : float
        1 − confidence level of the intervals.

    Returns
    -------
    Comparison

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Statistics in Medicine 17, 873-890 (method 10).
    .. [2] Fagerland, M. W., Lydersen, S. and Laake, P. (2015). Recommended
       confidence intervals for two independent binomial proportions.
       Statistical Methods in Medical Research 24, 224-254.

    Examples
    --------
    >>> result = compare_proportions(proportion_moments(1, 34), proportion_moments(7, 34))
    >>> round(result.absolute.ci_low, 3), round(result.absolute.ci_high, 2)
    (0.019, 0.34)
    """
    check_alpha(alpha)
    b, p = group_estimates(baseline, pilot, "proportion")
    pooled = (b.estimate * b.n + p.estimate * p.n) / (b.n + p.n)
    if pooled in (0.0, 1.0):
        outcome = "1 (success)" if pooled else "0 (failure)"
        raise ValueError(
            f"every observation in both groups is {outcome}; "
            "the proportions cannot be compared until at least one observation differs"
        )
    pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / b.n + 1 / p.n))
    difference = p.estimate - b.estimate
    z_stat = difference / pooled_se
    z = float(stats.norm.ppf(1 - alpha / 2))
    low, high = newcombe_interval(b, p, z)
    relative, notes = relative_estimate(b, p, z)
    if relative is not None:
        relative = dataclasses.replace(relative, ci_low=max(relative.ci_low, -1.0))
    return Comparison(
        absolute=Estimate(difference, low, high),
        relative=relative,
        statistic=z_stat,
        df=None,
        p_value=float(2 * stats.norm.sf(abs(z_stat))),
        test="two-proportion z-test (pooled); Newcombe hybrid score interval",
        se=math.sqrt(b.variance + p.variance),
        notes=notes,
        details=(("baseline", b.estimate), ("pilot", p.estimate), ("pooled_se", pooled_se)),
    )


def compare(baseline, pilot, kind: str, alpha: float = 0.05) -> Comparison:
    """Compare pilot with baseline by the test that fits the kind of metric.

    Parameters
    ----------
    baseline, pilot : Moments or Comoments
        See :func:`group_estimates`.
    kind : {"mean", "proportion", "ratio"}
        Dispatches to :func:`compare_means`, :func:`compare_proportions` or
        :func:`compare_ratios`.
    alpha : float
        1 − confidence level of the intervals.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> compare(proportion_moments(1, 34), proportion_moments(7, 34), "proportion").df is None
    True
    """
    comparisons = {
        "mean": compare_means,
        "proportion": compare_proportions,
        "ratio": compare_ratios,
    }
    if kind not in comparisons:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    return comparisons[kind](baseline, pilot, alpha)


def check_direction(direction: str) -> None:
    """Raise ValueError unless ``direction`` is "increase" or "decrease"."""
    if direction not in DIRECTIONS:
        raise ValueError(
            f"direction must be 'increase' (higher is better) or 'decrease' "
            f"(lower is better); got {direction!r}"
        )


def non_inferiority(
    baseline, pilot, kind: str, margin: float, direction: str, alpha: float = 0.05
) -> Comparison:
    """One-sided test that the pilot is not worse than the baseline by more than ``margin``.

    For a guardrail metric where higher is better (``direction="increase"``)
    the null hypothesis is pilot − baseline ≤ −margin; where lower is better
    (``"decrease"``) it is pilot − baseline ≥ margin. A small ``p_value``
    (one-sided) means the pilot is shown not to be worse by more than the
    margin.

    Means and ratio metrics use the Welch t distribution. Proportions use a
    Wald z-test with the unpooled standard error: the pooled error of
    :func:`compare_proportions` belongs to a null of *no* difference, not to a
    shifted null. The intervals are two-sided at level 1 − 2·alpha, so that the
    bound on the side that matters agrees exactly with the one-sided test
    (p < alpha exactly when that bound lies inside the margin).

    Parameters
    ----------
    baseline, pilot : Moments or Comoments
        See :func:`group_estimates`.
    kind : {"mean", "proportion", "ratio"}
        How the metric is summarised per group.
    margin : float
        Largest tolerated harm, in the metric's own units (≥ 0); for a
        proportion, a difference of proportions (0.02 is two points).
    direction : {"increase", "decrease"}
        Which way is better for this metric.
    alpha : float
        One-sided significance level.

    Returns
    -------
    Comparison
        ``details`` holds ("margin", margin).

    References
    ----------
    .. [1] Piaggio, G. et al. (2012). Reporting of noninferiority and equivalence
       randomized trials: extension of the CONSORT 2010 statement. JAMA 308,
       2594-2604.

    Examples
    --------
    >>> baseline = Moments.from_summary(200, 4.1, 1.0)
    >>> pilot = Moments.from_summary(200, 4.0, 1.0)
    >>> result = non_inferiority(baseline, pilot, "mean", margin=0.3, direction="increase")
    >>> result.p_value < 0.05
    True
    """
    check_alpha(alpha)
    check_direction(direction)
    if not (math.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be a finite number ≥ 0 in the metric's units, got {margin}")
    b, p = group_estimates(baseline, pilot, kind)
    check_variation(b, p)
    difference = p.estimate - b.estimate
    se = math.sqrt(b.variance + p.variance)
    if kind == "proportion":
        df, distribution, name = None, stats.norm(), "Wald z-test"
    else:
        df = welch_df(b, p)
        distribution, name = stats.t(df), "Welch t-test"
    higher_is_better = direction == "increase"
    statistic = (difference + margin if higher_is_better else difference - margin) / se
    p_value = distribution.sf(statistic) if higher_is_better else distribution.cdf(statistic)
    quantile = float(distribution.ppf(1 - alpha))
    relative, notes = relative_estimate(b, p, quantile)
    better = "higher" if higher_is_better else "lower"
    return Comparison(
        absolute=Estimate(difference, difference - quantile * se, difference + quantile * se),
        relative=relative,
        statistic=statistic,
        df=df,
        p_value=float(p_value),
        test=f"non-inferiority {name} (margin {margin:g}, {better} is better)",
        se=se,
        notes=notes,
        details=(("margin", float(margin)), ("baseline", b.estimate), ("pilot", p.estimate)),
    )
