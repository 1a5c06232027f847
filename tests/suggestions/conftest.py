"""Fixtures for suggestions: a second pilot, people, and suggestions in a given status."""

from __future__ import annotations

import pytest

from testbed.auth.services import create_user, department_named, find_user
from testbed.extensions import db
from testbed.pilots.models import Iteration, Partner, Pilot
from testbed.suggestions import services


@pytest.fixture
def pilot(loaded_pilot):
    """The minimal pilot: iteration 1, involving Operations and Finance."""
    return loaded_pilot


@pytest.fixture
def other_pilot(app):
    pilot = Pilot(slug="other", name="Other pilot", partner=Partner(name="Other partner"))
    pilot.iterations.append(Iteration(number=1, title="Other start"))
    db.session.add(pilot)
    db.session.commit()
    return pilot


@pytest.fixture
def person(app):
    """Make a user: person(role, department name or None)."""

    def make(role: str = "department_head", department: str | None = "Sales", name: str = ""):
        email = f"{role}.{department or 'none'}@example.org".lower().replace(" ", "-")
        existing = find_user(email)
        if existing is not None:
            return existing
        dept = department_named(department) if department else None
        return create_user(email, role, "a long password", name=name, department=dept)

    return make


@pytest.fixture
def suggest(person):
    """Add a suggestion to ``pilot`` and put it in ``status`` (directly, bypassing moves)."""

    def make(pilot, status: str = "new", text: str = "Send the reminder two days earlier."):
        author = person("department_head", "Sales", name="Sam Sales")
        suggestion = services.add_suggestion(
            pilot, text, author=author, department=author.department
        )
        if status == "incorporated":
            suggestion.iteration = pilot.iterations[0]
        suggestion.status = status
        db.session.commit()
        return suggestion

    return make
