"""Personal API tokens: how systems act for a person through the JSON API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from testbed.auth.models import User
from testbed.extensions import db
from testbed.timeutil import utcnow


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 digest is kept, the token itself is shown once.

    The token is 32 random bytes, so nobody can guess it from its digest: a slow
    password hash (scrypt) would only add cost to every API call, while a plain
    digest can be looked up by an index.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
