"""Imported batches of observations and their per-day sufficient statistics."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from testbed.extensions import db
from testbed.pilots.models import Pilot, choice
from testbed.timeutil import utcnow

GROUPS = ("baseline", "pilot")
PERIODS = ("pre", "post")
ORIGINS = ("file", "upload", "api", "source")
# Batches that `testbed export` writes into the folder's own files (source data stay in the
# source): loading the folder back replaces them instead of adding them again.
CARRIED_ORIGINS = ("upload", "api")


class ImportBatch(db.Model):
    """One import: every row and sum it wrote can be removed together."""

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(choice("batch_origin", ORIGINS))
    source: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pilot: Mapped[Pilot] = relationship()


class Observation(db.Model):
    """One raw row of an observations file, kept for the designs that need rows.

    One index serves every query: a batch's rows (deleting a batch), a
    metric's rows within its pilot's batches (``raw_rows``, export). Each
    index costs about as much as the row itself on a large import, so there
    is no second one by metric alone: a metric is removed rarely, and then its
    rows are found by a scan.
    """

    __table_args__ = (Index("ix_observation_batch_metric", "batch_id", "metric_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True
    )
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(choice("observation_group", GROUPS))
    period: Mapped[str] = mapped_column(choice("observation_period", PERIODS), default="post")
    iteration: Mapped[int | None]
    unit: Mapped[str | None] = mapped_column(String(120))
    day: Mapped[date | None]
    value: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    covariate: Mapped[float | None] = mapped_column(Float)


class Aggregate(db.Model):
    """Sums of one (batch, metric, group, period, iteration, day) cell.

    Sums are taken around the metric's shift values (see ``Metric``), so they
    add up across cells and batches and keep sums of squares exact.
    ``c_*`` cover the rows that carry a pre-period covariate.
    """

    __table_args__ = (Index("ix_aggregate_metric_group", "metric_id", "group", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(choice("aggregate_group", GROUPS))
    period: Mapped[str] = mapped_column(choice("aggregate_period", PERIODS))
    iteration: Mapped[int | None]
    day: Mapped[date | None]
    n: Mapped[int] = mapped_column(BigInteger)
    sum: Mapped[float] = mapped_column(Float)
    sum_sq: Mapped[float] = mapped_column(Float)
    d_sum: Mapped[float] = mapped_column(Float, default=0.0)
    d_sum_sq: Mapped[float] = mapped_column(Float, default=0.0)
    xd_sum: Mapped[float] = mapped_column(Float, default=0.0)
    c_n: Mapped[int] = mapped_column(BigInteger, default=0)
    c_sum: Mapped[float] = mapped_column(Float, default=0.0)
    c_sum_sq: Mapped[float] = mapped_column(Float, default=0.0)
    xc_sum: Mapped[float] = mapped_column(Float, default=0.0)
    c_x_sum: Mapped[float] = mapped_column(Float, default=0.0)
    c_x_sum_sq: Mapped[float] = mapped_column(Float, default=0.0)


class ValueCount(db.Model):
    """How often each value of a bounded score (NPS 0–10, CSAT 1–5) occurred."""

    __table_args__ = (Index("ix_value_count_metric_group", "metric_id", "group", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(choice("value_count_group", GROUPS))
    period: Mapped[str] = mapped_column(choice("value_count_period", PERIODS))
    iteration: Mapped[int | None]
    value: Mapped[int]
    count: Mapped[int] = mapped_column(BigInteger)
