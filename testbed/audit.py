"""The audit trail: who changed what, when."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
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


# The trail is kept in English, as a record; the activity page names what happened in the
# reader's language (a code it does not know, as written).
ACTION_NAMES = {
    "added": _l("added"),
    "amended": _l("amended"),
    "created": _l("created"),
    "deactivated": _l("deactivated"),
    "deleted": _l("deleted"),
    "imported": _l("imported"),
    "linked": _l("linked"),
    "logged": _l("logged"),
    "measured": _l("measured"),
    "moved": _l("moved"),
    "password_changed": _l("password changed"),
    "password_reset": _l("password reset"),
    "reactivated": _l("reactivated"),
    "refreshed": _l("refreshed"),
    "registered": _l("registered"),
    "removed": _l("removed"),
    "renamed": _l("renamed"),
    "revoked": _l("revoked"),
    "switched": _l("switched"),
    "unlinked": _l("unlinked"),
    "updated": _l("updated"),
}
ENTITY_NAMES = {
    "data_source": _l("data source"),
    "hypothesis": _l("hypothesis"),
    "idea": _l("idea"),
    "indicator": _l("indicator"),
    "iteration": _l("iteration"),
    "measurement": _l("measurement"),
    "metric": _l("metric"),
    "observations": _l("observations"),
    "partner": _l("partner"),
    "pilot": _l("pilot"),
    "poor_service_line": _l("poor-service line"),
    "poor_service_model": _l("poor-service model"),
    "programme": _l("programme"),
    "suggestion": _l("suggestion"),
    "suggestions": _l("suggestions"),
    "webhook": _l("webhook"),
}


def what_happened(event: AuditEvent) -> str:
    """What an event did to what, such as "created pilot", in the reader's language."""
    action = ACTION_NAMES.get(event.action, event.action.replace("_", " "))
    entity = ENTITY_NAMES.get(event.entity, event.entity.replace("_", " "))
    return gettext("%(action)s %(entity)s", action=action, entity=entity)
