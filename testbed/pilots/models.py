"""The pilot and what it is judged on: partner, metrics, hypotheses, iterations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Enum, Float, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from testbed.auth.models import Department, User
from testbed.extensions import db
from testbed.timeutil import utcnow

STATUSES = ("draft", "active", "paused", "concluded", "scaled", "abandoned")
PARTNER_SIZES = ("small", "medium", "large")
METRIC_KINDS = ("mean", "proportion", "ratio")
DIRECTIONS = ("increase", "decrease")
INDICATORS = ("leading", "lagging")
PERSPECTIVES = ("financial", "customer", "internal", "learning")
HYPOTHESIS_ROLES = ("primary", "secondary", "guardrail")
DESIGNS = ("concurrent", "pre_post", "did", "its", "threshold")
METHODS = ("fixed", "sequential", "bayesian")
# Confirmatory: stated before its metric (or predictor) had data; exploratory: after.
REGISTRATIONS = ("confirmatory", "exploratory")


def choice(name: str, values: tuple[str, ...]) -> Enum:
    """A string column limited to ``values`` by a CHECK constraint on every backend."""
    return Enum(*values, name=name, native_enum=False, create_constraint=True)


pilot_department = Table(
    "pilot_department",
    db.Model.metadata,
    Column("pilot_id", ForeignKey("pilot.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("department.id"), primary_key=True),
)


class Partner(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    segment: Mapped[str] = mapped_column(String(120), default="")
    size: Mapped[str] = mapped_column(choice("partner_size", PARTNER_SIZES), default="small")
    # Pilots with key accounts alarm sales, so choosing one needs a stated reason.
    key_account: Mapped[bool] = mapped_column(default=False)
    key_account_reason: Mapped[str] = mapped_column(Text, default="")


class Pilot(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    status: Mapped[str] = mapped_column(choice("pilot_status", STATUSES), default="draft")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    pilot_share: Mapped[float | None] = mapped_column(Float)
    # Digest of the folder it was last loaded from: an unchanged folder is skipped.
    source_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Raised on every change to the pilot or what belongs to it (see ``touch``):
    # it keys cached results, and two editors of one version cannot both win.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    partner: Mapped[Partner] = relationship()
    departments: Mapped[list[Department]] = relationship(
        secondary=pilot_department, order_by=Department.name
    )
    metrics: Mapped[list[Metric]] = relationship(
        back_populates="pilot", cascade="all, delete-orphan", order_by="Metric.id"
    )
    hypotheses: Mapped[list[Hypothesis]] = relationship(
        back_populates="pilot", cascade="all, delete-orphan", order_by="Hypothesis.id"
    )
    iterations: Mapped[list[Iteration]] = relationship(
        back_populates="pilot", cascade="all, delete-orphan", order_by="Iteration.number"
    )

    def metric(self, key: str) -> Metric | None:
        return next((m for m in self.metrics if m.key == key), None)

    def touch(self) -> None:
        """Mark the pilot changed, so its version rises and cached results are redone."""
        self.updated_at = utcnow()


class Metric(db.Model):
    __table_args__ = (UniqueConstraint("pilot_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(choice("metric_kind", METRIC_KINDS))
    direction: Mapped[str] = mapped_column(choice("metric_direction", DIRECTIONS))
    unit: Mapped[str] = mapped_column(String(80), default="")
    indicator: Mapped[str] = mapped_column(choice("indicator", INDICATORS), default="lagging")
    perspective: Mapped[str] = mapped_column(
        choice("perspective", PERSPECTIVES), default="customer"
    )
    scale_min: Mapped[int | None]
    scale_max: Mapped[int | None]
    # Reference values the stored sums are taken around (set by the first import),
    # so that sums of squares stay exact when the mean is large against the spread.
    shift_value: Mapped[float | None] = mapped_column(Float)
    shift_denominator: Mapped[float | None] = mapped_column(Float)
    shift_covariate: Mapped[float | None] = mapped_column(Float)

    pilot: Mapped[Pilot] = relationship(back_populates="metrics")

    @property
    def scale(self) -> tuple[int, int] | None:
        if self.scale_min is None or self.scale_max is None:
            return None
        return (self.scale_min, self.scale_max)


class Hypothesis(db.Model):
    __table_args__ = (UniqueConstraint("pilot_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    statement: Mapped[str] = mapped_column(Text)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id"))
    predictor_id: Mapped[int | None] = mapped_column(ForeignKey("metric.id"))
    role: Mapped[str] = mapped_column(choice("hypothesis_role", HYPOTHESIS_ROLES))
    design: Mapped[str] = mapped_column(choice("design", DESIGNS), default="concurrent")
    method: Mapped[str] = mapped_column(choice("method", METHODS), default="fixed")
    alpha: Mapped[float] = mapped_column(Float, default=0.05)
    minimum_effect: Mapped[float | None] = mapped_column(Float)
    planned_sample_size: Mapped[int | None]
    # Quantiles to compare beside the mean (customers remember the worst cases).
    quantiles: Mapped[list[float] | None] = mapped_column(JSON)
    # Pre-registration: once observations arrive the hypothesis is locked.
    locked_at: Mapped[datetime | None]
    # Stored, not derived: later loads replace the batches that would tell.
    registration: Mapped[str] = mapped_column(
        choice("registration", REGISTRATIONS), default="confirmatory"
    )

    pilot: Mapped[Pilot] = relationship(back_populates="hypotheses")
    metric: Mapped[Metric] = relationship(foreign_keys=[metric_id])
    predictor: Mapped[Metric | None] = relationship(foreign_keys=[predictor_id])
    amendments: Mapped[list[HypothesisAmendment]] = relationship(
        back_populates="hypothesis",
        cascade="all, delete-orphan",
        order_by=lambda: (HypothesisAmendment.at, HypothesisAmendment.id),
    )


class HypothesisAmendment(db.Model):
    """A change to a hypothesis after its data began to arrive, and why it was made."""

    id: Mapped[int] = mapped_column(primary_key=True)
    hypothesis_id: Mapped[int] = mapped_column(
        ForeignKey("hypothesis.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The name is kept as written, so the record survives the account.
    actor: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    # One line per changed field: "alpha: 0.05 → 0.01".
    changes: Mapped[str] = mapped_column(Text)

    hypothesis: Mapped[Hypothesis] = relationship(back_populates="amendments")
    user: Mapped[User | None] = relationship()


class Iteration(db.Model):
    __table_args__ = (UniqueConstraint("pilot_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id", ondelete="CASCADE"))
    number: Mapped[int]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    title: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")

    pilot: Mapped[Pilot] = relationship(back_populates="iterations")
