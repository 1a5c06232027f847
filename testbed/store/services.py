"""Writing observations: raw rows plus the per-day sums analyses read instead of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import select

from testbed.extensions import db
from testbed.pilots.models import Hypothesis, Metric, Pilot
from testbed.store.codes import distinct_codes
from testbed.store.copy import ObservationRows
from testbed.store.models import Aggregate, ImportBatch, ValueCount
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
    """Validated observations, one list per column, ready to be stored.

    ``distinct`` and ``numbers`` give a column in the forms the sums are taken
    from. The column-wise check, which has them at hand, fills ``coded`` and
    ``arrays`` with them; otherwise they are made from the lists on first use,
    so the lists must be complete by then.
    """

    metric: list[Metric] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    period: list[str] = field(default_factory=list)
    iteration: list[int | None] = field(default_factory=list)
    unit: list[str | None] = field(default_factory=list)
    day: list[date | None] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    denominator: list[float | None] = field(default_factory=list)
    covariate: list[float | None] = field(default_factory=list)
    coded: dict[str, tuple[list, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.value)

    def distinct(self, name: str) -> tuple[list, np.ndarray]:
        """A column's distinct values, and each row's index into them."""
        if name not in self.coded:
            self.coded[name] = distinct_codes(getattr(self, name))
        return self.coded[name]

    def per_row(self, name: str, convert: Callable[[object], int]) -> np.ndarray:
        """``convert`` of each row's value of a column, called once per distinct value."""
        values, codes = self.distinct(name)
        return np.array([convert(value) for value in values], dtype=np.intp)[codes]

    def numbers(self, name: str) -> np.ndarray:
        """A number column as an array, NaN where a row has no number."""
        if name not in self.arrays:
            self.arrays[name] = np.array(getattr(self, name), dtype=float)
        return self.arrays[name]


class BatchWriter:
    """Stores one import batch; everything goes into the caller's transaction.

    Rows are inserted as chunks arrive, while their sums are accumulated per
    (metric, group, period, iteration, day) cell and written by ``finish``.
    Each chunk is handled column by column with numpy: a per-row Python step
    would cost more than storing the row.
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
        self.cells = CellTotals()
        self.value_counts: dict[tuple, int] = {}
        self.metrics_with_data: set[int] = set()

    def add(self, chunk: ObservationChunk) -> None:
        """Store a chunk's rows and add its sums."""
        with ObservationRows() as rows:
            self._add(chunk, rows)

    def add_all(self, chunks: Iterable[ObservationChunk]) -> None:
        """Store chunks as they come: a chunk's rows are inserted on a thread of
        their own while the next chunk is read, checked and summed."""
        with ObservationRows(background=True) as rows:
            for chunk in chunks:
                self._add(chunk, rows)

    def _add(self, chunk: ObservationChunk, rows: ObservationRows) -> None:
        if not len(chunk):
            return
        columns = ChunkColumns.of(chunk)
        columns.set_shifts(chunk)
        # Sums first: they fill the chunk's distinct values, which the insert
        # then only reads, whichever thread it runs on.
        self._accumulate(chunk, columns)
        rows.write(
            [
                [self.batch.id] * len(chunk),
                columns.metric_ids.tolist(),
                *(getattr(chunk, name) for name in COLUMNS),
            ],
            distinct=chunk.distinct,
        )
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
        self.cells.add([key], sums[np.newaxis, :])
        self.metrics_with_data.add(metric.id)
        self.batch.rows += 1

    def add_cells(
        self,
        metric: Metric,
        cells: list[tuple[str, str, int | None, date | None, np.ndarray]],
        counts: list[tuple[str, str, int | None, int, int]] = (),
    ) -> None:
        """Store sums computed elsewhere (inside a data source), one row of
        ``SUM_FIELDS`` per (group, period, iteration, day), around the metric's
        shifts; ``counts`` are a bounded score's (group, period, iteration, value, count)."""
        keys = [
            (
                metric.id,
                GROUP_CODES[group],
                PERIOD_CODES[period],
                NONE if iteration is None else iteration,
                NONE if day is None else day.toordinal(),
            )
            for group, period, iteration, day, _ in cells
        ]
        if keys:
            merged: dict[tuple, np.ndarray] = {}
            for key, (*_, sums) in zip(keys, cells, strict=True):
                merged[key] = merged.get(key, 0) + sums
            self.cells.add(list(merged), np.array(list(merged.values())))
            self.metrics_with_data.add(metric.id)
            self.batch.rows += int(sum(sums[0] for sums in merged.values()))
        for group, period, iteration, value, count in counts:
            key = (metric.id, group, period, iteration, value)
            self.value_counts[key] = self.value_counts.get(key, 0) + count

    def finish(self) -> ImportBatch:
        self.batch.pilot.touch()
        self._write_aggregates()
        self._write_value_counts()
        _lock_hypotheses(self.metrics_with_data)
        db.session.flush()
        return self.batch

    def _accumulate(self, chunk: ObservationChunk, columns: ChunkColumns) -> None:
        keys = columns.cell_keys(chunk)
        cells, inverse = np.unique(keys.codes, return_inverse=True)
        sums = np.stack(
            [
                np.bincount(inverse, weights=column, minlength=len(cells))
                for column in columns.sum_columns(chunk)
            ]
        )
        self.cells.add(keys.decode(cells), sums.T)
        self.metrics_with_data.update(int(m.id) for m in columns.metrics)
        self._count_scores(chunk, columns, keys)

    def _count_scores(self, chunk: ObservationChunk, columns: ChunkColumns, keys: CellKeys):
        scaled = [i for i, metric in enumerate(columns.metrics) if metric.scale is not None]
        if not scaled:
            return
        rows = np.flatnonzero(np.isin(columns.position, scaled))
        scores = np.trunc(columns.values[rows]).astype(np.int64)
        low = int(scores.min())
        codes = np.ravel_multi_index(
            (*(part[rows] for part in keys.parts[:4]), scores - low),
            (*keys.sizes[:4], int(scores.max()) - low + 1),
        )
        found, first, counts = np.unique(codes, return_index=True, return_counts=True)
        # In the order each key first occurs, so the rows are written as a row loop would.
        for at in np.argsort(first, kind="stable"):
            row = int(rows[first[at]])
            key = (
                int(columns.metric_ids[row]),
                chunk.group[row],
                chunk.period[row],
                chunk.iteration[row],
                int(chunk.value[row]),
            )
            self.value_counts[key] = self.value_counts.get(key, 0) + int(counts[at])

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


class CellTotals:
    """Sums per cell key, as rows of one growing array, so a chunk adds in one step."""

    def __init__(self):
        self.position: dict[tuple, int] = {}
        self.sums = np.zeros((256, len(SUM_FIELDS)))

    def add(self, keys: list[tuple], sums: np.ndarray) -> None:
        """Add ``sums`` (one row per key; keys distinct) to the cells of ``keys``."""
        rows = [self.position.setdefault(key, len(self.position)) for key in keys]
        if len(self.position) > len(self.sums):
            grown = np.zeros((2 * len(self.position), len(SUM_FIELDS)))
            grown[: len(self.sums)] = self.sums
            self.sums = grown
        self.sums[rows] += sums

    def items(self) -> Iterator[tuple[tuple, np.ndarray]]:
        for key, row in self.position.items():
            yield key, self.sums[row]


@dataclass
class CellKeys:
    """Each row's cell as small codes, in the order (metric id, group, period, iteration, day).

    ``parts`` index into ``values`` (each sorted, a missing iteration or day
    first), so cells sort like their keys; ``codes`` is one number per row.
    """

    parts: list[np.ndarray]
    values: list[list[int]]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(len(values) for values in self.values)

    @property
    def codes(self) -> np.ndarray:
        return np.ravel_multi_index(self.parts, self.sizes)

    def decode(self, codes: np.ndarray) -> list[tuple]:
        """The keys of ``codes``, with ``NONE`` for a missing iteration or day."""
        parts = np.unravel_index(codes, self.sizes)
        return list(
            zip(
                *(
                    np.asarray(values)[part].tolist()
                    for values, part in zip(self.values, parts, strict=True)
                ),
                strict=True,
            )
        )


@dataclass
class ChunkColumns:
    """A chunk's metrics (distinct, by id) and its numbers as arrays."""

    metrics: list[Metric]
    position: np.ndarray  # each row's metric, as an index into ``metrics``
    metric_ids: np.ndarray
    values: np.ndarray
    denominators: np.ndarray  # NaN where a row has none
    covariates: np.ndarray
    has_denominator: np.ndarray
    has_covariate: np.ndarray

    @classmethod
    def of(cls, chunk: ObservationChunk) -> ChunkColumns:
        metrics = sorted(set(chunk.distinct("metric")[0]), key=lambda metric: metric.id)
        index = {metric: i for i, metric in enumerate(metrics)}
        position = chunk.per_row("metric", index.__getitem__)
        ids = np.array([metric.id for metric in metrics], dtype=np.int64)
        denominators, covariates = chunk.numbers("denominator"), chunk.numbers("covariate")
        return cls(
            metrics=metrics,
            position=position,
            metric_ids=ids[position],
            values=chunk.numbers("value"),
            denominators=denominators,
            covariates=covariates,
            # Checked numbers are finite, so NaN marks a missing one.
            has_denominator=~np.isnan(denominators),
            has_covariate=~np.isnan(covariates),
        )

    def set_shifts(self, chunk: ObservationChunk) -> None:
        """Set each metric's shifts that are still unset from its first row carrying them."""
        firsts = self._first_rows(np.ones(len(self.position), dtype=bool))
        with_denominator = self._first_rows(self.has_denominator)
        with_covariate = self._first_rows(self.has_covariate)
        for i, metric in enumerate(self.metrics):
            # The first value seen is close enough to the data's scale to keep sums
            # exact; proportions are 0/1 and need no shift.
            if metric.shift_value is None:
                first = firsts[i]
                metric.shift_value = 0.0 if metric.kind == "proportion" else chunk.value[first]
            if metric.shift_denominator is None and i in with_denominator:
                metric.shift_denominator = chunk.denominator[with_denominator[i]]
            if metric.shift_covariate is None and i in with_covariate:
                metric.shift_covariate = chunk.covariate[with_covariate[i]]

    def _first_rows(self, rows: np.ndarray) -> dict[int, int]:
        """Metric index -> the first of ``rows`` (a mask) holding that metric."""
        chosen = np.flatnonzero(rows)
        metrics, first = np.unique(self.position[chosen], return_index=True)
        return dict(zip(metrics.tolist(), chosen[first].tolist(), strict=True))

    def cell_keys(self, chunk: ObservationChunk) -> CellKeys:
        iterations = _sorted_codes(chunk, "iteration", int)
        days = _sorted_codes(chunk, "day", date.toordinal)
        return CellKeys(
            parts=[
                self.position,
                chunk.per_row("group", GROUP_CODES.__getitem__),
                chunk.per_row("period", PERIOD_CODES.__getitem__),
                iterations.parts,
                days.parts,
            ],
            values=[
                [metric.id for metric in self.metrics],
                sorted(GROUP_CODES.values()),
                sorted(PERIOD_CODES.values()),
                iterations.values,
                days.values,
            ],
        )

    def sum_columns(self, chunk: ObservationChunk) -> list[np.ndarray]:
        """The twelve per-row terms of ``SUM_FIELDS``, each row around its metric's shifts."""
        x = self.values - self._shifts("shift_value")
        has_d, has_c = self.has_denominator, self.has_covariate
        d = np.where(has_d, self.denominators - self._shifts("shift_denominator"), 0.0)
        c = np.where(has_c, self.covariates - self._shifts("shift_covariate"), 0.0)
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

    def _shifts(self, name: str) -> np.ndarray:
        """Each row's metric's shift ``name`` (0 where unset)."""
        shifts = np.array([getattr(metric, name) or 0.0 for metric in self.metrics])
        return shifts[self.position]


@dataclass
class _SortedCodes:
    parts: np.ndarray
    values: list[int]


def _sorted_codes(chunk: ObservationChunk, name: str, to_int) -> _SortedCodes:
    """Each row's position among the column's distinct numbers, a missing one (NONE) first."""
    values, codes = chunk.distinct(name)
    numbers = [NONE if item is None else to_int(item) for item in values]
    ordered = sorted(set(numbers))
    rank = {number: i for i, number in enumerate(ordered)}
    return _SortedCodes(np.array([rank[n] for n in numbers], dtype=np.intp)[codes], ordered)


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
