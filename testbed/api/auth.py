"""Personal API tokens: creating, revoking and recognising them in ``Authorization: Bearer``."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext
from sqlalchemy import select

from testbed.api.models import ApiToken
from testbed.audit import record
from testbed.auth.models import User
from testbed.extensions import db
from testbed.timeutil import utcnow

TOKEN_PREFIX = "tb_"  # noqa: S105  (marks the text as a testbed token; not a secret)
PREFIX_SHOWN = len(TOKEN_PREFIX) + 6
MAX_NAME = 120
# Noting each use at most once a minute keeps a busy client from writing on every call.
USE_RESOLUTION = timedelta(minutes=1)


class Unauthenticated(Exception):
    """No usable token: missing, malformed, unknown, revoked, or its account deactivated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with the token text, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValueError(
            gettext("name the token after the system that will use it, such as 'nightly push'")
        )
    if len(name) > MAX_NAME:
        raise ValueError(gettext("keep the name under %(max)s characters", max=MAX_NAME))
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=digest(text), prefix=text[:PREFIX_SHOWN])
    db.session.add(token)
    db.session.flush()
    record(
        "created",
        "API token",
        actor=user.name or user.email,
        user_id=user.id,
        entity_id=token.id,
        summary=f"{name} ({token.prefix}…)",
    )
    return token, text


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, the ones still in use first, newest first."""
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()
    return sorted(tokens, key=lambda token: not token.active)


def token_of(user: User, token_id: int) -> ApiToken | None:
    """The token with that id if it is ``user``'s: nobody sees another person's tokens."""
    token = db.session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user.id else None


def revoke_token(token: ApiToken, user: User) -> bool:
    """Stop a token from working; False when it was revoked already."""
    if not token.active:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    record(
        "revoked",
        "API token",
        actor=user.name or user.email,
        user_id=user.id,
        entity_id=token.id,
        summary=f"{token.name} ({token.prefix}…)",
    )
    return True


def revoke_tokens_of(user: User, *, actor: str, user_id: int | None = None) -> int:
    """Revoke every token of ``user`` still in use, as deactivating the account does.

    Revoked, not merely refused while the account is inactive: whoever copied a
    token before the account was stopped must not find it working again when
    the account is reactivated. Returns how many were revoked.
    """
    tokens = [token for token in tokens_of(user) if token.active]
    for token in tokens:
        token.revoked_at = utcnow()
        record(
            "revoked",
            "API token",
            actor=actor,
            user_id=user_id,
            entity_id=token.id,
            summary=f"{token.name} ({token.prefix}…), as {user.email} was deactivated",
        )
    db.session.flush()
    return len(tokens)


def bearer_token(header: str | None) -> str:
    """The token in an ``Authorization`` header; raises Unauthenticated for anything else."""
    if not header:
        raise Unauthenticated(
            gettext(
                "send a personal API token as 'Authorization: Bearer <token>' "
                "(create one under Account → API tokens)"
            )
        )
    scheme, _, text = header.strip().partition(" ")
    text = text.strip()
    if scheme.lower() != "bearer" or not text or " " in text:
        raise Unauthenticated(gettext("the Authorization header must read 'Bearer <token>'"))
    return text


def user_for_token(text: str) -> tuple[User, ApiToken]:
    """The active user a token belongs to; raises Unauthenticated otherwise."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(text)))
    if token is None:
        raise Unauthenticated(gettext("this API token is not known: check it was copied whole"))
    if not token.user.is_active:
        raise Unauthenticated(gettext("the account of this API token is deactivated"))
    if not token.active:
        raise Unauthenticated(gettext("this API token was revoked: create a new one"))
    return token.user, token


def note_use(token: ApiToken) -> None:
    """Remember when the token was last used (the caller commits)."""
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        token.last_used_at = now
