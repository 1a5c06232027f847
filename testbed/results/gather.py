"""Turn a hypothesis' stored data into the inputs its design's statistics take."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.sufficient import Comoments, Moments
from testbed.pilots.models import Hypothesis, Metric
from testbed.store.queries import CellSums, cell_sums, raw_rows

# Which stored cells play baseline and pilot in each two-group design.
ARMS = {
    "concurrent": (("baseline", "post"), ("pilot", "post")),
    "pre_post": (("pilot", "pre"), ("pilot", "post")),
}


@dataclass(frozen=True)
class Arms:
    """The two groups a hypothesis compares, as sufficient statistics."""

    baseline: Moments | Comoments | None
    pilot: Moments | Comoments | None
    baseline_covariate: Comoments | None = None
    pilot_covariate: Comoments | None = None


def arms(hypothesis: Hypothesis, design: str | None = None) -> Arms:
    """Baseline and pilot sums of the hypothesis' metric for a two-group design.

    Designs that need rows (did, its, threshold) report their groups as the
    concurrent ones, post-period, so every result shows both groups' sizes.
    """
    metric = hypothesis.metric
    baseline_key, pilot_key = ARMS.get(design or hypothesis.design, ARMS["concurrent"])
    cells = cell_sums(metric)
    baseline, pilot = cells.get(baseline_key), cells.get(pilot_key)
    return Arms(
        _inputs(metric, baseline),
        _inputs(metric, pilot),
        baseline.with_covariate() if baseline else None,
        pilot.with_covariate() if pilot else None,
    )


def _inputs(metric: Metric, cell: CellSums | None):
    if cell is None:
        return None
    return cell.ratio() if metric.kind == "ratio" else cell.moments()


def did_rows(metric: Metric) -> dict[str, np.ndarray]:
    """Rows for a difference-in-differences: outcome, arm, period and unit."""
    rows = raw_rows(metric, "value", "denominator", "group", "period", "unit")
    y = rows["value"]
    if metric.kind == "ratio":
        # Row-level ratios: each unit-day's cost per contact, say.
        y = y / rows["denominator"]
    units = rows["unit"]
    has_units = len(units) > 0 and all(u is not None for u in units)
    return {
        "y": y,
        "pilot": rows["group"] == "pilot",
        "post": rows["period"] == "post",
        "cluster": units.astype(str) if has_units else None,
    }


def daily_series(metric: Metric, group: str = "pilot") -> tuple[np.ndarray, np.ndarray]:
    """Days (as ordinals) and the metric's daily value for one group, both periods."""
    cells = {
        key: cell
        for key, cell in cell_sums(metric, by_day=True).items()
        if key[0] == group and key[2] is not None
    }
    days = sorted({key[2] for key in cells})
    values = []
    for day in days:
        combined = [cell for key, cell in cells.items() if key[2] == day]
        values.append(_daily_value(metric, combined))
    return np.array([d.toordinal() for d in days], dtype=float), np.array(values)


def _daily_value(metric: Metric, cells: list[CellSums]) -> float:
    if metric.kind == "ratio":
        total = sum((c.ratio() for c in cells[1:]), cells[0].ratio())
        return total.x.mean / total.y.mean
    total = sum((c.moments() for c in cells[1:]), cells[0].moments())
    return total.mean


def threshold_rows(outcome: Metric, predictor: Metric) -> tuple[np.ndarray, np.ndarray]:
    """Predictor and outcome values paired by unit and date."""
    x_rows = raw_rows(predictor, "unit", "day", "value")
    y_rows = raw_rows(outcome, "unit", "day", "value")
    x_by_key = {
        (u, d): v
        for u, d, v in zip(x_rows["unit"], x_rows["day"], x_rows["value"], strict=True)
        if u is not None
    }
    pairs = [
        (x_by_key[(u, d)], v)
        for u, d, v in zip(y_rows["unit"], y_rows["day"], y_rows["value"], strict=True)
        if (u, d) in x_by_key
    ]
    if not pairs:
        return np.array([]), np.array([])
    x, y = np.array(pairs).T
    return x, y


def observed_weeks(metric: Metric) -> float | None:
    """How many weeks of post-period data the metric has, from its dated sums."""
    days = [key[2] for key in cell_sums(metric, by_day=True) if key[1] == "post" and key[2]]
    if not days:
        return None
    return ((max(days) - min(days)).days + 1) / 7


def group_values(metric: Metric, design: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw values of the two compared groups, for quantiles of a metric without a scale."""
    rows = raw_rows(metric, "value", "group", "period")
    (baseline_group, baseline_period), (pilot_group, pilot_period) = ARMS[design]
    baseline = (rows["group"] == baseline_group) & (rows["period"] == baseline_period)
    pilot = (rows["group"] == pilot_group) & (rows["period"] == pilot_period)
    return rows["value"][baseline], rows["value"][pilot]
