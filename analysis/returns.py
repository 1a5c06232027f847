"""Returns of a pilot in finance's terms: NPV, IRR, payback and ROI, with their uncertainty."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import optimize, stats

from analysis.results import Estimate


class Cost(NamedTuple):
    """One cost of rolling out the pilot's change.

    ``amount`` is paid in ``year`` (0 is now) and, if ``recurring``, again in
    every later year up to the horizon. A plain ``(amount, year, recurring)``
    tuple works wherever a ``Cost`` does.
    """

    amount: float
    year: int
    recurring: bool = False


@dataclass(frozen=True)
class BenefitLine:
    """One metric's contribution to the yearly benefit.

    ``effect`` is the pilot's effect on the metric (pilot − baseline), as an
    :class:`Estimate` or an ``(estimate, standard error)`` pair;
    ``value_per_unit`` is the money one unit of improvement is worth on one
    unit of volume, and ``volume_per_year`` how many such units a year brings.
    ``direction`` says which way is good: ``"increase"`` or ``"decrease"``.

    ``value_range`` and ``volume_range`` are optional ``(low, high)`` ranges
    finance gives around the value and the volume; the Monte Carlo then draws
    each from a triangular distribution with its stated value as the mode,
    independently of the effect. Without them the value and the volume are
    taken as known.
    """

    effect: Estimate | tuple[float, float]
    value_per_unit: float
    volume_per_year: float
    direction: str = "increase"
    name: str = ""
    value_range: tuple[float, float] | None = None
    volume_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class ReturnsSummary:
    """What finance needs to compare a pilot with its existing programmes.

    Every interval is a Monte Carlo percentile interval that carries the
    uncertainty of the measured effect; the points use the effect's estimate.
    ``roi`` is over the whole horizon and undiscounted, ``npv`` discounted.
    ``payback_years`` is None when the pilot does not pay back within the
    horizon at the point estimate; its ``ci_high`` is infinite when it might
    not. ``beats`` pairs each programme with the probability that the pilot's
    ROI exceeds the programme's stated ROI. ``cashflows`` are the yearly net
    cash flows at the point estimate, year 0 first.
    """

    annual_benefit: Estimate
    roi: Estimate
    npv: Estimate
    irr: float | None
    payback_years: Estimate | None
    probability_roi_positive: float
    probability_npv_positive: float
    beats: tuple[tuple[str, float], ...]
    cashflows: tuple[float, ...]
    notes: tuple[str, ...] = ()


def npv(cashflows, rate) -> float:
    """Net present value of yearly cash flows, the first one now (undiscounted).

    Parameters
    ----------
    cashflows : sequence of float
        Net cash flow of each year; ``cashflows[0]`` is year 0.
    rate : float
        Yearly discount rate, such as 0.08 for 8%; above −1.

    Returns
    -------
    float
        ``sum(cashflows[t] / (1 + rate) ** t)``.

    Raises
    ------
    ValueError
        For an empty or non-finite cash-flow list or a rate of −1 or below.

    References
    ----------
    .. [1] Gitman, L. J. (2003). *Principles of Managerial Finance, Brief*,
       3rd ed., p. 346. Addison-Wesley.

    Examples
    --------
    >>> round(npv([-100, 39, 59, 55, 20], 0.10), 4)
    39.1975
    """
    return _npv(_cashflow_array(cashflows), _checked_rate(rate))


def irr(cashflows) -> float:
    """Internal rate of return: the discount rate at which the NPV is zero.

    The NPV is a polynomial in v = 1 / (1 + r); its positive real roots are the
    candidate rates. When there is exactly one, it is polished with Brent's
    method on the NPV.

    Parameters
    ----------
    cashflows : sequence of float
        Net cash flow of each year; ``cashflows[0]`` is year 0.

    Returns
    -------
    float
        The rate, such as 0.28 for 28%.

    Raises
    ------
    ValueError
        When the cash flows never change sign (no rate makes the NPV zero),
        when several rates do (the IRR is ambiguous; compare NPVs instead), or
        when the NPV only touches zero without crossing it.

    References
    ----------
    .. [1] Gitman, L. J. (2003). *Principles of Managerial Finance, Brief*,
       3rd ed., p. 348. Addison-Wesley.
    .. [2] Brent, R. P. (1973). *Algorithms for Minimization without
       Derivatives*, chapter 4. Prentice-Hall.

    Examples
    --------
    >>> round(irr([-100, 39, 59, 55, 20]), 5)
    0.28095
    """
    flows = _cashflow_array(cashflows)
    signs = np.sign(flows[flows != 0])
    if signs.size == 0 or (signs == signs[0]).all():
        raise ValueError(
            "no IRR: the cash flows never change sign, so no discount rate makes the NPV zero"
        )
    factor = _unique_discount_factor(flows)
    rate = 1 / factor - 1
    # Half and double the discount factor bracket the only root.
    low, high = 1 / (2 * factor) - 1, 2 / factor - 1
    if not low > -1:
        raise ValueError("no IRR: the NPV is zero only at a rate indistinguishable from -100%")
    if np.sign(_npv(flows, low)) == np.sign(_npv(flows, high)):
        raise ValueError(
            f"no IRR: the NPV touches zero near a rate of {rate:.4g} without changing sign"
        )
    return float(
        optimize.brentq(
            lambda r: _npv(flows, r), low, high, xtol=1e-15, rtol=4 * np.finfo(float).eps
        )
    )


def payback_years(cashflows) -> float | None:
    """Years until the cumulative cash flow is back at zero for good.

    Cash flows of year t ≥ 1 are taken to arrive evenly through that year, so
    the crossing is interpolated linearly within it. The payback is the moment
    after which the cumulative cash flow stays at or above zero to the end of
    the list: a later outlay that pushes it below zero again moves the payback
    later. For an ordinary investment this is the textbook payback period.

    Parameters
    ----------
    cashflows : sequence of float
        Net cash flow of each year; ``cashflows[0]`` is year 0.

    Returns
    -------
    float or None
        The payback in years (0.0 when never behind), or None when the
        cumulative cash flow is still below zero at the end.

    Raises
    ------
    ValueError
        For an empty or non-finite cash-flow list.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. & Allen, F. (2020). *Principles of
       Corporate Finance*, 13th ed., section 5.3 (payback). McGraw-Hill.

    Examples
    --------
    >>> payback_years([-100, 40, 40, 40])
    2.5
    """
    years = _payback(_cashflow_array(cashflows)[None, :])[0]
    return None if math.isnan(years) else float(years)


def roi(total_benefit, total_cost) -> float:
    """Return on investment: (benefit − cost) / cost.

    Parameters
    ----------
    total_benefit : float
        Total benefit over the period compared.
    total_cost : float
        Total cost over the same period; must be positive.

    Returns
    -------
    float
        ROI as a fraction, such as 0.25 for 25%.

    Raises
    ------
    ValueError
        When the cost is not positive or either figure is not finite.

    References
    ----------
    .. [1] Phillips, J. J. (2003). *Return on Investment in Training and
       Performance Improvement Programs*, 2nd ed., chapter 9.
       Butterworth-Heinemann.

    Examples
    --------
    >>> roi(125_000, 100_000)
    0.25
    """
    if not (math.isfinite(total_benefit) and math.isfinite(total_cost)):
        raise ValueError("total_benefit and total_cost must be finite numbers")
    if total_cost <= 0:
        raise ValueError(f"ROI needs a positive total cost, got {total_cost}")
    return (total_benefit - total_cost) / total_cost


def yearly_cashflows(costs, annual_benefit, horizon_years) -> list[float]:
    """Net cash flow of each year from year 0 to the horizon.

    The change is paid for from year 0 and earns ``annual_benefit`` in each of
    years 1 to ``horizon_years``.

    Parameters
    ----------
    costs : sequence of Cost or (amount, year, recurring)
        Amounts are positive outlays; recurring costs repeat every year from
        their year to the horizon.
    annual_benefit : float
        Benefit earned in each year from year 1.
    horizon_years : int
        Last year counted (at least 1).

    Returns
    -------
    list of float
        ``horizon_years + 1`` values, year 0 first.

    Raises
    ------
    ValueError
        For a bad horizon, a negative or non-finite amount, or a cost year
        outside 0..horizon.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. & Allen, F. (2020). *Principles of
       Corporate Finance*, 13th ed., chapter 6. McGraw-Hill.

    Examples
    --------
    >>> yearly_cashflows([(1000, 0, False), (100, 1, True)], 600, 3)
    [-1000.0, 500.0, 500.0, 500.0]
    """
    horizon = _checked_horizon(horizon_years)
    if not math.isfinite(annual_benefit):
        raise ValueError(f"annual_benefit must be a finite number, got {annual_benefit}")
    flows = annual_benefit * _earning_years(horizon) - _cost_schedule(costs, horizon)
    return [float(flow) for flow in flows]


def returns_summary(
    effect,
    value_per_unit,
    volume_per_year,
    costs,
    horizon_years,
    discount_rate,
    programmes: Mapping[str, float],
    direction="increase",
    alpha=0.05,
    n_draws=20000,
    seed=0,
) -> ReturnsSummary:
    """ROI, NPV, IRR and payback of a pilot's effect, against existing programmes.

    The yearly benefit is improvement × ``value_per_unit`` ×
    ``volume_per_year``, the improvement being the effect in the good
    direction. The effect's uncertainty is carried through by Monte Carlo:
    ``n_draws`` effects from a normal distribution with the effect's standard
    error, each turned into cash flows. Value and volume are taken as known.
    For several metrics at once use :func:`combined_returns_summary`.

    ROI is over the horizon and undiscounted, (total benefit − total cost) /
    total cost, because programmes' ROIs are usually stated that way; the NPV
    carries the time value of money.

    Parameters
    ----------
    effect : Estimate or (float, float)
        The pilot's effect on the metric (pilot − baseline). From an
        ``Estimate`` the standard error is read off its interval, taken to be
        a (1 − ``alpha``) normal interval: (high − low) / (2 z).
    value_per_unit : float
        Money per unit of improvement per unit of volume.
    volume_per_year : float
        Units of volume a year (contacts, appointments, agents...).
    costs : sequence of Cost or (amount, year, recurring)
        See :func:`yearly_cashflows`; their total must be positive.
    horizon_years : int
        Years of benefit counted, from year 1.
    discount_rate : float
        Yearly rate for the NPV.
    programmes : Mapping[str, float]
        Existing programmes by name, with their stated ROI over the same
        horizon as a fraction (0.3 for 30%).
    direction : {"increase", "decrease"}
        Which way the metric should move; for "decrease" the improvement is
        −effect.
    alpha : float
        One minus the level of the intervals.
    n_draws : int
        Monte Carlo draws (at least 99).
    seed : int
        Seed of the draws; the same seed gives the same summary.

    Returns
    -------
    ReturnsSummary

    Raises
    ------
    ValueError
        For a bad effect, direction, horizon, rate, cost list or programme
        ROI, or for costs that add up to zero.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. & Allen, F. (2020). *Principles of
       Corporate Finance*, 13th ed., chapters 5–6. McGraw-Hill.
    .. [2] Vose, D. (2008). *Risk Analysis: A Quantitative Guide*, 3rd ed.,
       chapter 4 (Monte Carlo simulation). Wiley.

    Examples
    --------
    A reminder system lowers the failure-to-attend rate by 2 points
    (SE 0.5 points); a missed appointment costs 150 on 10 000 a year.

    >>> summary = returns_summary(
    ...     (-0.02, 0.005), 150, 10_000, [(20_000, 0, False), (5_000, 1, True)],
    ...     horizon_years=3, discount_rate=0.08, programmes={"switches": 0.4},
    ...     direction="decrease")
    >>> round(summary.roi.estimate, 3), summary.payback_years.estimate
    (1.571, 0.8)
    """
    line = BenefitLine(effect, value_per_unit, volume_per_year, direction)
    return combined_returns_summary(
        [line], costs, horizon_years, discount_rate, programmes, alpha, n_draws, seed
    )


def combined_returns_summary(
    benefits: Sequence[BenefitLine],
    costs,
    horizon_years,
    discount_rate,
    programmes: Mapping[str, float],
    alpha=0.05,
    n_draws=20000,
    seed=0,
) -> ReturnsSummary:
    """:func:`returns_summary` for a pilot that pays through several metrics.

    The yearly benefits of the lines add up. Each line's effect is drawn
    independently: effects measured on different metrics of the same pilot
    may be correlated, and treating them as independent then understates the
    spread when they move together and overstates it when they offset.

    Parameters
    ----------
    benefits : sequence of BenefitLine
        One line per metric, each with its own effect, value, volume and
        direction.
    costs, horizon_years, discount_rate, programmes, alpha, n_draws, seed
        As for :func:`returns_summary`.

    Returns
    -------
    ReturnsSummary

    Raises
    ------
    ValueError
        For no benefit lines, or the errors of :func:`returns_summary`.

    References
    ----------
    .. [1] Brealey, R. A., Myers, S. C. & Allen, F. (2020). *Principles of
       Corporate Finance*, 13th ed., chapters 5–6. McGraw-Hill.

    Examples
    --------
    >>> lines = [
    ...     BenefitLine((0.03, 0.01), 40, 50_000, "increase", "first-line resolution"),
    ...     BenefitLine((-1.5, 0.4), 12, 2_000, "decrease", "complaints per 100 contacts"),
    ... ]
    >>> summary = combined_returns_summary(lines, [(50_000, 0)], 3, 0.08, {})
    >>> summary.annual_benefit.estimate
    96000.0
    """
    _check_alpha(alpha)
    horizon = _checked_horizon(horizon_years)
    rate = _checked_rate(discount_rate)
    if n_draws < 99:
        raise ValueError(f"n_draws must be at least 99, got {n_draws}")
    schedule = _cost_schedule(costs, horizon)
    total_cost = float(schedule.sum())
    if total_cost <= 0:
        raise ValueError("the costs add up to zero; ROI and payback need what the change costs")
    targets = _programme_rois(programmes)
    point, draws = _annual_benefits(benefits, alpha, n_draws, np.random.default_rng(seed))

    earning = _earning_years(horizon)
    discount = (1 + rate) ** -np.arange(horizon + 1.0)
    point_flows = point * earning - schedule
    flows = draws[:, None] * earning - schedule
    npv_draws = flows @ discount
    roi_draws = (draws * horizon - total_cost) / total_cost
    notes = []
    if len(benefits) > 1:
        notes.append("the benefit lines' effects are drawn independently of one another")
    tails = [alpha / 2, 1 - alpha / 2]
    return ReturnsSummary(
        annual_benefit=_percentile_estimate(point, draws, tails),
        roi=_percentile_estimate(roi(point * horizon, total_cost), roi_draws, tails),
        npv=_percentile_estimate(_npv(point_flows, rate), npv_draws, tails),
        irr=_irr_or_none(point_flows, notes),
        payback_years=_payback_estimate(point_flows, flows, tails, horizon, notes),
        probability_roi_positive=float(np.mean(roi_draws > 0)),
        probability_npv_positive=float(np.mean(npv_draws > 0)),
        beats=tuple((name, float(np.mean(roi_draws > target))) for name, target in targets),
        cashflows=tuple(float(flow) for flow in point_flows),
        notes=tuple(notes),
    )


def annual_benefit(benefits: Sequence[BenefitLine], alpha=0.05, n_draws=20000, seed=0) -> Estimate:
    """The summed yearly benefit of ``benefits`` with its Monte Carlo percentile interval.

    The same draws :func:`combined_returns_summary` makes: each line's effect
    from a normal distribution with its standard error, and its value and
    volume from their ranges where a range is given, all independently.

    Parameters
    ----------
    benefits : sequence of BenefitLine
        The lines to add up.
    alpha : float
        One minus the level of the interval.
    n_draws : int
        Monte Carlo draws (at least 99).
    seed : int
        Seed of the draws.

    Returns
    -------
    Estimate
        The benefit at the estimated effects and stated values, and the
        ``alpha / 2`` and ``1 − alpha / 2`` percentiles of the draws.

    Raises
    ------
    ValueError
        For no lines, or a bad effect, value, volume or range.

    References
    ----------
    .. [1] Vose, D. (2008). *Risk Analysis: A Quantitative Guide*, 3rd ed.,
       chapters 4 and 10 (the triangular distribution). Wiley.

    Examples
    --------
    Repeat calls fall by 10 % (SE 4 %) on 30 000 calls a year at 6.50 each.

    >>> line = BenefitLine((-0.10, 0.04), 6.5, 30_000, "decrease")
    >>> round(annual_benefit([line]).estimate, 2)
    19500.0
    """
    _check_alpha(alpha)
    if n_draws < 99:
        raise ValueError(f"n_draws must be at least 99, got {n_draws}")
    point, draws = _annual_benefits(benefits, alpha, n_draws, np.random.default_rng(seed))
    return _percentile_estimate(point, draws, [alpha / 2, 1 - alpha / 2])


def _annual_benefits(benefits, alpha, n_draws, rng):
    """Point and Monte Carlo draws of the summed yearly benefit."""
    if isinstance(benefits, BenefitLine) or len(benefits) == 0:
        raise ValueError("benefits must be a non-empty list of BenefitLine")
    point = 0.0
    draws = np.zeros(n_draws)
    for line in benefits:
        estimate, se = _effect_and_se(line.effect, alpha)
        worth = _direction_sign(line.direction) * _money_per_unit(line)
        point += worth * estimate
        effects = rng.normal(estimate, se, n_draws)
        if line.value_range is None and line.volume_range is None:
            draws += worth * effects
            continue
        values = _ranged(line.value_per_unit, line.value_range, "value_per_unit", rng, n_draws)
        volumes = _ranged(line.volume_per_year, line.volume_range, "volume_per_year", rng, n_draws)
        draws += _direction_sign(line.direction) * effects * values * volumes
    return point, draws


def _ranged(stated, stated_range, name, rng, n_draws):
    """Draws of a stated value: triangular over its range with the value as the mode."""
    if stated_range is None:
        return stated
    try:
        low, high = (float(end) for end in stated_range)
    except (TypeError, ValueError):
        raise ValueError(f"the range of {name} must be a (low, high) pair") from None
    if not (math.isfinite(low) and math.isfinite(high) and low <= stated <= high):
        raise ValueError(
            f"the range of {name} must hold its stated value {stated:g}: got {low:g} to {high:g}"
        )
    if low == high:
        return stated
    return rng.triangular(low, stated, high, n_draws)


def _effect_and_se(effect, alpha):
    if isinstance(effect, Estimate):
        z = stats.norm.ppf(1 - alpha / 2)
        estimate, se = effect.estimate, (effect.ci_high - effect.ci_low) / (2 * z)
    else:
        try:
            estimate, se = (float(value) for value in effect)
        except (TypeError, ValueError):
            raise ValueError(
                f"effect must be an Estimate or an (estimate, standard error) pair, got {effect!r}"
            ) from None
    if not (math.isfinite(estimate) and math.isfinite(se)) or se < 0:
        raise ValueError(
            f"the effect needs a finite estimate and a finite, non-negative standard error, "
            f"got {estimate} and {se}"
        )
    return estimate, se


def _direction_sign(direction):
    if direction == "increase":
        return 1.0
    if direction == "decrease":
        return -1.0
    raise ValueError(f"direction must be 'increase' or 'decrease', got {direction!r}")


def _money_per_unit(line):
    if not math.isfinite(line.value_per_unit):
        raise ValueError(f"value_per_unit must be a finite number, got {line.value_per_unit}")
    if not (math.isfinite(line.volume_per_year) and line.volume_per_year >= 0):
        raise ValueError(
            f"volume_per_year must be a finite number of at least zero, got {line.volume_per_year}"
        )
    return line.value_per_unit * line.volume_per_year


def _programme_rois(programmes):
    if not isinstance(programmes, Mapping):
        raise ValueError("programmes must map each programme's name to its stated ROI")
    targets = [(str(name), float(target)) for name, target in programmes.items()]
    for name, target in targets:
        if not math.isfinite(target):
            raise ValueError(f"programme {name!r} needs a finite ROI, got {target}")
    return targets


def _percentile_estimate(point, draws, tails):
    low, high = np.quantile(draws, tails)
    return Estimate(float(point), float(low), float(high))


def _irr_or_none(flows, notes):
    try:
        return irr(flows)
    except ValueError as error:
        notes.append(str(error))
        return None


def _payback_estimate(point_flows, flows, tails, horizon, notes):
    point = _payback(point_flows[None, :])[0]
    if math.isnan(point):
        notes.append(f"at the estimated effect the pilot does not pay back within {horizon} years")
        return None
    # Not paying back within the horizon is later than any payback that happens.
    draws = np.nan_to_num(_payback(flows), nan=math.inf)
    low, high = np.quantile(draws, tails, method="inverted_cdf")
    if math.isinf(high):
        notes.append(
            f"with effects near the unfavourable end of their interval the pilot does not pay "
            f"back within {horizon} years, so the payback interval has no upper end"
        )
    return Estimate(float(point), float(low), float(high))


def _payback(flows):
    """Payback years of each row of cash flows; NaN where it never pays back."""
    cumulative = np.cumsum(flows, axis=1)
    behind = cumulative < 0
    last_year = flows.shape[1] - 1
    last_behind = last_year - np.argmax(behind[:, ::-1], axis=1)
    payback = np.where(behind.any(axis=1), np.nan, 0.0)
    rows = np.flatnonzero(behind.any(axis=1) & (last_behind < last_year))
    year = last_behind[rows]
    payback[rows] = year - cumulative[rows, year] / flows[rows, year + 1]
    return payback


def _unique_discount_factor(flows):
    """The one positive real root v of sum(flows[t] * v**t), or a ValueError."""
    # A last flow near zero puts a root near infinity, which is no discount factor.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        roots = np.roots(flows[::-1])
    roots = roots[np.isfinite(roots)]
    real = roots[np.abs(roots.imag) <= 1e-7 * np.maximum(1.0, np.abs(roots))].real
    factors = np.sort(real[real > 0])
    if factors.size == 0:
        raise ValueError("no IRR: no discount rate above −100% makes the NPV zero")
    distinct = factors[np.concatenate([[True], np.diff(factors) > 1e-7 * factors[1:]])]
    if distinct.size > 1:
        rates = ", ".join(f"{1 / v - 1:.4g}" for v in distinct)
        raise ValueError(
            f"no unique IRR: the NPV is zero at several rates ({rates}); compare NPVs instead"
        )
    return float(distinct[0])


def _npv(flows, rate):
    return float(flows @ (1 + rate) ** -np.arange(flows.size, dtype=float))


def _cashflow_array(cashflows):
    try:
        flows = np.asarray(cashflows, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"cashflows must be numbers: {error}") from None
    if flows.ndim != 1 or flows.size == 0:
        raise ValueError("cashflows must be a non-empty list of yearly amounts, year 0 first")
    if not np.isfinite(flows).all():
        raise ValueError("cashflows has missing or infinite values")
    return flows


def _checked_rate(rate):
    if not (math.isfinite(rate) and rate > -1):
        raise ValueError(f"the discount rate must be a finite number above -1, got {rate}")
    return float(rate)


def _checked_horizon(horizon_years):
    if int(horizon_years) != horizon_years or horizon_years < 1:
        raise ValueError(f"horizon_years must be a whole number of at least 1, got {horizon_years}")
    return int(horizon_years)


def _check_alpha(alpha):
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")


def _earning_years(horizon):
    """1.0 for each year that earns the benefit (1 to the horizon), 0.0 for year 0."""
    return (np.arange(horizon + 1) >= 1).astype(float)


def _cost_schedule(costs, horizon):
    """Total outlay in each year 0..horizon."""
    schedule = np.zeros(horizon + 1)
    for item in costs:
        try:
            cost = Cost(*item)
        except TypeError:
            raise ValueError(
                f"each cost must be (amount, year) or (amount, year, recurring), got {item!r}"
            ) from None
        if not (math.isfinite(cost.amount) and cost.amount >= 0):
            raise ValueError(f"cost amounts must be finite and at least zero, got {cost.amount}")
        if int(cost.year) != cost.year or not 0 <= cost.year <= horizon:
            raise ValueError(
                f"cost year must be a whole number from 0 to {horizon}, got {cost.year}"
            )
        if cost.recurring:
            schedule[int(cost.year) :] += cost.amount
        else:
            schedule[int(cost.year)] += cost.amount
    return schedule
