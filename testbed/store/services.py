"""Writing observations: raw rows plus the per-day sums analyses read instead of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import select

from testbed.extensions import db
from testbed.pilots.models import Hypothesis, Metric, Pilot
from testbed.store.models import Aggregate, ImportBatch, Observation, ValueCount
from testbed.timeutil import utcnow

GROUP_CODES = {"baseline": 0, "pilot": 1}
PERIOD_CODES = {"pre": 0, "post": 1}
NONE = -1  # code for a missing iteration or day in the grouping keys

COLUMNS = ("group", "period", "iteration", "unit", "day", "value", "denominator", "covariate")

# The sums kept per cell, in the order they are accumulated.
SUM_FIELDS = (
    "n",
    "sum",
    "sum_sq",
    "d_sum",
    "d_sum_sq",
    "xd_sum",
    "c_n",
    "c_sum",
    "c_sum_sq",
    "xc_sum",
    "c_x_sum",
    "c_x_sum_sq",
)


@dataclass
class ObservationChunk:
    """Validated observations, one list per column, ready to be stored."""

    metric: list[Metric] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    period: list[str] = field(default_factory=list)
    iteration: list[int | None] = field(default_factory=list)
    unit: list[str | None] = field(default_factory=list)
    day: list[date | None] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    denominator: list[float | None] = field(default_factory=list)
    covariate: list[float | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.value)


class BatchWriter:
    """Stores one import batch; everything goes into the caller's transaction.

    Rows are inserted as chunks arrive, while their sums are accumulated per
    (metric, group, period, iteration, day) cell and written by ``finish``.
    """

    def __init__(
        self,
        pilot: Pilot,
        origin: str,
        source: str,
        digest: str,
        idempotency_key: str | None = None,
        user_id: int | None = None,
    ):
        self.batch = ImportBatch(
            pilot=pilot,
            origin=origin,
            source=source,
            digest=digest,
            idempotency_key=idempotency_key,
            user_id=user_id,
        )
        db.session.add(self.batch)
        db.session.flush()
        self.cells: dict[tuple, np.ndarray] = {}
        self.value_counts: dict[tuple, int] = {}
        self.metrics_with_data: set[int] = set()

    def add(self, chunk: ObservationChunk) -> None:
        if not len(chunk):
            return
        for metric, value, denominator, covariate in zip(
            chunk.metric, chunk.value, chunk.denominator, chunk.covariate, strict=True
        ):
            _set_shifts(metric, value, denominator, covariate)
        metric_ids = np.fromiter((m.id for m in chunk.metric), dtype=np.int64, count=len(chunk))
        self._insert_rows(chunk, metric_ids)
        self._accumulate(chunk, metric_ids)
        self.batch.rows += len(chunk)

    def add_summary(
        self, metric: Metric, group: str, period: str, n: int, mean: float, sd: float
    ) -> None:
        """Store a reported summary (n, mean, sd) as one cell of sums."""
        if metric.shift_value is None:
            metric.shift_value = mean
        centre = mean - metric.shift_value
        sums = np.zeros(len(SUM_FIELDS))
        sums[:3] = (n, n * centre, max(n - 1, 0) * sd * sd + n * centre * centre)
        key = (metric.id, GROUP_CODES[group], PERIOD_CODES[period], NONE, NONE)
        self.cells[key] = self.cells.get(key, 0) + sums
        self.metrics_with_data.add(metric.id)
        self.batch.rows += 1

    def finish(self) -> ImportBatch:
        self.batch.pilot.touch()
        self._write_aggregates()
        self._write_value_counts()
        _lock_hypotheses(self.metrics_with_data)
        db.session.flush()
        return self.batch

    def _insert_rows(self, chunk: ObservationChunk, metric_ids: np.ndarray) -> None:
        values = zip(*(getattr(chunk, name) for name in COLUMNS), strict=True)
        rows = [
            {
                "batch_id": self.batch.id,
                "metric_id": int(metric_id),
                **dict(zip(COLUMNS, row, strict=True)),
            }
            for metric_id, row in zip(metric_ids, values, strict=True)
        ]
        db.session.execute(Observation.__table__.insert(), rows)

    def _accumulate(self, chunk: ObservationChunk, metric_ids: np.ndarray) -> None:
        keys = np.column_stack(
            [
                metric_ids,
                [GROUP_CODES[g] for g in chunk.group],
                [PERIOD_CODES[p] for p in chunk.period],
                [NONE if i is None else i for i in chunk.iteration],
                [NONE if d is None else d.toordinal() for d in chunk.day],
            ]
        )
        cells, inverse = np.unique(keys, axis=0, return_inverse=True)
        columns = _sum_columns(chunk)
        sums = np.stack([np.bincount(inverse, weights=c, minlength=len(cells)) for c in columns])
        for index, cell in enumerate(map(tuple, cells.tolist())):
            self.cells[cell] = self.cells.get(cell, 0) + sums[:, index]
        self.metrics_with_data.update(int(m) for m in np.unique(metric_ids))
        self._count_scores(chunk, metric_ids)

    def _count_scores(self, chunk: ObservationChunk, metric_ids: np.ndarray) -> None:
        for metric, metric_id, group, period, iteration, value in zip(
            chunk.metric,
            metric_ids,
            chunk.group,
            chunk.period,
            chunk.iteration,
            chunk.value,
            strict=True,
        ):
            if metric.scale is not None:
                key = (int(metric_id), group, period, iteration, int(value))
                self.value_counts[key] = self.value_counts.get(key, 0) + 1

    def _write_aggregates(self) -> None:
        rows = []
        for (metric_id, group, period, iteration, day), sums in self.cells.items():
            row = dict(zip(SUM_FIELDS, (float(s) for s in sums), strict=True))
            row["n"], row["c_n"] = int(round(row["n"])), int(round(row["c_n"]))
            row.update(
                batch_id=self.batch.id,
                metric_id=metric_id,
                group=_decode(GROUP_CODES, group),
                period=_decode(PERIOD_CODES, period),
                iteration=None if iteration == NONE else iteration,
                day=None if day == NONE else date.fromordinal(day),
            )
            rows.append(row)
        if rows:
            db.session.execute(Aggregate.__table__.insert(), rows)

    def _write_value_counts(self) -> None:
        rows = [
            {
                "batch_id": self.batch.id,
                "metric_id": metric_id,
                "group": group,
                "period": period,
                "iteration": iteration,
                "value": value,
                "count": count,
            }
            for (metric_id, group, period, iteration, value), count in self.value_counts.items()
        ]
        if rows:
            db.session.execute(ValueCount.__table__.insert(), rows)


def _set_shifts(metric: Metric, value: float, denominator, covariate) -> None:
    # The first value seen is close enough to the data's scale to keep sums exact;
    # proportions are 0/1 and need no shift.
    if metric.shift_value is None:
        metric.shift_value = 0.0 if metric.kind == "proportion" else value
    if denominator is not None and metric.shift_denominator is None:
        metric.shift_denominator = denominator
    if covariate is not None and metric.shift_covariate is None:
        metric.shift_covariate = covariate


def _sum_columns(chunk: ObservationChunk) -> list[np.ndarray]:
    shifts = {m.id: m for m in chunk.metric}
    x = np.array(chunk.value) - [shifts[m.id].shift_value for m in chunk.metric]
    has_d = np.array([d is not None for d in chunk.denominator])
    d = np.array(
        [
            0.0 if v is None else v - (m.shift_denominator or 0.0)
            for v, m in zip(chunk.denominator, chunk.metric, strict=True)
        ]
    )
    has_c = np.array([c is not None for c in chunk.covariate])
    c = np.array(
        [
            0.0 if v is None else v - (m.shift_covariate or 0.0)
            for v, m in zip(chunk.covariate, chunk.metric, strict=True)
        ]
    )
    d = np.where(has_d, d, 0.0)
    c = np.where(has_c, c, 0.0)
    xc = np.where(has_c, x, 0.0)
    return [
        np.ones_like(x),
        x,
        x * x,
        d,
        d * d,
        x * d,
        has_c.astype(float),
        c,
        c * c,
        xc * c,
        xc,
        xc * xc,
    ]


def _decode(codes: dict[str, int], code: int) -> str:
    return next(name for name, value in codes.items() if value == code)


def _lock_hypotheses(metric_ids: set[int]) -> None:
    if not metric_ids:
        return
    hypotheses = db.session.scalars(
        select(Hypothesis).where(
            Hypothesis.locked_at.is_(None),
            Hypothesis.metric_id.in_(metric_ids) | Hypothesis.predictor_id.in_(metric_ids),
        )
    )
    now = utcnow()
    for hypothesis in hypotheses:
        hypothesis.locked_at = now
