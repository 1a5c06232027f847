"""A suggestion from a department, and where it went."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from testbed.auth.models import Department, User
from testbed.extensions import db
from testbed.pilots.models import Iteration, Pilot, choice
from testbed.timeutil import utcnow

SUGGESTION_STATUSES = ("new", "under_review", "accepted", "incorporated", "declined")
STATUS_LABELS = {
    "new": "New",
    "under_review": "Under review",
    "accepted": "Accepted",
    "incorporated": "Incorporated",
    "declined": "Declined",
}


class Suggestion(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(120))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(choice("suggestion_status", SUGGESTION_STATUSES))
    # The iteration that adopted it (status incorporated), or why it was declined.
    iteration_id: Mapped[int | None] = mapped_column(
        ForeignKey("iteration.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    proposed_on: Mapped[date | None]
    # Suggestions written in a pilot folder are replaced when the folder is reloaded.
    from_file: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pilot: Mapped[Pilot] = relationship()
    department: Mapped[Department | None] = relationship()
    iteration: Mapped[Iteration | None] = relationship()
    author_user: Mapped[User | None] = relationship()
    steps: Mapped[list[SuggestionStep]] = relationship(
        back_populates="suggestion",
        order_by="SuggestionStep.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def proposed(self) -> date:
        """The day it was proposed: as the pilot file says, or when it was added here."""
        return self.proposed_on or self.created_at.date()


class SuggestionStep(db.Model):
    """One move along a suggestion's path, kept so its history reads without the audit log."""

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestion.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(choice("suggestion_step_from", SUGGESTION_STATUSES))
    status: Mapped[str] = mapped_column(choice("suggestion_step_to", SUGGESTION_STATUSES))
    iteration_id: Mapped[int | None] = mapped_column(
        ForeignKey("iteration.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    suggestion: Mapped[Suggestion] = relationship(back_populates="steps")
    iteration: Mapped[Iteration | None] = relationship()


class SuggestionComment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestion.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    suggestion: Mapped[Suggestion] = relationship()
    user: Mapped[User] = relationship()


class SuggestionVote(db.Model):
    # One vote per person: voting again withdraws it.
    __table_args__ = (UniqueConstraint("suggestion_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    suggestion: Mapped[Suggestion] = relationship()
    user: Mapped[User] = relationship()
