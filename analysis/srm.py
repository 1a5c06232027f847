"""Sample ratio mismatch: did units reach the pilot and baseline in the planned shares?"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

MISMATCH_THRESHOLD = 0.001
"""p-value below which the split is flagged: strict, because the check runs on every look."""


@dataclass(frozen=True)
class SrmResult:
    """Chi-square check of the observed split against the planned one.

    ``expected_pilot`` is the pilot count the plan implies for the observed
    total, ``observed_share`` the pilot's actual share, ``mismatch`` True when
    ``p_value`` < :data:`MISMATCH_THRESHOLD`.
    """

    statistic: float
    p_value: float
    expected_pilot: float
    observed_share: float
    mismatch: bool


def sample_ratio_mismatch(n_baseline: int, n_pilot: int, pilot_share: float) -> SrmResult:
    """Pearson chi-square test (1 df) of the group sizes against the planned pilot share.

    A mismatch means units were lost or added unevenly (a broken assignment,
    a filter that only applies to one group), which biases every comparison
    of the pilot; find the cause before reading the results.

    Parameters
    ----------
    n_baseline, n_pilot : int
        Units observed in each group.
    pilot_share : float
        Planned share of units in the pilot, strictly between 0 and 1.

    Returns
    -------
    SrmResult

    References
    ----------
    .. [1] Fabijan, A. et al. (2019). Diagnosing sample ratio mismatch in online
       controlled experiments: a taxonomy and rules of thumb for practitioners.
       KDD '19, 2156-2164.

    Examples
    --------
    >>> result = sample_ratio_mismatch(5000, 5300, 0.5)
    >>> round(result.p_value, 5), result.mismatch
    (0.00312, False)
    """
    for role, count in (("baseline", n_baseline), ("pilot", n_pilot)):
        if not (count >= 0 and float(count).is_integer()):
            raise ValueError(f"the {role} count must be a whole number ≥ 0, got {count}")
    if not 0 < pilot_share < 1:
        raise ValueError(f"pilot_share must lie strictly between 0 and 1, got {pilot_share}")
    total = n_baseline + n_pilot
    if total == 0:
        raise ValueError("both groups are empty; the split can be checked once units arrive")
    expected_pilot = total * pilot_share
    expected_baseline = total - expected_pilot
    statistic = (n_pilot - expected_pilot) ** 2 / expected_pilot + (
        n_baseline - expected_baseline
    ) ** 2 / expected_baseline
    p_value = float(stats.chi2.sf(statistic, 1))
    return SrmResult(
        statistic=float(statistic),
        p_value=p_value,
        expected_pilot=float(expected_pilot),
        observed_share=n_pilot / total,
        mismatch=p_value < MISMATCH_THRESHOLD,
    )
