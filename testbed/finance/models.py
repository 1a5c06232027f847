"""A pilot's financial case and the operational programmes finance compares it with."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from testbed.extensions import db
from testbed.pilots.models import Metric, Pilot, choice


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


POOR_SERVICE_KINDS = ("lost_customers", "rework", "complaints")


class PoorServiceLine(db.Model):
    """A line of the company's cost of poor service: a yearly volume × a unit cost.

    Kept per partner segment (``Partner.segment``), with the assumptions
    finance states: where the figures come from, the period they cover, and
    an optional range around the volume and the unit cost.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    segment: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(choice("poor_service_kind", POOR_SERVICE_KINDS))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    volume: Mapped[float] = mapped_column(Float)
    volume_low: Mapped[float | None] = mapped_column(Float)
    volume_high: Mapped[float | None] = mapped_column(Float)
    unit_cost: Mapped[float] = mapped_column(Float)
    unit_cost_low: Mapped[float | None] = mapped_column(Float)
    unit_cost_high: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text, default="")
    period: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    @property
    def volume_range(self) -> tuple[float, float] | None:
        if self.volume_low is None or self.volume_high is None:
            return None
        return (self.volume_low, self.volume_high)

    @property
    def unit_cost_range(self) -> tuple[float, float] | None:
        if self.unit_cost_low is None or self.unit_cost_high is None:
            return None
        return (self.unit_cost_low, self.unit_cost_high)


class PoorServiceClaim(db.Model):
    """A pilot's claim to remove part of a line, through its measured effect on a metric."""

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id", ondelete="CASCADE"), index=True)
    # A claimed line cannot be deleted: the claim would silently lose its money.
    line_id: Mapped[int] = mapped_column(ForeignKey("poor_service_line.id"), index=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id", ondelete="CASCADE"))
    # The share of the line's volume the change reaches once rolled out.
    share: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")

    line: Mapped[PoorServiceLine] = relationship()
    metric: Mapped[Metric] = relationship()
