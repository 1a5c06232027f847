"""Arbitrary numbers into every analysis: a result, or a ValueError a person can act on.

Degenerate input (no observations, one value repeated, NaN, infinities, values
up to 1e12 and counts up to 1e18, negative counts, zero denominators) must never
surface as ZeroDivisionError, IndexError, an overflow or a numpy RuntimeWarning
(which the test run turns into an error): bad input is refused with ValueError.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.bayesian import bayesian_compare, expected_loss, normal_posterior
from analysis.cuped import compare_means_cuped
from analysis.designs import (
    difference_in_differences,
    interrupted_time_series,
    threshold_regression,
)
from analysis.multiple import adjust_p_values
from analysis.power import (
    minimum_detectable_effect,
    proportion_sample_size,
    sample_size_per_group,
    two_sample_power,
    weeks_remaining,
)
from analysis.results import Comparison
from analysis.returns import (
    BenefitLine,
    combined_returns_summary,
    irr,
    npv,
    payback_years,
    returns_summary,
    roi,
    yearly_cashflows,
)
from analysis.scores import compare_nps, mann_whitney_from_counts, nps_from_counts
from analysis.sequential import sequential_compare
from analysis.srm import sample_ratio_mismatch
from analysis.sufficient import Comoments, Moments
from analysis.tails import quantile_differences, quantile_differences_from_counts
from analysis.two_sample import compare, non_inferiority

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SLOW = settings(FUZZ, max_examples=40)

# Huge means far beyond any business figure, yet with a square float64 can hold.
HUGE = 1e12
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, HUGE, -HUGE, math.nan, math.inf, -math.inf]
numbers = st.one_of(st.sampled_from(EDGES), st.floats(-HUGE, HUGE), st.floats(-1e3, 1e3))
modest = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5]), st.floats(-1e3, 1e3))
counts = st.one_of(st.sampled_from([-1, 0, 1, 2, 10**18]), st.integers(-5, 10**6))
shares = st.one_of(st.sampled_from([0.0, 1.0, 0.05, 0.5, -0.1, 1.5, math.nan]), st.floats())
values = st.lists(numbers, max_size=25)
kinds = st.sampled_from(["mean", "proportion", "ratio", "median"])
directions = st.sampled_from(["increase", "decrease", "sideways"])


def refused_or_result(call):
    """The call's result, or None when it refused the input with a ValueError."""
    try:
        return call()
    except ValueError as error:
        assert str(error), "a refusal must say what is wrong"
        return None


def assert_sound(result) -> None:
    """A comparison's p-value is a probability; its interval is ordered where it exists."""
    if not isinstance(result, Comparison):
        return
    if not math.isnan(result.p_value):
        assert 0 <= result.p_value <= 1
    interval = result.absolute
    if not math.isnan(interval.ci_low) and not math.isnan(interval.ci_high):
        assert interval.ci_low <= interval.ci_high


@st.composite
def moments(draw) -> Moments:
    if draw(st.booleans()):
        return Moments(draw(counts), draw(numbers), draw(numbers), draw(numbers))
    data = draw(st.lists(modest, max_size=25))
    return Moments.from_values(data)


@st.composite
def comoments(draw) -> Comoments:
    if draw(st.booleans()):
        n = draw(counts)
        x = Moments(n, draw(numbers), draw(numbers), draw(numbers))
        y = Moments(n, draw(numbers), draw(numbers), draw(numbers))
        return Comoments(x, y, draw(numbers))
    pairs = draw(st.lists(st.tuples(modest, modest), max_size=25))
    return Comoments.from_values([p[0] for p in pairs], [p[1] for p in pairs])


@st.composite
def groups(draw, kind: str):
    return draw(comoments() if kind == "ratio" else moments())


@FUZZ
@given(data=st.data(), kind=kinds, alpha=shares)
def test_fixed_sequential_and_bayesian_comparisons(data, kind, alpha):
    group_kind = kind if kind in ("mean", "proportion", "ratio") else "mean"
    baseline = data.draw(groups(group_kind))
    pilot = data.draw(groups(group_kind))
    direction = data.draw(directions)
    assert_sound(refused_or_result(lambda: compare(baseline, pilot, kind, alpha)))
    assert_sound(refused_or_result(lambda: sequential_compare(baseline, pilot, kind, alpha)))
    assert_sound(
        refused_or_result(lambda: bayesian_compare(baseline, pilot, kind, direction, alpha))
    )
    margin = data.draw(numbers)
    refused_or_result(lambda: non_inferiority(baseline, pilot, kind, margin, direction, alpha))


@FUZZ
@given(baseline=comoments(), pilot=comoments(), alpha=shares)
def test_cuped(baseline, pilot, alpha):
    assert_sound(refused_or_result(lambda: compare_means_cuped(baseline, pilot, alpha)))


@FUZZ
@given(
    estimate=numbers,
    se=numbers,
    prior_mean=numbers,
    prior_sd=st.none() | numbers,
    direction=directions,
)
def test_bayesian_building_blocks(estimate, se, prior_mean, prior_sd, direction):
    refused_or_result(lambda: normal_posterior(estimate, se, prior_mean, prior_sd))
    refused_or_result(lambda: expected_loss(estimate, se, direction))


@FUZZ
@given(n_baseline=counts, n_pilot=counts, pilot_share=shares)
def test_sample_ratio_mismatch(n_baseline, n_pilot, pilot_share):
    result = refused_or_result(lambda: sample_ratio_mismatch(n_baseline, n_pilot, pilot_share))
    if result is not None:
        assert 0 <= result.p_value <= 1


@FUZZ
@given(p_values=st.lists(shares, max_size=12), method=st.sampled_from(["holm", "bh", "bonf"]))
def test_multiple_testing(p_values, method):
    adjusted = refused_or_result(lambda: adjust_p_values(p_values, method))
    if adjusted is not None:
        assert len(adjusted) == len(p_values)
        assert all(0 <= p <= 1 for p in adjusted)


@FUZZ
@given(effect=numbers, n=numbers, alpha=shares, power=shares, ratio=numbers, sd=numbers)
def test_power(effect, n, alpha, power, ratio, sd):
    refused_or_result(lambda: two_sample_power(effect, n, alpha, ratio))
    refused_or_result(lambda: two_sample_power(effect, n, alpha, ratio, approximation="normal"))
    refused_or_result(lambda: sample_size_per_group(effect, alpha, power, ratio))
    refused_or_result(lambda: minimum_detectable_effect(sd, n, alpha, power))
    refused_or_result(lambda: proportion_sample_size(alpha, power, alpha, power, ratio))
    refused_or_result(lambda: weeks_remaining(effect, n, sd))


@SLOW
@given(
    baseline=values,
    pilot=values,
    quantiles=st.lists(shares, max_size=3),
    alpha=shares,
    n_resamples=st.sampled_from([-1, 0, 1, 20]),
)
def test_tails(baseline, pilot, quantiles, alpha, n_resamples):
    refused_or_result(
        lambda: quantile_differences(baseline, pilot, quantiles, alpha, n_resamples=n_resamples)
    )
    as_counts = {value: 1 for value in baseline}, {value: 2 for value in pilot}
    refused_or_result(
        lambda: quantile_differences_from_counts(
            *as_counts, quantiles, alpha, n_resamples=n_resamples
        )
    )


score_counts = st.dictionaries(
    st.one_of(st.integers(-2, 12), st.sampled_from([math.nan, 9.5])), counts, max_size=12
)


@FUZZ
@given(baseline=score_counts, pilot=score_counts, alpha=shares)
def test_scores(baseline, pilot, alpha):
    refused_or_result(lambda: nps_from_counts(baseline, alpha))
    assert_sound(refused_or_result(lambda: compare_nps(baseline, pilot, alpha)))
    assert_sound(refused_or_result(lambda: mann_whitney_from_counts(baseline, pilot, alpha)))


cashflows = st.lists(numbers, max_size=8)
costs = st.lists(st.tuples(numbers, st.integers(-2, 12), st.booleans()), max_size=4)


@FUZZ
@given(flows=cashflows, rate=numbers, benefit=numbers, cost=numbers)
def test_cash_flow_measures(flows, rate, benefit, cost):
    refused_or_result(lambda: npv(flows, rate))
    refused_or_result(lambda: irr(flows))
    refused_or_result(lambda: payback_years(flows))
    refused_or_result(lambda: roi(benefit, cost))


@SLOW
@given(
    effect=st.tuples(numbers, numbers),
    value_per_unit=numbers,
    volume=numbers,
    costs=costs,
    horizon=st.integers(-1, 12),
    rate=numbers,
    programmes=st.dictionaries(st.text(max_size=3), numbers, max_size=2),
    direction=directions,
    alpha=shares,
)
def test_returns(
    effect, value_per_unit, volume, costs, horizon, rate, programmes, direction, alpha
):
    refused_or_result(lambda: yearly_cashflows(costs, value_per_unit, horizon))
    refused_or_result(
        lambda: returns_summary(
            effect,
            value_per_unit,
            volume,
            costs,
            horizon,
            rate,
            programmes,
            direction,
            alpha,
            n_draws=200,
        )
    )
    line = BenefitLine(effect, value_per_unit, volume, direction)
    refused_or_result(
        lambda: combined_returns_summary([line], costs, horizon, rate, programmes, alpha, 200)
    )


@st.composite
def panels(draw):
    """Rows of (y, pilot, post, cluster), mostly well formed, sometimes not."""
    n = draw(st.integers(0, 24))
    y = draw(st.lists(st.one_of(modest, numbers), min_size=n, max_size=n))
    pilot = draw(st.lists(st.sampled_from([0, 1, 1, 0, 2]), min_size=n, max_size=n))
    post = draw(st.lists(st.sampled_from([0, 1, True, -1]), min_size=n, max_size=n))
    cluster = draw(st.none() | st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return y, pilot, post, cluster


@SLOW
@given(panel=panels(), alpha=shares, intervention=numbers, maxlags=st.none() | counts)
def test_designs(panel, alpha, intervention, maxlags):
    y, pilot, post, cluster = panel
    time = list(range(len(y)))
    assert_sound(refused_or_result(lambda: difference_in_differences(y, pilot, post, cluster)))
    assert_sound(
        refused_or_result(
            lambda: interrupted_time_series(time, y, intervention, alpha, maxlags=maxlags)
        )
    )
    assert_sound(
        refused_or_result(lambda: threshold_regression(y, time[::-1], alpha, n_resamples=19))
    )
