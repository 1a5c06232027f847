"""A pilot's financial case and the operational programmes finance compares it with."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from testbed.extensions import db
from testbed.pilots.models import Metric, Pilot


class FinancePlan(db.Model):
    pilot_id: Mapped[int] = mapped_column(
        ForeignKey("pilot.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    discount_rate: Mapped[float] = mapped_column(Float, default=0.08)
    horizon_years: Mapped[int] = mapped_column(default=3)

    # Deleting a pilot deletes its plan (the plan's key is the pilot's id).
    pilot: Mapped[Pilot] = relationship(
        backref=backref("finance_plan", uselist=False, cascade="all, delete-orphan")
    )


class CostItem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(200))
    amount: Mapped[float] = mapped_column(Float)
    year: Mapped[int] = mapped_column(default=0)
    # A recurring cost falls in its own year and every later year of the horizon.
    recurring: Mapped[bool] = mapped_column(default=False)


class Benefit(db.Model):
    """A benefit derived from a measured effect: improvement × value × volume a year."""

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id", ondelete="CASCADE"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id", ondelete="CASCADE"))
    value_per_unit: Mapped[float] = mapped_column(Float)
    volume_per_year: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")

    metric: Mapped[Metric] = relationship()


class Programme(db.Model):
    """An existing operational programme with its stated return over the horizon."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    roi: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
