"""Always-valid comparisons that stay correct however often a pilot's results are looked at."""

from __future__ import annotations

import math

from analysis.results import Comparison, Estimate
from analysis.two_sample import (
    ZERO_BASELINE_NOTE,
    check_alpha,
    check_variation,
    group_estimates,
    relative_lift,
)

REFERENCE = (
    "Waudby-Smith, I., Arbour, D., Sinha, R., Kennedy, E. H. and Ramdas, A. (2023). "
    "Time-uniform central limit theory and asymptotic confidence sequences. "
    "arXiv:2103.06476v7"
)


def mixing_rho(alpha: float, n_star: float) -> float:
    """Mixing parameter ρ that makes the confidence sequence tightest near ``n_star``.

    ρ = sqrt((−2 log α + log(−2 log α + 1)) / n*), eq. 161 of the reference.

    References
    ----------
    .. [1] Waudby-Smith et al. (2023), arXiv:2103.06476v7, eq. 161.

    Examples
    --------
    >>> round(mixing_rho(0.05, 5000), 6)
    0.03984
    """
    check_alpha(alpha)
    if not (math.isfinite(n_star) and n_star > 0):
        raise ValueError(f"n_star must be a positive number of observations, got {n_star}")
    log_alpha = math.log(alpha)
    return math.sqrt((-2 * log_alpha + math.log(-2 * log_alpha + 1)) / n_star)


def confidence_sequence_halfwidth(
    unit_variance: float, n: float, alpha: float, rho: float
) -> float:
    """Half-width of the two-sided asymptotic confidence sequence after ``n`` observations.

    σ · sqrt(2 (n ρ² + 1) / (n² ρ²) · log(sqrt(n ρ² + 1) / α)), eq. 9 of the
    reference, where σ² = ``unit_variance`` is the variance of one observation
    (for a difference of two groups: the squared standard error times the total
    number of observations).

    References
    ----------
    .. [1] Waudby-Smith et al. (2023), arXiv:2103.06476v7, eq. 9.

    Examples
    --------
    >>> round(confidence_sequence_halfwidth(1.0, 1000, 0.05, 0.05), 6)
    0.100707
    """
    growth = n * rho * rho + 1
    return math.sqrt(unit_variance * 2 * growth * math.log(math.sqrt(growth) / alpha)) / (n * rho)


def always_valid_p_value(estimate: float, se: float, n: float, rho: float) -> float:
    """Always-valid two-sided p-value for ``estimate`` = 0, eq. 155 of the reference.

    It is the smallest alpha at which the confidence sequence of eq. 9 excludes
    zero: the inverse of the mixture e-value
    exp(ρ² n² θ̂² / (2 σ² (n ρ² + 1))) / sqrt(n ρ² + 1), capped at 1, with
    σ² = n · se². Computed on the log scale so that overwhelming evidence gives
    a tiny p-value instead of an overflow.

    References
    ----------
    .. [1] Waudby-Smith et al. (2023), arXiv:2103.06476v7, eq. 155.

    Examples
    --------
    >>> always_valid_p_value(0.0, 1.0, 100, 0.05)
    1.0
    """
    growth = n * rho * rho + 1
    z_squared = (estimate / se) ** 2
    log_e_value = rho * rho * n * z_squared / (2 * growth) - 0.5 * math.log(growth)
    return 1.0 if log_e_value <= 0 else math.exp(-log_e_value)


def sequential_compare(
    baseline, pilot, kind: str, alpha: float = 0.05, n_star: float = 5000
) -> Comparison:
    """Pilot − baseline with confidence sequences and an always-valid p-value.

    A fixed-sample test is only valid when looked at once. Pilots are looked
    at every week; this comparison stays valid at every look: the chance that
    the interval *ever* misses the true difference, over the whole pilot, is
    at most ``alpha`` (asymptotically). The price is a wider interval than the
    fixed one at any single look.

    ``absolute`` and ``relative`` intervals are the asymptotic confidence
    sequences of eq. 9, on the standard error of :func:`analysis.two_sample`
    (Welch for means and ratios, unpooled for proportions) scaled to one
    observation with the total count of both groups; ρ comes from ``n_star``
    by eq. 161 and ``p_value`` from eq. 155. The p-value is valid at every
    look as it is; a caller who keeps earlier looks may also report the running
    minimum, which is valid too and never goes up.

    Parameters
    ----------
    baseline, pilot : Moments or Comoments
        See :func:`analysis.two_sample.group_estimates`.
    kind : {"mean", "proportion", "ratio"}
        How the metric is summarised per group.
    alpha : float
        Error rate over the whole sequence of looks.
    n_star : float
        Total number of observations (both groups) at which the sequence
        should be tightest: roughly the size expected at the decision.

    Returns
    -------
    Comparison
        ``statistic`` is the z statistic of the difference, ``df`` None;
        ``details`` holds ("n_star", n*) and ("rho", ρ).

    References
    ----------
    .. [1] Waudby-Smith et al. (2023), arXiv:2103.06476v7, eqs. 9, 155, 161.

    Examples
    --------
    >>> from analysis.sufficient import Moments
    >>> baseline = Moments.from_summary(2000, 10.0, 3.0)
    >>> pilot = Moments.from_summary(2000, 10.5, 3.0)
    >>> result = sequential_compare(baseline, pilot, "mean")
    >>> result.absolute.ci_low > 0
    True
    """
    rho = mixing_rho(alpha, n_star)
    b, p = group_estimates(baseline, pilot, kind)
    check_variation(b, p)
    n = b.n + p.n
    difference = p.estimate - b.estimate
    se = math.sqrt(b.variance + p.variance)
    half = confidence_sequence_halfwidth(se * se * n, n, alpha, rho)
    return Comparison(
        absolute=Estimate(difference, difference - half, difference + half),
        relative=_relative_sequence(b, p, n, alpha, rho),
        statistic=difference / se,
        df=None,
        p_value=always_valid_p_value(difference, se, n, rho),
        test="always-valid confidence sequence (asymptotic; Waudby-Smith et al. 2023)",
        se=se,
        notes=() if b.estimate else (ZERO_BASELINE_NOTE,),
        details=(("n_star", float(n_star)), ("rho", rho)),
    )


def _relative_sequence(b, p, n: int, alpha: float, rho: float) -> Estimate | None:
    lift = relative_lift(b, p)
    if lift is None:
        return None
    value, se = lift
    half = confidence_sequence_halfwidth(se * se * n, n, alpha, rho)
    return Estimate(value, value - half, value + half)
