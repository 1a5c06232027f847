"""Company indicators, their periodic measurements, and the links between them."""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Float, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from testbed.auth.models import Department
from testbed.extensions import db
from testbed.pilots.models import DIRECTIONS, PERSPECTIVES, choice
from testbed.timeutil import utcnow

CADENCES = ("monthly", "quarterly")
CADENCE_LABELS = {"monthly": _l("monthly"), "quarterly": _l("quarterly")}
PERSPECTIVE_LABELS = {
    "financial": _l("Financial"),
    "customer": _l("Customer"),
    "internal": _l("Internal process"),
    "learning": _l("Learning and growth"),
}
SOURCES = ("web", "file", "api")
# Where a measurement came from, as the indicator page names it.
SOURCE_LABELS = {"web": _l("web"), "file": _l("file"), "api": _l("api")}
# A month is written 2025-01, a quarter 2025-Q1: they sort as text in time order.
PERIOD_PATTERNS = {
    "monthly": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarterly": re.compile(r"^(\d{4})-Q([1-4])$"),
}
PERIOD_EXAMPLES = {"monthly": "2025-01", "quarterly": "2025-Q1"}

# Which company indicators a pilot is meant to move. Kept by the indicator's key, as the
# pilot's folder names it, so that pilots and the scorecard load in either order; a key
# not (yet) on the scorecard is kept and shown as such.
pilot_indicator = Table(
    "pilot_indicator",
    db.Model.metadata,
    Column("pilot_id", ForeignKey("pilot.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator_key", String(80), primary_key=True),
)


class Indicator(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    perspective: Mapped[str] = mapped_column(choice("indicator_perspective", PERSPECTIVES))
    direction: Mapped[str] = mapped_column(choice("indicator_direction", DIRECTIONS))
    unit: Mapped[str] = mapped_column(String(80), default="")
    target: Mapped[float | None] = mapped_column(Float)
    cadence: Mapped[str] = mapped_column(choice("indicator_cadence", CADENCES), default="monthly")
    # The department that answers for the indicator; its head may enter measurements.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    # The period progress is counted from; empty means each department's first period.
    baseline_period: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    department: Mapped[Department | None] = relationship()
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="indicator",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Measurement.period",
    )

    @property
    def perspective_label(self) -> str:
        return str(PERSPECTIVE_LABELS[self.perspective])


class Measurement(db.Model):
    """One period's value of an indicator, for a department or (no department) the company."""

    # A NULL department is no value to a unique constraint: the services keep the
    # company-wide row of a period unique.
    __table_args__ = (UniqueConstraint("indicator_id", "department_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint below, led by indicator_id, is also the index of an indicator's rows.
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    period: Mapped[str] = mapped_column(String(7))
    value: Mapped[float] = mapped_column(Float)
    # When the value is a mean of n answers (a survey), their count and standard deviation.
    n: Mapped[int | None]
    sd: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(choice("measurement_source", SOURCES), default="web")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    indicator: Mapped[Indicator] = relationship(back_populates="measurements")
    department: Mapped[Department | None] = relationship()


class IndicatorLink(db.Model):
    """Cause and effect: moving the leading indicator is expected to move the lagging one."""

    __table_args__ = (UniqueConstraint("leading_id", "lagging_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    leading_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    lagging_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")

    leading: Mapped[Indicator] = relationship(foreign_keys=[leading_id])
    lagging: Mapped[Indicator] = relationship(foreign_keys=[lagging_id])
