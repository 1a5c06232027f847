"""NPV, IRR, payback, ROI and the Monte Carlo returns summary."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from analysis.results import Estimate
from analysis.returns import (
    BenefitLine,
    Cost,
    combined_returns_summary,
    irr,
    npv,
    payback_years,
    returns_summary,
    roi,
    yearly_cashflows,
)

GITMAN = [-100, 39, 59, 55, 20]


class TestNpv:
    def test_gitman_example(self):
        # NumPy 1.10 docs, numpy.npv: np.npv(0.281, [-100, 39, 59, 55, 20])
        # = -0.0084785916384548798 (example after Gitman 2003, p. 346).
        assert_allclose(npv(GITMAN, 0.281), -0.0084785916384548798, rtol=1e-12)

    def test_at_ten_percent_by_hand(self):
        by_hand = -100 + 39 / 1.1 + 59 / 1.1**2 + 55 / 1.1**3 + 20 / 1.1**4
        assert_allclose(npv(GITMAN, 0.10), by_hand, rtol=1e-14)
        assert_allclose(npv(GITMAN, 0.10), 39.1975, atol=5e-5)

    def test_zero_rate_is_the_plain_sum(self):
        assert npv(GITMAN, 0.0) == sum(GITMAN)

    @pytest.mark.parametrize(
        ("cashflows", "rate", "message"),
        [([], 0.1, "non-empty"), ([-1, math.nan], 0.1, "missing"), (GITMAN, -1.0, "above -1")],
    )
    def test_bad_input_is_refused(self, cashflows, rate, message):
        with pytest.raises(ValueError, match=message):
            npv(cashflows, rate)


class TestIrr:
    def test_gitman_example(self):
        # NumPy 1.3 docs, numpy.irr: np.irr([-100, 39, 59, 55, 20]) = 0.2809484211599611.
        assert_allclose(irr(GITMAN), 0.2809484211599611, rtol=1e-12)

    @pytest.mark.parametrize(
        ("cashflows", "expected"),
        # NumPy 1.13 docs, numpy.irr examples, rounded there to five decimals.
        [([-100, 0, 0, 74], -0.0955), ([-100, 100, 0, 7], 0.06206)],
    )
    def test_numpy_documentation_examples(self, cashflows, expected):
        assert_allclose(irr(cashflows), expected, atol=5e-6)

    @pytest.mark.parametrize(
        "cashflows",
        [GITMAN, [-5e6, 1.2e6, 1.5e6, 1.8e6, 2.1e6], [-1, 0.1, 0.1, 0.1, 1.2], [0, -50, 80]],
    )
    def test_npv_at_the_irr_is_zero(self, cashflows):
        assert abs(npv(cashflows, irr(cashflows))) <= 1e-9 * max(map(abs, cashflows))

    def test_no_sign_change_has_no_irr(self):
        with pytest.raises(ValueError, match="never change sign"):
            irr([100, 20, 30])

    def test_several_roots_are_refused(self):
        # NumPy's irr returns -0.0833 here (the root nearest zero); -0.679 is a root too.
        with pytest.raises(ValueError, match="several rates"):
            irr([-100, 100, 0, -7])


class TestPayback:
    @pytest.mark.parametrize(
        ("cashflows", "expected"),
        [
            ([-100, 40, 40, 40], 2.5),
            ([-100, 150], 100 / 150),
            ([50, 10], 0.0),
            ([-100, 100], 1.0),
            # A later outlay that puts it behind again moves the payback to after it.
            ([-100, 80, 80, -70, 100], 3.1),
            ([-100, 80, 80, -50, 100], 1.25),
        ],
    )
    def test_interpolates_within_the_year(self, cashflows, expected):
        assert_allclose(payback_years(cashflows), expected, rtol=1e-12)

    @pytest.mark.parametrize("cashflows", [[-100, 30, 30, 30], [-100, 80, 80, -100, 10]])
    def test_never_paid_back_is_none(self, cashflows):
        assert payback_years(cashflows) is None


def test_roi():
    assert roi(125_000, 100_000) == 0.25
    with pytest.raises(ValueError, match="positive total cost"):
        roi(10, 0)


class TestYearlyCashflows:
    def test_one_off_and_recurring_costs(self):
        costs = [Cost(1000, 0), Cost(100, 1, recurring=True), (50, 2, False)]
        assert yearly_cashflows(costs, 600, 3) == [-1000.0, 500.0, 450.0, 500.0]

    def test_recurring_from_year_zero_is_paid_every_year(self):
        assert yearly_cashflows([(10, 0, True)], 0, 2) == [-10.0, -10.0, -10.0]

    @pytest.mark.parametrize(
        ("costs", "horizon", "message"),
        [
            ([(100, 4)], 3, "from 0 to 3"),
            ([(-100, 0)], 3, "at least zero"),
            ([(100,)], 3, "amount, year"),
            ([(100, 0)], 0, "horizon_years"),
        ],
    )
    def test_bad_costs_are_refused(self, costs, horizon, message):
        with pytest.raises(ValueError, match=message):
            yearly_cashflows(costs, 10, horizon)


REMINDER_COSTS = [Cost(20_000, 0), Cost(5_000, 1, recurring=True)]


def reminder_summary(se=0.005, programmes=None, seed=0, effect=-0.02):
    """A reminder system that lowers the failure-to-attend rate; 150 per missed appointment."""
    return returns_summary(
        (effect, se),
        value_per_unit=150,
        volume_per_year=10_000,
        costs=REMINDER_COSTS,
        horizon_years=3,
        discount_rate=0.08,
        programmes=programmes or {"switch replacement": 0.4},
        direction="decrease",
        seed=seed,
    )


class TestReturnsSummary:
    def test_points_follow_the_estimated_effect(self):
        summary = reminder_summary()
        flows = yearly_cashflows(REMINDER_COSTS, 0.02 * 150 * 10_000, 3)
        assert summary.cashflows == tuple(flows)
        assert summary.annual_benefit.estimate == pytest.approx(30_000)
        assert_allclose(summary.npv.estimate, npv(flows, 0.08), rtol=1e-12)
        assert_allclose(summary.roi.estimate, roi(90_000, 35_000), rtol=1e-12)
        assert_allclose(summary.irr, irr(flows), rtol=1e-12)
        assert_allclose(summary.payback_years.estimate, payback_years(flows), rtol=1e-12)

    def test_zero_standard_error_collapses_every_interval(self):
        summary = reminder_summary(se=0.0)
        for estimate in (summary.annual_benefit, summary.roi, summary.npv, summary.payback_years):
            assert estimate.ci_low == pytest.approx(estimate.estimate, rel=1e-12)
            assert estimate.ci_high == pytest.approx(estimate.estimate, rel=1e-12)
        assert summary.probability_roi_positive == 1.0
        assert dict(summary.beats) == {"switch replacement": 1.0}

    def test_monte_carlo_interval_matches_the_normal_interval(self):
        # ROI is linear in the effect, so its interval is the effect's normal interval mapped.
        summary = reminder_summary(se=0.005)
        z = stats.norm.ppf(0.975)
        benefit = 150 * 10_000 * np.array([0.02 + z * 0.005, 0.02 - z * 0.005])
        expected = (3 * benefit - 35_000) / 35_000
        assert_allclose([summary.roi.ci_high, summary.roi.ci_low], expected, rtol=0.02)
        assert summary.probability_roi_positive == pytest.approx(
            stats.norm.cdf(0.02 / 0.005 - (35_000 / 3 / 1.5e6) / 0.005), abs=0.005
        )

    def test_probability_of_beating_a_programme_moves_the_right_way(self):
        programmes = {"modest": 0.5, "good": 1.5, "excellent": 3.0}
        beats = dict(reminder_summary(se=0.01, programmes=programmes).beats)
        assert beats["modest"] > beats["good"] > beats["excellent"]
        stronger = dict(reminder_summary(se=0.01, programmes=programmes, effect=-0.03).beats)
        assert all(stronger[name] > beats[name] for name in programmes)

    def test_same_seed_gives_identical_results(self):
        assert reminder_summary(seed=3) == reminder_summary(seed=3)
        assert reminder_summary(seed=3).roi != reminder_summary(seed=4).roi

    def test_estimate_gives_the_same_as_its_standard_error(self):
        z = stats.norm.ppf(0.975)
        from_estimate = returns_summary(
            Estimate(-0.02, -0.02 - z * 0.005, -0.02 + z * 0.005),
            150,
            10_000,
            REMINDER_COSTS,
            3,
            0.08,
            {"switch replacement": 0.4},
            direction="decrease",
        )
        from_se = reminder_summary(se=0.005)
        assert_allclose(from_estimate.roi.ci_low, from_se.roi.ci_low, rtol=1e-9)
        assert_allclose(from_estimate.npv.ci_high, from_se.npv.ci_high, rtol=1e-9)

    def test_uncertain_payback_has_no_upper_end(self):
        summary = reminder_summary(se=0.015)
        assert math.isinf(summary.payback_years.ci_high)
        assert any("no upper end" in note for note in summary.notes)

    def test_no_payback_and_no_irr_when_the_effect_does_not_pay(self):
        summary = reminder_summary(effect=-0.001)
        assert summary.payback_years is None
        assert summary.irr is None
        assert summary.roi.estimate < 0

    def test_lines_add_up(self):
        lines = [
            BenefitLine((0.03, 0.01), 40, 50_000, "increase", "first-line resolution"),
            BenefitLine((-1.5, 0.4), 12, 2_000, "decrease", "complaints per 100 contacts"),
        ]
        summary = combined_returns_summary(lines, [(50_000, 0)], 3, 0.08, {})
        assert summary.annual_benefit.estimate == pytest.approx(
            0.03 * 40 * 50_000 + 1.5 * 12 * 2_000
        )
        assert any("independently" in note for note in summary.notes)
        single = combined_returns_summary(lines[:1], [(50_000, 0)], 3, 0.08, {})
        alone = returns_summary((0.03, 0.01), 40, 50_000, [(50_000, 0)], 3, 0.08, {})
        assert single == alone

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"direction": "down"}, "direction"),
            ({"effect": (0.1, -1)}, "non-negative"),
            ({"effect": "big"}, "Estimate"),
            ({"costs": []}, "add up to zero"),
            ({"programmes": {"x": math.nan}}, "finite ROI"),
            ({"discount_rate": -2}, "above -1"),
            ({"n_draws": 10}, "99"),
            ({"volume_per_year": -5}, "volume_per_year"),
        ],
    )
    def test_bad_input_is_refused(self, changes, message):
        arguments = {
            "effect": (0.1, 0.02),
            "value_per_unit": 10,
            "volume_per_year": 1000,
            "costs": [(100, 0)],
            "horizon_years": 3,
            "discount_rate": 0.05,
            "programmes": {},
        }
        with pytest.raises(ValueError, match=message):
            returns_summary(**(arguments | changes))
