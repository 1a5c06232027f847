"""The cost of poor service: what a year of lost customers, rework and complaints costs.

A line of the model is a yearly volume times a unit cost (customers lost ×
their lifetime value, contacts handled again × the cost of one, complaints ×
the cost of handling one), each with the range finance states around it. A
pilot claims part of a line as a benefit through a measured relative effect
on a metric that counts the same failure: the line's cost falls by that
share on the part of the volume the change reaches. The claim becomes a
:class:`analysis.returns.BenefitLine`, so that its uncertainty is carried
through the same Monte Carlo as every other benefit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats

from analysis.results import Estimate
from analysis.returns import BenefitLine

KINDS = ("lost_customers", "rework", "complaints")


def yearly_cost(volume, unit_cost, volume_range=None, unit_cost_range=None) -> Estimate:
    """A line's cost a year, with the range that finance's stated ranges give.

    Parameters
    ----------
    volume : float
        Units a year: customers lost, contacts handled again, complaints.
    unit_cost : float
        Money per unit: a lost customer's lifetime value, the cost of one
        repeat contact, of handling one complaint.
    volume_range, unit_cost_range : (float, float), optional
        The low and high ends finance gives; each must hold its stated value.
        Left out, the value is taken as known.

    Returns
    -------
    Estimate
        ``volume × unit_cost``, and low × low to high × high. This is the span
        of the stated ranges, not a confidence interval: nothing was sampled.

    Raises
    ------
    ValueError
        For a negative or non-finite value, or a range that does not hold it.

    Examples
    --------
    >>> yearly_cost(1200, 850, (1000, 1500), (700, 1000))
    Estimate(estimate=1020000.0, ci_low=700000.0, ci_high=1500000.0)
    """
    volume_low, volume_high = checked_range(volume, volume_range, "volume")
    cost_low, cost_high = checked_range(unit_cost, unit_cost_range, "unit cost")
    return Estimate(
        float(volume * unit_cost), float(volume_low * cost_low), float(volume_high * cost_high)
    )


def stated_total(costs: Sequence[Estimate]) -> Estimate:
    """Lines added up: the stated values, and every low end together and every high end.

    Examples
    --------
    >>> stated_total([Estimate(10, 8, 12), Estimate(5, 5, 6)])
    Estimate(estimate=15.0, ci_low=13.0, ci_high=18.0)
    """
    return Estimate(
        float(sum(c.estimate for c in costs)),
        float(sum(c.ci_low for c in costs)),
        float(sum(c.ci_high for c in costs)),
    )


def checked_range(value, stated_range, name: str) -> tuple[float, float]:
    """``(low, high)`` of a finite value of at least zero; the value itself without a range."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"the {name} must be a finite number of at least zero, got {value!r}")
    if stated_range is None:
        return float(value), float(value)
    try:
        low, high = (float(end) for end in stated_range)
    except (TypeError, ValueError):
        raise ValueError(f"the range of the {name} must be two numbers, low first") from None
    if not (math.isfinite(low) and math.isfinite(high) and 0 <= low <= value <= high):
        raise ValueError(
            f"the range of the {name} must run from at least zero, low first, and hold its "
            f"stated value {value:g}: got {low:g} to {high:g}"
        )
    return low, high


def effect_se(estimate: float, ci_low: float, ci_high: float, level: float) -> float:
    """The standard error of an effect read off its (normal) interval at ``level``.

    The wider side counts: a proportion's relative interval is cut at −100 %,
    and the cut side would understate the spread.

    Examples
    --------
    >>> round(effect_se(-0.2, -0.3, -0.1, 0.95), 6)
    0.051021
    """
    if not 0 < level < 1:
        raise ValueError(f"the level must lie between 0 and 1, got {level}")
    values = (estimate, ci_low, ci_high)
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
        raise ValueError("the effect needs a finite estimate and interval")
    if not ci_low <= estimate <= ci_high:
        raise ValueError(f"the interval {ci_low:g} to {ci_high:g} does not hold {estimate:g}")
    z = stats.norm.ppf(1 - (1 - level) / 2)
    return float(max(ci_high - estimate, estimate - ci_low) / z)


def reduction_line(
    relative_effect: float,
    se: float,
    volume: float,
    unit_cost: float,
    share: float,
    volume_range=None,
    unit_cost_range=None,
    name: str = "",
) -> BenefitLine:
    """The benefit line of a claim: the line's cost on the reached volume × the relative fall.

    The yearly benefit is −``relative_effect`` × ``share`` × ``volume`` ×
    ``unit_cost``: a metric that counts the failure (repeat contacts,
    complaints, customers leaving) falling by 12 % removes 12 % of the cost on
    the volume the change reaches. A rise gives a negative benefit: the pilot
    adds to the cost of poor service.

    Parameters
    ----------
    relative_effect, se : float
        The measured relative effect (pilot / baseline − 1) and its standard error.
    volume, unit_cost : float
        The line's yearly volume and unit cost.
    share : float
        The share of the line's volume the change reaches once rolled out, in (0, 1].
    volume_range, unit_cost_range : (float, float), optional
        The line's stated ranges; the volume's is scaled by ``share``.
    name : str
        What the line is called in results.

    Returns
    -------
    BenefitLine
        For :func:`analysis.returns.combined_returns_summary` and
        :func:`analysis.returns.annual_benefit`.

    Raises
    ------
    ValueError
        For a share outside (0, 1], or a bad value or range.

    Examples
    --------
    >>> from analysis.returns import annual_benefit
    >>> line = reduction_line(-0.25, 0.0, 4000, 120.0, 0.5)
    >>> annual_benefit([line]).estimate
    60000.0
    """
    if not (isinstance(share, int | float) and 0 < share <= 1):
        raise ValueError(f"the share of the volume reached must lie in (0, 1], got {share!r}")
    volume_low, volume_high = checked_range(volume, volume_range, "volume")
    checked_range(unit_cost, unit_cost_range, "unit cost")
    return BenefitLine(
        effect=(relative_effect, se),
        value_per_unit=float(unit_cost),
        volume_per_year=float(share * volume),
        direction="decrease",
        name=name,
        value_range=None if unit_cost_range is None else tuple(unit_cost_range),
        volume_range=None if volume_range is None else (share * volume_low, share * volume_high),
    )
