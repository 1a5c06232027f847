"""People who use the tracker, and the departments they speak for."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from testbed.extensions import db
from testbed.timeutil import utcnow

ROLES = ("innovation", "department_head", "finance", "admin", "staff")
# What each role is called on the pages, in the reader's language.
ROLE_NAMES = {
    "innovation": _l("innovation"),
    "department_head": _l("department head"),
    "finance": _l("finance"),
    "admin": _l("admin"),
    "staff": _l("staff"),
}


def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


# scrypt with N = 2**16 is memory-hard enough for OWASP ASVS level 2.
PASSWORD_METHOD = "scrypt:65536:8:1"  # noqa: S105  (a hash method, not a secret)


class Department(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(
        Enum(*ROLES, name="role", native_enum=False, create_constraint=True)
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "en" or "fr" once the person has chosen; until then the browser's language decides.
    language: Mapped[str | None] = mapped_column(String(8))

    department: Mapped[Department | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class UserSession(db.Model):
    """A signed-in browser: the cookie carries a random token, the table only its SHA-256.

    Flask's cookie is signed, not revocable; this row is what signing out, a new
    password or deactivation deletes, so a copied cookie stops working at once.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
