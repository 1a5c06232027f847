"""The audit trail: who changed what, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from testbed.extensions import db
from testbed.timeutil import utcnow


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    # Kept when a pilot is deleted: the trail outlives what it describes.
    pilot_id: Mapped[int | None] = mapped_column(ForeignKey("pilot.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text, default="")


def record(
    action: str,
    entity: str,
    *,
    actor: str,
    summary: str = "",
    entity_id=None,
    pilot_id=None,
    user_id=None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        action=action,
        entity=entity,
        entity_id=entity_id,
        pilot_id=pilot_id,
        actor=actor,
        user_id=user_id,
        summary=summary,
    )
    db.session.add(event)
    return event
