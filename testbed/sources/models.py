"""Registered connections to the company's databases, and the SQL each metric reads there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from testbed.extensions import db
from testbed.pilots.models import Metric
from testbed.store.models import ImportBatch
from testbed.timeutil import utcnow


class DataSource(db.Model):
    """A database testbed reads observations from; its secret is kept only sealed.

    ``url_sealed`` is the whole URL encrypted with TESTBED_SOURCE_KEY;
    ``url_shown`` is the same URL with the password and secret arguments masked,
    the only form a page, log line or export ever carries.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    url_shown: Mapped[str] = mapped_column(String(2000))
    url_sealed: Mapped[str] = mapped_column(Text)
    timeout_seconds: Mapped[int] = mapped_column(default=60)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    tested_at: Mapped[datetime | None]
    # The last connection test's error, scrubbed of secrets; empty when it passed.
    test_error: Mapped[str] = mapped_column(Text, default="")

    queries: Mapped[list[MetricQuery]] = relationship(back_populates="source")


class MetricQuery(db.Model):
    """The SELECT that yields one metric's observations from a data source."""

    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id", ondelete="CASCADE"), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("data_source.id"), index=True)
    sql: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # What the last refresh stored (removed by the next one), and how it went.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    refreshed_at: Mapped[datetime | None]
    refresh_error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    metric: Mapped[Metric] = relationship()
    source: Mapped[DataSource] = relationship(back_populates="queries")
    batch: Mapped[ImportBatch | None] = relationship()
