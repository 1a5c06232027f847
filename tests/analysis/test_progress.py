"""Change from the starting point: checked against scipy and statsmodels on the raw answers."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from analysis.progress import PeriodValue, change_from_start, gap_closed, rank_by_progress


def summary(sample: np.ndarray) -> PeriodValue:
    return PeriodValue(float(sample.mean()), len(sample), float(sample.std(ddof=1)))


@pytest.mark.parametrize(
    ("start_mean", "end_mean", "sd0", "sd1", "n0", "n1", "seed"),
    [
        (20.0, 26.0, 40.0, 35.0, 220, 180, 1),  # an NPS-like survey mean
        (3.9, 3.6, 1.4, 1.1, 40, 25, 2),  # a 1–7 effort score, small and unequal samples
        (100.0, 100.0, 5.0, 15.0, 12, 8, 3),  # no change, very unequal spreads
    ],
)
def test_the_interval_matches_welch_on_the_raw_answers(
    start_mean, end_mean, sd0, sd1, n0, n1, seed
):
    rng = np.random.default_rng(seed)
    first, latest = rng.normal(start_mean, sd0, n0), rng.normal(end_mean, sd1, n1)
    change = change_from_start(summary(first), summary(latest), "increase")

    reference = stats.ttest_ind(latest, first, equal_var=False)
    interval = reference.confidence_interval(0.95)
    # The same numbers from n, mean and sd as from the raw answers: only rounding differs.
    assert_allclose(change.change, latest.mean() - first.mean(), rtol=1e-12)
    assert_allclose(change.df, reference.df, rtol=1e-10)
    assert_allclose([change.ci_low, change.ci_high], [interval.low, interval.high], rtol=1e-9)

    compared = CompareMeans(DescrStatsW(latest), DescrStatsW(first))
    low, high = compared.tconfint_diff(alpha=0.05, usevar="unequal")
    assert_allclose([change.ci_low, change.ci_high], [low, high], rtol=1e-9)
    assert_allclose(change.se, compared.std_meandiff_separatevar, rtol=1e-10)


def test_a_90_percent_interval_matches_too():
    rng = np.random.default_rng(7)
    first, latest = rng.normal(10, 2, 30), rng.normal(11, 3, 50)
    change = change_from_start(summary(first), summary(latest), "decrease", confidence=0.9)
    interval = stats.ttest_ind(latest, first, equal_var=False).confidence_interval(0.9)
    assert_allclose([change.ci_low, change.ci_high], [interval.low, interval.high], rtol=1e-9)
    # Lower is better: a rise is no improvement, and an interval above zero reads as worse.
    assert change.improvement == pytest.approx(-change.change)
    assert change.verdict == ("worse" if change.ci_low > 0 else "unclear")


def test_the_reading_follows_the_direction():
    better = change_from_start(PeriodValue(4.0, 200, 1.0), PeriodValue(3.5, 200, 1.0), "decrease")
    assert better.improvement == pytest.approx(0.5)
    assert better.ci_high < 0 and better.verdict == "better"
    unclear = change_from_start(PeriodValue(4.0, 20, 1.0), PeriodValue(3.9, 20, 1.0), "decrease")
    assert unclear.verdict == "unclear"


def test_without_n_and_sd_there_is_a_change_but_no_interval():
    change = change_from_start(PeriodValue(68.0), PeriodValue(79.0, 100, 3.0), "increase")
    assert change.change == pytest.approx(11.0)
    assert (change.se, change.ci_low, change.ci_high) == (None, None, None)
    assert change.verdict == "unmeasured" and "no interval" in change.method


def test_periods_that_do_not_vary_give_an_interval_without_width():
    change = change_from_start(PeriodValue(5.0, 10, 0.0), PeriodValue(6.0, 10, 0.0))
    assert (change.ci_low, change.ci_high) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("start", "latest", "kwargs", "message"),
    [
        (PeriodValue(float("nan")), PeriodValue(1.0), {}, "finite"),
        (PeriodValue(1.0, 0, 1.0), PeriodValue(1.0), {}, "n must be at least 1"),
        (PeriodValue(1.0, 5, -1.0), PeriodValue(1.0), {}, "sd must be"),
        (PeriodValue(1.0), PeriodValue(1.0), {"direction": "up"}, "direction"),
        (PeriodValue(1.0), PeriodValue(1.0), {"confidence": 1.0}, "confidence"),
    ],
)
def test_bad_input_is_refused_with_a_message(start, latest, kwargs, message):
    with pytest.raises(ValueError, match=message):
        change_from_start(start, latest, **kwargs)


def test_gap_closed_counts_the_share_of_the_distance_to_target():
    assert gap_closed(12, 34, 40, "increase") == pytest.approx(22 / 28)
    assert gap_closed(3.9, 2.8, 2.5, "decrease") == pytest.approx(1.1 / 1.4)
    assert gap_closed(30, 25, 40, "increase") == pytest.approx(-0.5)
    assert gap_closed(40, 45, 40, "increase") is None  # at target from the start
    assert gap_closed(2.0, 1.8, 2.5, "decrease") is None


def test_a_low_start_that_improves_ranks_above_a_high_start_that_stands_still():
    # Levels: the high starter ends at 38, above the low starter's 34.
    low_start = gap_closed(12, 34, 40, "increase")
    high_start = gap_closed(38, 38.5, 40, "increase")
    standings = rank_by_progress({"Sales": [high_start], "Customer Service": [low_start]})
    assert [s.unit for s in standings] == ["Customer Service", "Sales"]
    assert [s.rank for s in standings] == [1, 2]


def test_equal_scores_share_a_rank_and_empty_units_are_left_out():
    standings = rank_by_progress({"a": [0.5], "b": [0.25, 0.75], "c": [0.1], "d": []})
    assert [(s.unit, s.rank, s.counted) for s in standings] == [
        ("a", 1, 1),
        ("b", 1, 2),
        ("c", 3, 1),
    ]
