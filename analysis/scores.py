"""Bounded survey scores given as value counts: Net Promoter Score and rank comparisons."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.results import Comparison, Estimate
from analysis.two_sample import check_alpha, check_count

NPS_SCALE = (0, 10)
PROMOTER_FROM = 9
DETRACTOR_UP_TO = 6

EXACT = "exact"
NORMAL = "normal approximation"
RANK_METHODS = ("auto", EXACT, NORMAL)
# Up to this size in each group the exact null distribution of U is computed, as R's
# wilcox.test does below 50; past it the normal approximation is close, and the
# exact computation's cost grows with the cube of the combined size.
EXACT_UP_TO = 50


@dataclass(frozen=True)
class RankComparison(Comparison):
    """A rank test's comparison, naming how its p-value was found: ``EXACT`` or ``NORMAL``."""

    method: str = NORMAL


@dataclass(frozen=True)
class NpsResult:
    """Net Promoter Score in points (−100 to 100) with its standard error and interval."""

    nps: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    promoters: int
    passives: int
    detractors: int


def value_counts(counts, role: str = "score") -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and their counts.

    ``counts`` is a mapping value -> count or a pair (values, counts) of equal
    length; repeated values in a pair are added up. ``role`` names the group
    in error messages.

    Examples
    --------
    >>> values, counts = value_counts({10: 3, 0: 1})
    >>> values.tolist(), counts.tolist()
    ([0.0, 10.0], [1.0, 3.0])
    """
    if isinstance(counts, Mapping):
        raw_values, raw_counts = list(counts.keys()), list(counts.values())
    else:
        try:
            raw_values, raw_counts = counts
        except (TypeError, ValueError):
            raise ValueError(
                f"{role} counts must be a mapping value -> count or a pair (values, counts)"
            ) from None
    values = np.asarray(raw_values, dtype=float).ravel()
    weights = np.asarray(raw_counts, dtype=float).ravel()
    if values.shape != weights.shape:
        raise ValueError(
            f"{role} values and counts differ in length ({values.size} and {weights.size})"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{role} values must be finite numbers")
    if not np.all(np.isfinite(weights) & (weights >= 0) & (np.floor(weights) == weights)):
        raise ValueError(f"{role} counts must be whole numbers ≥ 0")
    distinct, index = np.unique(values, return_inverse=True)
    return distinct, np.bincount(index, weights=weights, minlength=distinct.size)


def nps_from_counts(counts, alpha: float = 0.05) -> NpsResult:
    """Net Promoter Score of answers on the 0–10 scale, with a normal interval.

    NPS = 100 (p − d), p the share of promoters (9–10), d of detractors (0–6).
    The three answer classes are one trinomial draw, so
    Var(NPS) = 100² [p(1 − p) + d(1 − d) + 2pd] / n.

    Parameters
    ----------
    counts : mapping or (values, counts)
        Number of answers per score, scores whole numbers from 0 to 10.
    alpha : float
        1 − confidence level of the interval.

    Returns
    -------
    NpsResult

    References
    ----------
    .. [1] Engelhardt, B. (2016). The margin of error of Net Promoter Score.
    .. [2] Reichheld, F. F. (2003). The one number you need to grow. Harvard
       Business Review 81(12), 46-54.

    Examples
    --------
    >>> result = nps_from_counts({10: 300, 8: 200, 3: 100})
    >>> round(result.nps, 2), round(result.se, 3)
    (33.33, 3.043)
    """
    check_alpha(alpha)
    values, weights = value_counts(counts)
    low, high = NPS_SCALE
    if values.size and (values.min() < low or values.max() > high or np.any(values % 1)):
        raise ValueError(f"NPS answers are whole numbers from {low} to {high}; got {values}")
    n = int(weights.sum())
    if n == 0:
        raise ValueError("there are no answers; NPS needs at least one")
    promoters = int(weights[values >= PROMOTER_FROM].sum())
    detractors = int(weights[values <= DETRACTOR_UP_TO].sum())
    p, d = promoters / n, detractors / n
    nps = 100 * (p - d)
    se = 100 * math.sqrt((p * (1 - p) + d * (1 - d) + 2 * p * d) / n)
    z = float(stats.norm.ppf(1 - alpha / 2))
    return NpsResult(
        nps=nps,
        se=se,
        ci_low=nps - z * se,
        ci_high=nps + z * se,
        n=n,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
    )


def compare_nps(baseline_counts, pilot_counts, alpha: float = 0.05) -> Comparison:
    """Difference of Net Promoter Scores, pilot − baseline, in points.

    A two-sample z-test and normal interval on the trinomial standard errors
    of :func:`nps_from_counts`; the groups are independent, so the variances add.

    Parameters
    ----------
    baseline_counts, pilot_counts : mapping or (values, counts)
        Answers per score on the 0–10 scale.
    alpha : float
        1 − confidence level of the interval.

    Returns
    -------
    Comparison
        ``relative`` is None: NPS can be zero or negative, so a ratio of two
        scores has no meaning.

    References
    ----------
    .. [1] Engelhardt, B. (2016). The margin of error of Net Promoter Score.

    Examples
    --------
    >>> result = compare_nps({10: 300, 8: 200, 3: 100}, {10: 350, 8: 170, 3: 80})
    >>> round(result.absolute.estimate, 2)
    11.67
    """
    check_alpha(alpha)
    baseline = nps_from_counts(baseline_counts, alpha)
    pilot = nps_from_counts(pilot_counts, alpha)
    check_count(baseline.n, "baseline")
    check_count(pilot.n, "pilot")
    if baseline.se == 0 and pilot.se == 0:
        raise ValueError(
            "every answer within each group falls in the same class (promoter, passive or "
            "detractor), so there is no variation to judge the difference against"
        )
    difference = pilot.nps - baseline.nps
    se = math.hypot(baseline.se, pilot.se)
    z = float(stats.norm.ppf(1 - alpha / 2))
    statistic = difference / se
    return Comparison(
        absolute=Estimate(difference, difference - z * se, difference + z * se),
        relative=None,
        statistic=statistic,
        df=None,
        p_value=float(2 * stats.norm.sf(abs(statistic))),
        test="two-sample z-test on NPS (trinomial variance)",
        se=se,
        notes=("No relative change: NPS can be zero or negative, so a ratio has no meaning.",),
        details=(("baseline", baseline.nps), ("pilot", pilot.nps)),
    )


def mann_whitney_from_counts(
    baseline_counts, pilot_counts, alpha: float = 0.05, method: str = "auto"
) -> RankComparison:
    """Mann–Whitney U test of pilot against baseline from value counts, ties included.

    With at most ``EXACT_UP_TO`` (50) observations in each group the p-value is
    exact: U is referred to its permutation distribution given the tie pattern
    (every split of the observed values into groups of the observed sizes
    equally likely, see :func:`u_distribution`), and the two-sided p-value is
    twice the smaller tail, at most 1. Without ties this is R's
    ``wilcox.test(exact = TRUE)`` and scipy's ``mannwhitneyu(method="exact")``;
    with ties it is the exact conditional test, where R falls back to the normal
    approximation. Larger groups get the normal approximation with the
    tie-corrected variance and a continuity correction (R's ``wilcox.test``
    with ties, scipy's ``mannwhitneyu(method="asymptotic")``). The result's
    ``method`` says which was used.

    ``statistic`` is U of the pilot: the number of (pilot, baseline) pairs in
    which the pilot value is higher, ties counting one half. This is R's W when
    the pilot is the first group and scipy's statistic for ``mannwhitneyu(pilot,
    baseline)``.

    ``absolute`` is the probability of superiority
    A = P(pilot > baseline) + ½ P(tie) = U / (n_baseline · n_pilot), where 0.5
    means neither group tends to score higher. Its interval is Brunner and
    Munzel's: A ± t · se with the placement variance and Welch–Satterthwaite
    degrees of freedom, which is valid with ties and unequal spreads; it is
    clipped to [0, 1], the range of a probability.

    Parameters
    ----------
    baseline_counts, pilot_counts : mapping or (values, counts)
        Number of observations per value (any ordered scale: 1–5 satisfaction,
        1–7 effort, 0–10 recommendation).
    alpha : float
        1 − confidence level of the interval.
    method : {"auto", "exact", "normal approximation"}
        "auto" chooses by the group sizes as above; "exact" refuses groups
        larger than ``EXACT_UP_TO``.

    Returns
    -------
    RankComparison
        ``relative`` None; ``method`` ``EXACT`` or ``NORMAL``; ``details`` holds
        ("u_pilot", U), ("u_baseline", n_b·n_p − U) and ("z", continuity-corrected z).

    References
    ----------
    .. [1] Mann, H. B. and Whitney, D. R. (1947). On a test of whether one of two
       random variables is stochastically larger than the other. Annals of
       Mathematical Statistics 18, 50-60.
    .. [2] Brunner, E. and Munzel, U. (2000). The nonparametric Behrens-Fisher
       problem: asymptotic theory and a small-sample approximation. Biometrical
       Journal 42, 17-25.
    .. [3] Hollander, M. and Wolfe, D. A. (1973). Nonparametric Statistical
       Methods, ch. 4. Wiley.

    Examples
    --------
    >>> result = mann_whitney_from_counts({1: 10, 2: 20, 3: 10}, {2: 15, 3: 15, 4: 10})
    >>> round(result.absolute.estimate, 4), result.method
    (0.7656, 'exact')
    """
    check_alpha(alpha)
    if method not in RANK_METHODS:
        raise ValueError(f"method must be one of {', '.join(RANK_METHODS)}; got {method!r}")
    values, baseline, pilot = _aligned_counts(baseline_counts, pilot_counts)
    n_b, n_p = float(baseline.sum()), float(pilot.sum())
    check_count(int(n_b), "baseline")
    check_count(int(n_p), "pilot")
    small = max(n_b, n_p) <= EXACT_UP_TO
    if method == EXACT and not small:
        raise ValueError(
            f"the exact distribution is computed for groups of at most {EXACT_UP_TO}; "
            f"these have {n_b:.0f} (baseline) and {n_p:.0f} (pilot): use the normal approximation"
        )
    # Placement of each value: the share of the other group below it, ties counting half.
    pilot_placement = (np.cumsum(baseline) - baseline / 2) / n_b
    baseline_placement = (n_p - np.cumsum(pilot) + pilot / 2) / n_p
    u_pilot = float(pilot @ pilot_placement) * n_b
    superiority = u_pilot / (n_b * n_p)
    z = _mann_whitney_z(u_pilot, baseline + pilot, n_b, n_p)
    chosen = EXACT if method == EXACT or (method == "auto" and small) else NORMAL
    if chosen == EXACT:
        p_value = _exact_p_value(u_pilot, baseline + pilot, int(n_p))
        test = "Mann–Whitney U test (exact permutation distribution given the ties)"
    else:
        p_value = float(min(1.0, 2 * stats.norm.sf(abs(z))))
        test = "Mann–Whitney U test (normal approximation, tie and continuity corrections)"
    absolute, notes = _superiority_interval(
        superiority, (pilot, pilot_placement), (baseline, baseline_placement), alpha
    )
    return RankComparison(
        absolute=absolute,
        relative=None,
        statistic=u_pilot,
        df=None,
        p_value=p_value,
        test=test,
        se=_placement_se(superiority, (pilot, pilot_placement), (baseline, baseline_placement)),
        notes=(
            "statistic is U of the pilot: pairs in which the pilot value is higher, "
            "ties counting one half.",
            "absolute is the probability of superiority P(pilot > baseline) + ½ P(tie); "
            "0.5 means no difference. No relative change for a rank comparison.",
        )
        + notes,
        details=(("u_pilot", u_pilot), ("u_baseline", float(n_b * n_p - u_pilot)), ("z", z)),
        method=chosen,
    )


def u_distribution(ties, n_pilot: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact permutation distribution of the pilot's U given the tie pattern.

    Under the null hypothesis every way of choosing which ``n_pilot`` of the
    pooled observations are the pilot's is equally likely. With ``ties[j]``
    observations at the j-th smallest value, choosing k_j of them for the pilot
    can be done in C(ties[j], k_j) ways and adds k_j times twice their midrank
    to twice the pilot's rank sum R, so a dynamic programme over the values,
    counting the ways to reach each (pilot size so far, 2R), gives the exact
    distribution; U = R − n_pilot (n_pilot + 1) / 2. The counts are kept as
    floats: C(100, 50) ≈ 10²⁹ is well within range and only relative precision
    matters for the probabilities.

    Parameters
    ----------
    ties : array_like of int
        Pooled number of observations at each distinct value, in increasing
        order of the values.
    n_pilot : int
        Size of the pilot group, at most the pooled size.

    Returns
    -------
    (u, probability) : tuple of ndarray
        The attainable values of U (multiples of ½) and their probabilities.

    References
    ----------
    .. [1] Lehmann, E. L. (1975). Nonparametrics: Statistical Methods Based on
       Ranks, ch. 1 (the conditional distribution given the ties). Holden-Day.

    Examples
    --------
    >>> u, probability = u_distribution([1, 1, 1], 1)
    >>> u.tolist(), probability.round(4).tolist()
    ([0.0, 1.0, 2.0], [0.3333, 0.3333, 0.3333])
    """
    ties = np.asarray(ties, dtype=int).ravel()
    n = int(ties.sum())
    if np.any(ties < 0) or not 0 <= n_pilot <= n:
        raise ValueError(
            f"the pilot size must lie between 0 and the pooled size {n}, "
            f"and every tie count must be ≥ 0; got {n_pilot} and {ties.tolist()}"
        )
    twice_midranks = 2 * (np.cumsum(ties) - ties) + ties + 1
    # 2R is at most twice the sum of the n_pilot highest ranks; midranks only lower it.
    width = n_pilot * (2 * n - n_pilot + 1) + 1
    ways = np.zeros((n_pilot + 1, width))
    ways[0, 0] = 1.0
    for tied, step in zip(ties.tolist(), twice_midranks.tolist(), strict=True):
        before = ways.copy()
        for chosen in range(1, min(tied, n_pilot) + 1):
            shift = chosen * step
            ways[chosen:, shift:] += (
                math.comb(tied, chosen) * before[: n_pilot + 1 - chosen, : width - shift]
            )
    twice_rank_sum = np.flatnonzero(ways[n_pilot])
    counts = ways[n_pilot, twice_rank_sum]
    u = (twice_rank_sum - n_pilot * (n_pilot + 1)) / 2
    return u, counts / counts.sum()


def _exact_p_value(u_pilot: float, ties: np.ndarray, n_pilot: int) -> float:
    """Two-sided exact p-value: twice the smaller tail of U's conditional distribution."""
    n_baseline = int(ties.sum()) - n_pilot
    if n_baseline < n_pilot:
        # The baseline's U is n_b·n_p − U of the pilot and has the same two tails,
        # swapped; its distribution is cheaper to find for the smaller group.
        u_pilot, n_pilot = n_baseline * n_pilot - u_pilot, n_baseline
    u, probability = u_distribution(ties, n_pilot)
    # U is a multiple of ½, so doubled it compares as a whole number, free of rounding.
    twice, observed = np.rint(2 * u), round(2 * u_pilot)
    lower = float(probability[twice <= observed].sum())
    upper = float(probability[twice >= observed].sum())
    return min(1.0, 2 * min(lower, upper))


def _aligned_counts(baseline_counts, pilot_counts):
    b_values, b_counts = value_counts(baseline_counts, "baseline")
    p_values, p_counts = value_counts(pilot_counts, "pilot")
    values = np.union1d(b_values, p_values)
    baseline = np.zeros(values.size)
    pilot = np.zeros(values.size)
    baseline[np.searchsorted(values, b_values)] = b_counts
    pilot[np.searchsorted(values, p_values)] = p_counts
    return values, baseline, pilot


def _mann_whitney_z(u_pilot: float, ties: np.ndarray, n_b: float, n_p: float) -> float:
    n = n_b + n_p
    tie_term = float(np.sum(ties**3 - ties)) / (n * (n - 1))
    variance = n_b * n_p / 12 * ((n + 1) - tie_term)
    if not variance > 0:
        raise ValueError(
            "every observation in both groups has the same value; "
            "a rank test needs at least two different values"
        )
    excess = u_pilot - n_b * n_p / 2
    return math.copysign(max(abs(excess) - 0.5, 0.0), excess) / math.sqrt(variance)


def _placement_variances(superiority, *groups) -> list[float]:
    """Per-group variance (ddof 1) of the placements divided by the group size."""
    shares = []
    for counts, placement in groups:
        n = float(counts.sum())
        shares.append(float(counts @ (placement - superiority) ** 2) / ((n - 1) * n))
    return shares


def _placement_se(superiority, *groups) -> float:
    return math.sqrt(sum(_placement_variances(superiority, *groups)))


def _superiority_interval(superiority, pilot_group, baseline_group, alpha):
    shares = _placement_variances(superiority, pilot_group, baseline_group)
    total = sum(shares)
    if total == 0:
        note = (
            "The groups do not overlap, so the interval for the probability of "
            "superiority has no width; the p-value of the rank test still applies."
        )
        return Estimate(superiority, superiority, superiority), (note,)
    sizes = [float(group[0].sum()) for group in (pilot_group, baseline_group)]
    df = total**2 / sum(share**2 / (n - 1) for share, n in zip(shares, sizes, strict=True))
    half = float(stats.t.ppf(1 - alpha / 2, df)) * math.sqrt(total)
    low, high = max(superiority - half, 0.0), min(superiority + half, 1.0)
    return Estimate(superiority, low, high), ()
