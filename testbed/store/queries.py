"""Reading the stored sums back as the sufficient statistics analyses take."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Select, func, select

from analysis.sufficient import Comoments, Moments
from testbed.extensions import db
from testbed.pilots.models import Metric
from testbed.store.models import Aggregate, ImportBatch, Observation, ValueCount
from testbed.store.services import SUM_FIELDS


@dataclass(frozen=True)
class CellSums:
    """Added-up sums of one (group, period), around the metric's shifts."""

    metric: Metric
    sums: dict[str, float]

    @property
    def n(self) -> int:
        return int(self.sums["n"])

    def moments(self) -> Moments:
        return Moments(
            self.n, self.sums["sum"], self.sums["sum_sq"], _shift(self.metric.shift_value)
        )

    def ratio(self) -> Comoments:
        """Numerator and denominator sums of a ratio metric."""
        y = Moments(
            self.n, self.sums["d_sum"], self.sums["d_sum_sq"], _shift(self.metric.shift_denominator)
        )
        return Comoments(self.moments(), y, self.sums["xd_sum"])

    def with_covariate(self) -> Comoments | None:
        """Outcome and pre-period covariate, when every row carries a covariate."""
        c_n = int(self.sums["c_n"])
        if c_n == 0 or c_n != self.n:
            return None
        x = Moments(
            c_n, self.sums["c_x_sum"], self.sums["c_x_sum_sq"], _shift(self.metric.shift_value)
        )
        c = Moments(
            c_n, self.sums["c_sum"], self.sums["c_sum_sq"], _shift(self.metric.shift_covariate)
        )
        return Comoments(x, c, self.sums["xc_sum"])


def _shift(value: float | None) -> float:
    return 0.0 if value is None else value


def cell_sums(metric: Metric, by_day: bool = False) -> dict[tuple, CellSums]:
    """Sums per (group, period), or per (group, period, day) with ``by_day``."""
    keys = [Aggregate.group, Aggregate.period] + ([Aggregate.day] if by_day else [])
    query = (
        select(*keys, *(func.sum(getattr(Aggregate, name)) for name in SUM_FIELDS))
        .where(Aggregate.metric_id == metric.id)
        .group_by(*keys)
    )
    result = {}
    for row in db.session.execute(query):
        key = tuple(row[: len(keys)])
        result[key] = CellSums(
            metric, dict(zip(SUM_FIELDS, (float(v or 0) for v in row[len(keys) :]), strict=True))
        )
    return result


def value_counts(metric: Metric) -> dict[tuple[str, str], dict[int, int]]:
    """How often each score occurred, per (group, period)."""
    query = (
        select(ValueCount.group, ValueCount.period, ValueCount.value, func.sum(ValueCount.count))
        .where(ValueCount.metric_id == metric.id)
        .group_by(ValueCount.group, ValueCount.period, ValueCount.value)
    )
    counts: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for group, period, value, count in db.session.execute(query):
        counts[(group, period)][int(value)] = int(count)
    return dict(counts)


def raw_rows(metric: Metric, *columns: str, chunk_rows: int = 100_000) -> dict[str, np.ndarray]:
    """Raw observation columns of one metric, read in chunks, for designs that need rows."""
    query = raw_rows_query(metric, *columns).execution_options(yield_per=chunk_rows)
    parts: dict[str, list] = {name: [] for name in columns}
    for partition in db.session.execute(query).partitions():
        for name, values in zip(columns, zip(*partition, strict=True), strict=True):
            parts[name].extend(values)
    return {
        name: np.array(
            values, dtype=object if name in ("unit", "day", "group", "period") else float
        )
        for name, values in parts.items()
    }


def raw_rows_query(metric: Metric, *columns: str) -> Select:
    """A metric's rows in batch order, and in file order within each batch."""
    batches = select(ImportBatch.id).where(ImportBatch.pilot_id == metric.pilot_id)
    # Naming the pilot's batches lets the (batch, metric) index find the rows,
    # already in this order: observations have no index by metric alone.
    return (
        select(*(getattr(Observation, name) for name in columns))
        .where(Observation.batch_id.in_(batches), Observation.metric_id == metric.id)
        .order_by(Observation.batch_id, Observation.id)
    )
