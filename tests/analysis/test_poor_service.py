"""The cost of poor service and the benefit a claim derives from a measured effect.

Each interval is checked against values computed independently of
``analysis.returns``: the exact answer when nothing is uncertain, the normal
distribution's quantiles when only the effect is, and a direct numpy
simulation of the product of the raw inputs (with another seed and 50 times
the draws) plus the exact moments of a product of independent variables
when the line's ranges are uncertain too.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from analysis.poor_service import (
    effect_se,
    reduction_line,
    stated_total,
    yearly_cost,
)
from analysis.results import Estimate
from analysis.returns import (
    BenefitLine,
    _annual_benefits,
    annual_benefit,
    combined_returns_summary,
)

# A rework line: 30 000 repeat calls a year at 6.50, the change reaching 40 % of them.
VOLUME, VOLUME_RANGE = 30_000.0, (24_000.0, 38_000.0)
COST, COST_RANGE = 6.5, (5.0, 9.0)
SHARE = 0.4
EFFECT, SE = -0.12, 0.035  # repeat calls fall by 12 %


def test_a_line_costs_volume_times_unit_cost_within_its_stated_range():
    assert yearly_cost(1200, 850) == Estimate(1_020_000.0, 1_020_000.0, 1_020_000.0)
    cost = yearly_cost(VOLUME, COST, VOLUME_RANGE, COST_RANGE)
    assert cost == Estimate(195_000.0, 120_000.0, 342_000.0)
    total = stated_total([cost, yearly_cost(10, 100)])
    assert total == Estimate(196_000.0, 121_000.0, 343_000.0)


@pytest.mark.parametrize(
    ("volume", "volume_range", "message"),
    [
        (-1.0, None, "volume must be a finite number of at least zero"),
        (float("nan"), None, "volume must be a finite number"),
        (100.0, (120.0, 150.0), "hold its stated value 100"),
        (100.0, (150.0, 80.0), "low first"),
        (100.0, (1.0,), "two numbers"),
    ],
)
def test_a_bad_volume_or_range_says_what_is_wrong(volume, volume_range, message):
    with pytest.raises(ValueError, match=message):
        yearly_cost(volume, 10.0, volume_range)


def test_a_share_outside_zero_to_one_is_refused():
    for share in (0, 1.5, -0.2):
        with pytest.raises(ValueError, match=r"share of the volume reached must lie in \(0, 1\]"):
            reduction_line(EFFECT, SE, VOLUME, COST, share)


def test_with_nothing_uncertain_the_benefit_is_exact_and_its_interval_a_point():
    line = reduction_line(EFFECT, 0.0, VOLUME, COST, SHARE)
    exact = -EFFECT * SHARE * VOLUME * COST  # 9 360 a year
    result = annual_benefit([line], seed=3)
    assert_allclose([result.estimate, result.ci_low, result.ci_high], exact, rtol=1e-12)
    assert_allclose(exact, 9360.0, rtol=1e-12)


def test_a_rise_in_the_failure_is_a_negative_benefit():
    line = reduction_line(0.05, 0.0, VOLUME, COST, 1.0)
    assert_allclose(annual_benefit([line]).estimate, -0.05 * VOLUME * COST, rtol=1e-12)


def test_with_only_the_effect_uncertain_the_interval_is_the_normal_one_scaled():
    line = reduction_line(EFFECT, SE, VOLUME, COST, SHARE)
    result = annual_benefit([line], n_draws=200_000, seed=1)
    worth = SHARE * VOLUME * COST
    z = stats.norm.ppf(0.975)
    expected = [-EFFECT * worth, (-EFFECT - z * SE) * worth, (-EFFECT + z * SE) * worth]
    # Monte Carlo error of a 2.5 % quantile with 200 000 draws: about 0.3 % of the SE.
    assert_allclose(result.estimate, expected[0], rtol=1e-12)
    assert_allclose([result.ci_low, result.ci_high], expected[1:], atol=0.01 * SE * worth)


def test_with_ranges_the_interval_matches_a_direct_simulation_of_the_raw_inputs():
    line = reduction_line(EFFECT, SE, VOLUME, COST, SHARE, VOLUME_RANGE, COST_RANGE)
    result = annual_benefit([line], n_draws=20_000, seed=0)

    # The same model written out from the raw inputs, with its own generator and more draws.
    rng = np.random.default_rng(20260101)
    n = 1_000_000
    fall = -rng.normal(EFFECT, SE, n)
    volume = SHARE * rng.triangular(*_mode_between(VOLUME, VOLUME_RANGE), n)
    cost = rng.triangular(*_mode_between(COST, COST_RANGE), n)
    direct = fall * volume * cost
    low, high = np.quantile(direct, [0.025, 0.975])

    assert_allclose(result.estimate, -EFFECT * SHARE * VOLUME * COST, rtol=1e-12)
    # 20 000 draws against a million: the ends agree within 3 % of the interval's width.
    width = high - low
    assert abs(result.ci_low - low) < 0.03 * width
    assert abs(result.ci_high - high) < 0.03 * width


def test_with_ranges_the_draws_have_the_moments_of_a_product_of_independent_variables():
    line = reduction_line(EFFECT, SE, VOLUME, COST, SHARE, VOLUME_RANGE, COST_RANGE)
    _, draws = _annual_benefits([line], 0.05, 400_000, np.random.default_rng(7))

    # E[XYZ] = E[X]E[Y]E[Z]; Var = E[X²]E[Y²]E[Z²] − (E[X]E[Y]E[Z])² for independent X, Y, Z.
    # Triangular(a, c, b): mean (a + b + c)/3, variance (a² + b² + c² − ab − ac − bc)/18.
    def triangular(mode, ends):
        a, b = ends
        mean = (a + b + mode) / 3
        var = (a * a + b * b + mode * mode - a * b - a * mode - b * mode) / 18
        return mean, var

    moments = [(-EFFECT, SE**2), triangular(SHARE * VOLUME, [SHARE * e for e in VOLUME_RANGE])]
    moments.append(triangular(COST, COST_RANGE))
    mean = np.prod([m for m, _ in moments])
    second = np.prod([v + m * m for m, v in moments])
    sd = np.sqrt(second - mean**2)
    # Standard errors of the simulated mean and sd with 400 000 draws: about 0.16 % of sd.
    assert_allclose(draws.mean(), mean, atol=0.01 * sd)
    assert_allclose(draws.std(ddof=1), sd, rtol=0.01)


def test_a_claim_enters_the_returns_through_the_same_draws():
    claim = reduction_line(EFFECT, SE, VOLUME, COST, SHARE, VOLUME_RANGE, COST_RANGE)
    ordinary = BenefitLine((0.03, 0.01), 40, 5_000, "increase")
    summary = combined_returns_summary([ordinary, claim], [(10_000, 0)], 3, 0.08, {})
    alone = annual_benefit([ordinary, claim])
    assert summary.annual_benefit == alone
    assert_allclose(summary.annual_benefit.estimate, 0.03 * 40 * 5_000 + 9360.0, rtol=1e-12)


def test_lines_without_ranges_draw_as_before():
    # The ranges extend the Monte Carlo; a line without them keeps its draws exactly.
    line = BenefitLine((-0.02, 0.005), 150, 10_000, "decrease")
    rng = np.random.default_rng(0)
    expected = -(150 * 10_000) * rng.normal(-0.02, 0.005, 500)
    _, draws = _annual_benefits([line], 0.05, 500, np.random.default_rng(0))
    assert_allclose(draws, expected, rtol=0, atol=0)


def test_the_standard_error_is_read_off_the_wider_side_of_the_interval():
    z = stats.norm.ppf(0.975)
    assert_allclose(effect_se(-0.2, -0.3, -0.1, 0.95), 0.1 / z, rtol=1e-12)
    # A proportion's relative interval cut at −100 %: the uncut side tells the spread.
    assert_allclose(effect_se(-0.8, -1.0, -0.3, 0.95), 0.5 / z, rtol=1e-12)
    assert_allclose(effect_se(0.1, 0.0, 0.2, 0.90), 0.1 / stats.norm.ppf(0.95), rtol=1e-12)
    with pytest.raises(ValueError, match="does not hold"):
        effect_se(0.5, 0.0, 0.2, 0.95)


def _mode_between(mode, ends):
    return ends[0], mode, ends[1]
