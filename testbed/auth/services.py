"""Account operations shared by the web app and the command line."""

from __future__ import annotations

from sqlalchemy import func, select

from testbed.auth.models import ROLES, Department, User
from testbed.extensions import db

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def create_user(
    email: str, role: str, password: str, name: str = "", department: Department | None = None
) -> User:
    """Add a user to the session; raises ValueError with a reason a person can fix."""
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError(f"'{email}' is not an e-mail address")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValueError(
            f"the password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
        )
    if find_user(email) is not None:
        raise ValueError(f"a user with the e-mail {email} exists already")
    user = User(email=email, role=role, name=name, department=department)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def department_named(name: str) -> Department:
    """The department of that name, created on first mention."""
    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        db.session.flush()
    return department
