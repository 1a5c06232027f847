"""Delivering the outbox: e-mails, daily digests and webhook calls, each exactly once.

``testbed notify send`` runs ``send`` (from cron or a systemd timer). A sender claims a
message with one UPDATE that succeeds only where no one has claimed it
(``claimed_by IS NULL``); the sender whose UPDATE changed the row delivers it, any
other sender running at the same moment finds nothing to claim. A failed attempt is
logged, released and retried later with a growing pause; a claim whose sender
stopped before saying how it went is never retried (the message may have gone out),
it is marked abandoned instead, for a person to look at.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale, gettext, ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from testbed.auth.models import User
from testbed.config import SmtpSettings
from testbed.extensions import db
from testbed.i18n import DEFAULT_LANGUAGE
from testbed.notify import webhooks
from testbed.notify.models import (
    EVENT_KINDS,
    DeliveryAttempt,
    Notification,
    NotificationEvent,
    OutboxMessage,
    Webhook,
)
from testbed.notify.services import preferences_of, readers
from testbed.notify.texts import said
from testbed.timeutil import utcnow

MAX_ATTEMPTS = 8
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=6)
# A claim older than this whose sender never reported back: abandoned, not retried.
CLAIM_TIMEOUT = timedelta(minutes=30)
DIGEST_EVERY = timedelta(hours=24)
UNSUBSCRIBE_SALT = "notify.unsubscribe"


class NotConfigured(RuntimeError):
    """E-mail is waiting but no SMTP server is configured."""


def pause_after(attempts: int) -> timedelta:
    """How long to wait before attempt ``attempts + 1``: 1, 2, 4 … minutes, at most 6 hours."""
    return min(FIRST_PAUSE * 2 ** max(attempts - 1, 0), LONGEST_PAUSE)


def sender_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


# Unsubscribe links ------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User, kind: str) -> str:
    """A token that changes one person's e-mail for one kind of event, and nothing else."""
    return _serializer().dumps({"user": user.id, "kind": kind})


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("kind") not in EVENT_KINDS:
        return None
    user = db.session.get(User, data.get("user")) if isinstance(data.get("user"), int) else None
    return (user, data["kind"]) if user is not None else None


# Digests ----------------------------------------------------------------------------


def make_digests(now: datetime) -> int:
    """Gather each person's digest notifications into one e-mail, at most one a day.

    The notifications are attached to the new message by one UPDATE that takes only
    those no digest has yet: two senders making digests at once cannot both take one.
    """
    made = 0
    waiting = db.session.scalars(
        select(Notification.user_id)
        .where(Notification.mode == "digest", Notification.digest_id.is_(None))
        .distinct()
    ).all()
    for user_id in waiting:
        last = db.session.scalar(
            select(OutboxMessage.created_at)
            .where(OutboxMessage.channel == "digest", OutboxMessage.user_id == user_id)
            .order_by(OutboxMessage.created_at.desc())
            .limit(1)
        )
        if last is not None and now - last < DIGEST_EVERY:
            continue
        digest = OutboxMessage(
            channel="digest", user_id=user_id, created_at=now, next_attempt_at=now
        )
        db.session.add(digest)
        db.session.flush()
        taken = db.session.execute(
            update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.mode == "digest",
                Notification.digest_id.is_(None),
            )
            .values(digest_id=digest.id)
        ).rowcount
        if taken:
            made += 1
        else:
            db.session.delete(digest)
        db.session.commit()
    return made


# Sending ----------------------------------------------------------------------------


def send(now: datetime | None = None, *, sender: str | None = None) -> Counter:
    """Deliver everything due: returns how many were sent, failed, retried, skipped."""
    now = now or utcnow()
    sender = sender or sender_name()
    outcome = Counter()
    outcome["abandoned"] += abandon_stale_claims(now)
    outcome["digests"] += make_digests(now)
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.state == "pending",
            OutboxMessage.claimed_by.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
    ).all()
    db.session.commit()
    mail = Mailer(current_app.config.get("SMTP"))
    try:
        for message_id in due:
            if not claim(message_id, sender, now):
                outcome["taken by another sender"] += 1
                continue
            message = db.session.get(OutboxMessage, message_id)
            outcome[deliver(message, mail, now)] += 1
            db.session.commit()
    finally:
        mail.close()
    return outcome


def claim(message_id: int, sender: str, now: datetime) -> bool:
    """Take the message for this sender; False when another sender has it already."""
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.claimed_by.is_(None),
            OutboxMessage.state == "pending",
        )
        .values(claimed_by=sender, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def abandon_stale_claims(now: datetime) -> int:
    abandoned = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.state == "pending",
            OutboxMessage.claimed_by.is_not(None),
            OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
        )
        .values(
            state="abandoned",
            last_error="its sender stopped before reporting; not retried, as it may have been sent",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return abandoned


def deliver(message: OutboxMessage, mail: Mailer, now: datetime) -> str:
    """Try once; log the attempt; settle the message as sent, retried, failed or skipped."""
    try:
        result = _attempt(message, mail)
    except NotConfigured as error:
        # Not the message's fault: it waits, claim released, no attempt counted.
        message.claimed_by, message.claimed_at = None, None
        message.last_error = str(error)
        return "waiting for SMTP settings"
    ok, code, error = result
    db.session.add(
        DeliveryAttempt(message_id=message.id, at=now, ok=ok, response_code=code, error=error)
    )
    if ok is None:  # nothing to deliver any more (the person left, or changed their mind)
        message.state, message.last_error = "sent", error
        return "skipped"
    if ok:
        message.state, message.sent_at, message.last_error = "sent", utcnow(), ""
        return "sent"
    message.attempts += 1
    message.last_error = error
    message.claimed_by, message.claimed_at = None, None
    if message.attempts >= MAX_ATTEMPTS:
        message.state = "failed"
        return "failed"
    message.next_attempt_at = now + pause_after(message.attempts)
    return "retry later"


def _attempt(message: OutboxMessage, mail: Mailer) -> tuple[bool | None, int | None, str]:
    if message.channel == "webhook":
        return _call_webhook(message)
    user = message.user
    if message.channel == "email":
        event = message.event
        if not _still_wanted(user, event):
            return None, None, "no longer for this person (inactive, no access, or unsubscribed)"
        items = [event]
    else:
        notifications = db.session.scalars(
            select(Notification)
            .where(Notification.digest_id == message.id)
            .order_by(Notification.id)
        ).all()
        items = [n.event for n in notifications] if readers([user]) else []
        if not items:
            return None, None, "nothing left to tell this person"
    email = compose(message, user, items)
    return mail.send(email)


def _still_wanted(user: User, event: NotificationEvent) -> bool:
    """Whether the person may still read it and still wants such e-mails at once."""
    return bool(readers([user])) and preferences_of(user)[event.kind] == "immediate"


def _call_webhook(message: OutboxMessage) -> tuple[bool, int | None, str]:
    webhook: Webhook = message.webhook
    if not webhook.active:
        return None, None, "the webhook was removed"
    body = webhooks.body_of(message.event, current_app.config.get("BASE_URL"))
    answer = webhooks.post(webhook, body, str(int(time.time())), message.event.kind)
    error = answer.error or ("" if answer.ok else f"the receiver answered {answer.status}")
    return answer.ok, answer.status, error


# E-mails ----------------------------------------------------------------------------


def absolute(path: str) -> str:
    base = current_app.config.get("BASE_URL")
    if not base:
        raise NotConfigured("TESTBED_BASE_URL is not set: e-mails need it for their links")
    return base + path


def compose(message: OutboxMessage, user: User, events: list[NotificationEvent]) -> EmailMessage:
    """The e-mail of one event, or the digest of several: plain text and HTML, one link each.

    Written in the recipient's language (English until they choose one), whoever caused
    the events and wherever the sender runs (a request or ``testbed notify send``).
    """
    settings: SmtpSettings | None = current_app.config.get("SMTP")
    if settings is None:
        raise NotConfigured("no SMTP server is configured (TESTBED_SMTP_HOST)")
    kinds = list(dict.fromkeys(event.kind for event in events))
    unsubscribe = {
        kind: absolute(f"/notifications/unsubscribe/{unsubscribe_token(user, kind)}")
        for kind in kinds
    }
    email = EmailMessage()
    with force_locale(user.language or DEFAULT_LANGUAGE):
        items = []
        for event in events:
            title, summary = said(event)
            items.append({"title": title, "summary": summary, "url": absolute(event.link)})
        context = {
            "user": user,
            "items": items,
            "unsubscribe": [(str(EVENT_KINDS[kind][0]), url) for kind, url in unsubscribe.items()],
            "preferences": absolute("/notifications/preferences"),
            "digest": message.channel == "digest",
        }
        if message.channel == "digest":
            email["Subject"] = ngettext(
                "testbed: %(num)d update today", "testbed: %(num)d updates today", len(events)
            )
        else:
            email["Subject"] = gettext("testbed: %(title)s", title=items[0]["title"])
        plain = render_template("notify/email.txt", **context, lines=plain_lines(context))
        html = render_template("notify/email.html", **context)
    email["From"] = settings.sender
    email["To"] = user.email
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="testbed")
    email["X-Testbed-Outbox"] = str(message.id)
    # The one kind of a single e-mail; a digest's header names the first of its kinds.
    email["List-Unsubscribe"] = f"<{unsubscribe[kinds[0]]}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(plain)
    email.add_alternative(html, subtype="html")
    return email


def plain_lines(context: dict) -> dict:
    """The sentences of the plain-text e-mail, said here: the catalogue is extracted from the
    HTML templates only, which say the same things with links."""
    return {
        "hello": gettext("Hello %(name)s,", name=context["user"].name or context["user"].email),
        "today": gettext("Today's updates from testbed:"),
        "open": gettext("Open it: %(url)s", url=context["items"][0]["url"]),
        "why": gettext(
            "You get this e-mail because of your notification preferences: %(url)s",
            url=context["preferences"],
        ),
        "stop": [
            gettext('Stop e-mails about "%(label)s": %(url)s', label=label, url=url)
            for label, url in context["unsubscribe"]
        ],
    }


class Mailer:
    """One SMTP connection for a run of the sender, opened at the first e-mail."""

    def __init__(self, settings: SmtpSettings | None):
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> tuple[bool, int | None, str]:
        try:
            if self.connection is None:
                self.connection = self._connect()
            refused = self.connection.send_message(email)
        except smtplib.SMTPResponseException as error:
            self.close()
            return False, error.smtp_code, _text(error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            return False, None, f"{type(error).__name__}: {error}"[:500]
        if refused:
            code, reason = next(iter(refused.values()))
            return False, code, _text(reason)
        return True, 250, ""

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        if settings.tls == "ssl":
            connection = smtplib.SMTP_SSL(settings.host, settings.port, timeout=30, context=context)
        else:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=30)
            if settings.tls == "starttls":
                connection.starttls(context=context)
        if settings.user:
            connection.login(settings.user, settings.password)
        return connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
