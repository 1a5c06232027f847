"""The company-wide idea box: anyone's improvement idea, its votes and the path it took."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from testbed.auth.models import Department, User
from testbed.extensions import db
from testbed.pilots.models import Pilot, choice
from testbed.suggestions.models import Suggestion
from testbed.timeutil import utcnow

# submitted: waiting to be read; under_review: the innovation team is looking at it;
# piloted: it became a pilot's suggestion or a new pilot; declined: with the reason.
IDEA_STATUSES = ("submitted", "under_review", "piloted", "declined")
IDEA_STATUS_LABELS = {
    "submitted": "Submitted",
    "under_review": "Under review",
    "piloted": "Taken into a pilot",
    "declined": "Declined",
}


class Idea(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # The author's department when they wrote it: a later move does not rewrite the campaign.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    # The month's campaign it counts for, written 2026-03.
    campaign: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[str] = mapped_column(choice("idea_status", IDEA_STATUSES))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Where it went: the suggestion it became on a pilot (attached to an existing pilot),
    # or the pilot made from it.
    suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestion.id", ondelete="SET NULL")
    )
    pilot_id: Mapped[int | None] = mapped_column(ForeignKey("pilot.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()
    suggestion: Mapped[Suggestion | None] = relationship()
    pilot: Mapped[Pilot | None] = relationship()
    steps: Mapped[list[IdeaStep]] = relationship(
        back_populates="idea",
        order_by="IdeaStep.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class IdeaStep(db.Model):
    """One move of an idea, so its path reads without the audit log."""

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(choice("idea_step_from", IDEA_STATUSES))
    status: Mapped[str] = mapped_column(choice("idea_step_to", IDEA_STATUSES))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    idea: Mapped[Idea] = relationship(back_populates="steps")


class IdeaVote(db.Model):
    # One vote per person: voting again withdraws it.
    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
