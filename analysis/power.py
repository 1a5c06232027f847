"""Planning a pilot: sample sizes, detectable effects and how many weeks are left."""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import optimize, special, stats

from analysis.two_sample import check_alpha

APPROXIMATIONS = ("t", "normal")

# Past this size the power arithmetic loses its precision, and no pilot is that large.
LARGEST_GROUP = 1e15


def _check_design(alpha: float, power: float, ratio: float) -> None:
    check_alpha(alpha)
    if not alpha < power < 1:
        raise ValueError(
            f"power must lie between alpha ({alpha}) and 1, got {power}; 0.8 is the usual choice"
        )
    _check_ratio(ratio)


def _check_ratio(ratio: float) -> None:
    if not (math.isfinite(ratio) and ratio > 0):
        raise ValueError(f"ratio (pilot size / baseline size) must be positive, got {ratio}")


def two_sample_power(
    effect_size: float,
    n_baseline: float,
    alpha: float = 0.05,
    ratio: float = 1.0,
    approximation: str = "t",
) -> float:
    """Power of the two-sided two-sample test for a standardised effect size.

    Both rejection tails count, as in statsmodels' ``TTestIndPower`` and
    ``NormalIndPower``. With ``approximation="t"`` the power comes from the
    noncentral t distribution on n_baseline + n_pilot − 2 degrees of freedom
    (pooled-variance t-test); with ``"normal"`` from the normal distribution.

    Parameters
    ----------
    effect_size : float
        Difference of means divided by the common standard deviation (Cohen's d).
    n_baseline : float
        Baseline group size; the pilot group has ``ratio * n_baseline``.
    alpha : float
        Two-sided significance level.
    ratio : float
        Pilot group size / baseline group size.
    approximation : {"t", "normal"}

    Returns
    -------
    float

    References
    ----------
    .. [1] Cohen, J. (1988). Statistical Power Analysis for the Behavioral
       Sciences, 2nd ed., ch. 2. Lawrence Erlbaum.

    Examples
    --------
    >>> round(two_sample_power(0.5, 64), 4)
    0.8015
    """
    check_alpha(alpha)
    if approximation not in APPROXIMATIONS:
        raise ValueError(f"approximation must be 't' or 'normal', got {approximation!r}")
    if not (math.isfinite(n_baseline) and n_baseline > 0):
        raise ValueError(f"n_baseline must be a positive group size, got {n_baseline}")
    _check_ratio(ratio)
    n_pilot = ratio * n_baseline
    shift = abs(effect_size) * math.sqrt(n_baseline * n_pilot / (n_baseline + n_pilot))
    # The wrong-side tail is written as an upper tail with the shift negated: scipy's
    # noncentral t lower tail returns NaN far out, its upper tail does not. The
    # quantiles come from scipy.special, as scipy.stats takes them, without the
    # argument handling that made them most of an analysis's time (solvers call
    # this function many times).
    if approximation == "normal":
        critical = -special.ndtri(alpha / 2)
        power = special.ndtr(shift - critical) + special.ndtr(-critical - shift)
    else:
        df = n_baseline + n_pilot - 2
        critical = -special.stdtrit(df, alpha / 2)
        upper, wrong_side = stats.nct.sf(critical, df, [shift, -shift])
        power = upper + wrong_side
    if not math.isfinite(power):
        raise ValueError(
            f"the power for effect size {effect_size} with {n_baseline} per group could not be "
            "computed; check that both are finite numbers"
        )
    return float(power)


def sample_size_per_group(
    effect_size: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    approximation: str = "t",
) -> float:
    """Baseline group size that gives a two-sided test the wanted power.

    Solves :func:`two_sample_power` for the baseline size; the pilot group
    needs ``ratio`` times as many (with the default ratio 1 this is the size of
    each group). The result is not rounded: round it up to whole units. It is
    never below 2 per group, the least a t-test can use.

    Parameters
    ----------
    effect_size : float
        Standardised effect to detect, Cohen's d = difference / sd (non-zero).
    alpha : float
        Two-sided significance level.
    power : float
        Wanted probability of detecting the effect.
    ratio : float
        Pilot group size / baseline group size.
    approximation : {"t", "normal"}
        "t" for the t-test actually run; "normal" for the textbook formula
        n = (1 + 1/ratio) (z_{1−α/2} + z_{power})² / d² (both tails counted).

    Returns
    -------
    float

    References
    ----------
    .. [1] Cohen, J. (1988). Statistical Power Analysis for the Behavioral
       Sciences, 2nd ed. Lawrence Erlbaum.

    Examples
    --------
    >>> round(sample_size_per_group(0.5), 2)
    63.77
    >>> round(sample_size_per_group(0.5, approximation="normal"), 2)
    62.79
    """
    _check_design(alpha, power, ratio)
    if approximation not in APPROXIMATIONS:
        raise ValueError(f"approximation must be 't' or 'normal', got {approximation!r}")
    if not (math.isfinite(effect_size) and effect_size != 0):
        raise ValueError(f"effect_size must be a non-zero number, got {effect_size}")

    def shortfall(n_baseline: float) -> float:
        return two_sample_power(effect_size, n_baseline, alpha, ratio, approximation) - power

    smallest = 2 / min(ratio, 1.0)
    if shortfall(smallest) >= 0:
        return smallest
    spread = float(stats.norm.isf(alpha / 2) + stats.norm.ppf(power)) / effect_size
    textbook = 2 * (1 + 1 / ratio) * spread * spread
    if not textbook < LARGEST_GROUP:
        raise ValueError(
            f"an effect of {effect_size:g} sd needs more than {LARGEST_GROUP:g} observations "
            "per group: no pilot can detect it"
        )
    largest = max(textbook, 2 * smallest)
    while shortfall(largest) < 0:
        largest *= 2
    return float(optimize.brentq(shortfall, smallest, largest, xtol=1e-10, rtol=1e-12))


def minimum_detectable_effect(
    sd: float, n_per_group: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest absolute difference of means a t-test detects with the wanted power.

    Inverts :func:`two_sample_power` (t approximation, equal groups) for the
    standardised effect and multiplies by ``sd``: the answer is in the
    metric's own units (minutes, euros, points).

    Parameters
    ----------
    sd : float
        Standard deviation of one observation of the metric.
    n_per_group : float
        Size of each group.
    alpha : float
        Two-sided significance level.
    power : float
        Wanted probability of detecting the effect.

    Returns
    -------
    float

    References
    ----------
    .. [1] Cohen, J. (1988). Statistical Power Analysis for the Behavioral
       Sciences, 2nd ed. Lawrence Erlbaum.

    Examples
    --------
    >>> round(minimum_detectable_effect(sd=10.0, n_per_group=64), 4)
    4.9907
    """
    _check_design(alpha, power, 1.0)
    if not (math.isfinite(sd) and sd > 0):
        raise ValueError(f"sd must be a positive number, got {sd}")
    if not n_per_group >= 2:
        raise ValueError(f"a t-test needs at least 2 observations per group, got {n_per_group}")

    @functools.cache  # the solver asks again for the ends of the bracket
    def shortfall(effect: float) -> float:
        return two_sample_power(effect, n_per_group, alpha, 1.0, "t") - power

    # The central-t guess lies within about 1e-4 of the root from 2 to a million
    # per group, so a bracket of ±1% around it keeps the costly noncentral-t
    # evaluations few; it widens if ever the root lies outside.
    df = 2 * n_per_group - 2
    guess = (stats.t.isf(alpha / 2, df) + stats.t.ppf(power, df)) * math.sqrt(2 / n_per_group)
    low, high = 0.99 * guess, 1.01 * guess
    while shortfall(high) < 0:
        high *= 2
    while low > 0 and shortfall(low) > 0:
        low /= 2
    effect = optimize.brentq(shortfall, low, high, rtol=1e-10)
    return float(effect * sd)


def proportion_sample_size(
    p_baseline: float,
    p_pilot: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> float:
    """Baseline group size to detect a change of a proportion from p_baseline to p_pilot.

    Uses Cohen's arcsine effect size h = 2 asin √p_pilot − 2 asin √p_baseline
    with the normal approximation. The arcsine transform makes the variance of
    a proportion independent of its level, so one formula serves rates near 0
    or 1 (failure-to-attend rates, first-contact resolution) as well as rates
    near one half.

    Parameters
    ----------
    p_baseline, p_pilot : float
        Expected proportions, strictly between 0 and 1 and different.
    alpha, power, ratio : float
        As in :func:`sample_size_per_group`.

    Returns
    -------
    float
        Not rounded; the pilot group needs ``ratio`` times as many.

    References
    ----------
    .. [1] Cohen, J. (1988). Statistical Power Analysis for the Behavioral
       Sciences, 2nd ed., ch. 6 (the effect size h). Lawrence Erlbaum.

    Examples
    --------
    >>> round(proportion_sample_size(0.20, 0.15), 1)
    902.3
    """
    for name, share in (("p_baseline", p_baseline), ("p_pilot", p_pilot)):
        if not 0 < share < 1:
            raise ValueError(f"{name} must lie strictly between 0 and 1, got {share}")
    if p_baseline == p_pilot:
        raise ValueError("p_baseline and p_pilot are equal: there is no change to detect")
    h = 2 * np.arcsin(math.sqrt(p_pilot)) - 2 * np.arcsin(math.sqrt(p_baseline))
    return sample_size_per_group(float(h), alpha, power, ratio, approximation="normal")


def weeks_remaining(
    n_per_week_per_group: float, n_so_far_per_group: float, n_needed_per_group: float
) -> float:
    """Weeks until each group reaches the needed size at the current weekly rate.

    Examples
    --------
    >>> weeks_remaining(n_per_week_per_group=20, n_so_far_per_group=30, n_needed_per_group=64)
    1.7
    """
    if not (math.isfinite(n_per_week_per_group) and n_per_week_per_group > 0):
        raise ValueError(
            f"the weekly rate per group must be positive, got {n_per_week_per_group}; "
            "with no new observations the needed size is never reached"
        )
    if not n_so_far_per_group >= 0:
        raise ValueError(f"observations so far must be ≥ 0, got {n_so_far_per_group}")
    if not n_needed_per_group >= 0:
        raise ValueError(f"the needed size must be ≥ 0, got {n_needed_per_group}")
    return max(n_needed_per_group - n_so_far_per_group, 0) / n_per_week_per_group
