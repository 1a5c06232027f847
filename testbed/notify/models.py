"""Who watches what, what happened, who was told, and what is waiting to be delivered."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from testbed.auth.models import User
from testbed.extensions import db
from testbed.pilots.models import Pilot, choice
from testbed.timeutil import utcnow

# Each kind of event: its label on the preferences page (in the reader's language), and
# how it reaches people who have not chosen otherwise.
EVENT_KINDS: dict[str, tuple[str, str]] = {
    "suggestion_adopted": (_l("A suggestion you follow is adopted by an iteration"), "immediate"),
    "suggestion_status": (_l("A suggestion you follow changes status"), "immediate"),
    "suggestion_comment": (_l("A comment on a suggestion you follow"), "digest"),
    "verdict_changed": (_l("A verdict or a pilot's decision changes after new data"), "immediate"),
    "guardrail_breached": (_l("A guardrail of a pilot you watch is breached"), "immediate"),
    "sample_ratio_mismatch": (_l("A pilot's groups stop matching the planned shares"), "immediate"),
    "data_stopped": (_l("A pilot's data stop arriving"), "digest"),
    "iteration_overdue": (_l("A pilot's iteration is overdue"), "digest"),
    "pilot_status": (_l("A pilot you watch changes status"), "digest"),
    "idea_moved": (
        _l("An idea you gave or voted for is reviewed, declined or taken into a pilot"),
        "immediate",
    ),
}
# Each kind in a word or two, where a list names several (the webhooks' pages).
KIND_NAMES = {
    "suggestion_adopted": _l("suggestion adopted"),
    "suggestion_status": _l("suggestion status"),
    "suggestion_comment": _l("suggestion comment"),
    "verdict_changed": _l("verdict changed"),
    "guardrail_breached": _l("guardrail breached"),
    "sample_ratio_mismatch": _l("sample ratio mismatch"),
    "data_stopped": _l("data stopped"),
    "iteration_overdue": _l("iteration overdue"),
    "pilot_status": _l("pilot status"),
    "idea_moved": _l("idea moved"),
}
# in_app: the inbox only; immediate: the inbox and an e-mail each; digest: the inbox and
# one e-mail a day with everything; none: not at all.
MODES = ("in_app", "immediate", "digest", "none")
MODE_LABELS = {
    "in_app": _l("In the app only"),
    "immediate": _l("In the app and by e-mail at once"),
    "digest": _l("In the app and in a daily e-mail"),
    "none": _l("Not at all"),
}
WATCH_REASONS = ("chosen", "created", "wrote", "voted", "commented")
CHANNELS = ("email", "digest", "webhook")
DELIVERY_STATES = ("pending", "sent", "failed", "abandoned")


class PilotWatch(db.Model):
    __tablename__ = "pilot_watch"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    pilot_id: Mapped[int] = mapped_column(
        ForeignKey("pilot.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(choice("pilot_watch_reason", WATCH_REASONS))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    pilot: Mapped[Pilot] = relationship()


class SuggestionWatch(db.Model):
    __tablename__ = "suggestion_watch"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestion.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(choice("suggestion_watch_reason", WATCH_REASONS))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationEvent(db.Model):
    """One thing that happened, recorded in the transaction of the change that caused it."""

    __tablename__ = "notification_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(choice("notification_kind", tuple(EVENT_KINDS)))
    pilot_id: Mapped[int | None] = mapped_column(
        ForeignKey("pilot.id", ondelete="CASCADE"), index=True
    )
    suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestion.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # In English, as webhooks send them; pages, e-mails and the API say them in their
    # reader's language from the facts under payload["words"] (testbed.notify.texts).
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    # A path inside the app (such as /pilots/reminders/results): the inbox links to it,
    # e-mails prefix the configured base URL.
    link: Mapped[str] = mapped_column(String(500))
    # Periodic findings name their episode (such as data_stopped:3:41): one event each.
    episode: Mapped[str | None] = mapped_column(String(120), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    pilot: Mapped[Pilot | None] = relationship()


class Notification(db.Model):
    """One person's copy of an event, in their inbox."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("notification_event.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(choice("notification_mode", MODES))
    read_at: Mapped[datetime | None]
    # The digest e-mail that carries it, once one was made (mode digest only).
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[NotificationEvent] = relationship()
    user: Mapped[User] = relationship()


class Preference(db.Model):
    """How one person hears of one kind of event, where they chose something else."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(choice("preference_kind", tuple(EVENT_KINDS)))
    mode: Mapped[str] = mapped_column(choice("preference_mode", MODES))


class Webhook(db.Model):
    """A system around the app that wants some kinds of events as signed JSON."""

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    # The signing secret is HMAC(SECRET_KEY, nonce): never stored, shown once.
    nonce: Mapped[str] = mapped_column(String(64))
    allow_private: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(db.Model):
    """Something to deliver outside the request: an e-mail, a digest, a webhook call.

    An e-mail carries its event to ``user``; a digest the notifications that name it;
    a webhook call its event to ``webhook``.

    A sender claims a row by setting ``claimed_by`` where it is still empty; only the
    sender whose update changed the row delivers it.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(choice("outbox_channel", CHANNELS))
    state: Mapped[str] = mapped_column(choice("outbox_state", DELIVERY_STATES), default="pending")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_event.id", ondelete="CASCADE")
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()
    webhook: Mapped[Webhook | None] = relationship()
    event: Mapped[NotificationEvent | None] = relationship()


class DeliveryAttempt(db.Model):
    """One try at delivering an outbox message, with what the other side answered."""

    __tablename__ = "delivery_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(default=False)
    response_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(Text, default="")
