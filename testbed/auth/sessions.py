"""Signed-in browsers kept on the server, so signing out or a new password ends them at once.

The Flask session cookie only carries a random token; the table keeps its SHA-256
(the token has 256 random bits, so a fast digest cannot be reversed and can be
looked up by an index). Deleting a row ends that browser's session whatever
copies of the cookie exist.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from testbed.auth.models import User, UserSession
from testbed.extensions import db
from testbed.timeutil import utcnow

# Noting a visit at most once a minute keeps browsing from writing on every page.
SEEN_RESOLUTION = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(user: User) -> str:
    """Record a new session for ``user`` and return its token, which is never stored."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user=user, token_hash=digest(token)))
    db.session.flush()
    return token


def find_session(token: str | None) -> UserSession | None:
    if not token:
        return None
    # The user comes in the same query: every signed-in request needs both.
    query = select(UserSession).options(joinedload(UserSession.user, innerjoin=True))
    return db.session.scalar(query.where(UserSession.token_hash == digest(token)))


def live_session(token: str | None) -> UserSession | None:
    """The session of ``token`` unless it has expired; an expired one is ended."""
    user_session = find_session(token)
    if user_session is None or not expired(user_session):
        return user_session
    db.session.delete(user_session)
    db.session.commit()
    return None


def expired(user_session: UserSession) -> bool:
    """Idle for longer than ``SESSION_IDLE_TIMEOUT``, or older than ``SESSION_LIFETIME``."""
    now, config = utcnow(), current_app.config
    return (
        now - user_session.last_seen_at > config["SESSION_IDLE_TIMEOUT"]
        or now - user_session.created_at > config["SESSION_LIFETIME"]
    )


def note_visit(user_session: UserSession) -> bool:
    """Move ``last_seen_at`` forward; True when it changed and needs committing."""
    now = utcnow()
    if now - user_session.last_seen_at < SEEN_RESOLUTION:
        return False
    user_session.last_seen_at = now
    return True


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == digest(token)))


def end_sessions_of(user: User) -> None:
    """Sign ``user`` out everywhere (the caller commits)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
