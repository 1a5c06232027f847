"""Fixtures for the idea box: people of any role in a department, and their ideas."""

from __future__ import annotations

import pytest

from testbed.auth.services import create_user, department_named, find_user
from testbed.extensions import db
from testbed.ideas import services


@pytest.fixture
def person(app):
    """Make (or find) a user: person(role, department name or None, name)."""

    def make(role: str = "staff", department: str | None = "Sales", name: str = ""):
        email = f"{name or role}.{department or 'none'}@example.org".lower().replace(" ", "-")
        existing = find_user(email)
        if existing is not None:
            return existing
        dept = department_named(department) if department else None
        user = create_user(email, role, "a long password", name=name, department=dept)
        db.session.commit()
        return user

    return make


@pytest.fixture
def give(person):
    """An idea by a staff member of Sales, committed."""

    def make(title: str = "Call back instead of holding", author=None):
        idea = services.submit_idea(
            title, "Offer a call-back slot when the queue is long.", author=author or person()
        )
        db.session.commit()
        return idea

    return make
