"""Sample ratio mismatch against scipy's chi-square goodness-of-fit test."""

import pytest
from numpy.testing import assert_allclose
from scipy import stats

from analysis.srm import MISMATCH_THRESHOLD, sample_ratio_mismatch


@pytest.mark.parametrize(
    ("n_baseline", "n_pilot", "pilot_share"),
    [(5000, 5300, 0.5), (1000, 1000, 0.5), (8123, 1877, 0.2), (40, 75, 0.6), (0, 12, 0.5)],
)
def test_srm_matches_scipy_chisquare(n_baseline, n_pilot, pilot_share):
    result = sample_ratio_mismatch(n_baseline, n_pilot, pilot_share)
    total = n_baseline + n_pilot
    expected = stats.chisquare(
        [n_baseline, n_pilot], f_exp=[total * (1 - pilot_share), total * pilot_share]
    )
    assert_allclose(
        [result.statistic, result.p_value], [expected.statistic, expected.pvalue], rtol=1e-12
    )
    assert_allclose(result.expected_pilot, total * pilot_share, rtol=1e-15)
    assert_allclose(result.observed_share, n_pilot / total, rtol=1e-15)
    assert result.mismatch == (expected.pvalue < MISMATCH_THRESHOLD)


def test_srm_flags_a_broken_split_and_not_a_fair_one():
    assert sample_ratio_mismatch(5000, 5600, 0.5).mismatch
    assert not sample_ratio_mismatch(5000, 5030, 0.5).mismatch
    # A planned 80/20 split observed as 80/20 is fine; as 50/50 it is not.
    assert not sample_ratio_mismatch(8000, 2000, 0.2).mismatch
    assert sample_ratio_mismatch(5000, 5000, 0.2).mismatch


@pytest.mark.parametrize(
    ("n_baseline", "n_pilot", "pilot_share", "message"),
    [
        (10, 10, 0.0, "pilot_share must lie strictly between 0 and 1"),
        (10, 10, 1.0, "pilot_share must lie strictly between 0 and 1"),
        (-1, 10, 0.5, "baseline count must be a whole number"),
        (10, 2.5, 0.5, "pilot count must be a whole number"),
        (0, 0, 0.5, "both groups are empty"),
    ],
)
def test_srm_rejects_unusable_input(n_baseline, n_pilot, pilot_share, message):
    with pytest.raises(ValueError, match=message):
        sample_ratio_mismatch(n_baseline, n_pilot, pilot_share)
