"""A suggestion from a department, and where it went."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from testbed.auth.models import Department, User
from testbed.extensions import db
from testbed.pilots.models import Iteration, Pilot, choice
from testbed.timeutil import utcnow

SUGGESTION_STATUSES = ("new", "under_review", "accepted", "incorporated", "declined")


class Suggestion(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(120))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(choice("suggestion_status", SUGGESTION_STATUSES))
    # The iteration that adopted it (status incorporated), or why it was declined.
    iteration_id: Mapped[int | None] = mapped_column(ForeignKey("iteration.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    proposed_on: Mapped[date | None]
    # Suggestions written in a pilot folder are replaced when the folder is reloaded.
    from_file: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pilot: Mapped[Pilot] = relationship()
    department: Mapped[Department | None] = relationship()
    iteration: Mapped[Iteration | None] = relationship()
    author_user: Mapped[User | None] = relationship()
