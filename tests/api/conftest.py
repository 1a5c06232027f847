"""Fixtures for the API: callers with a token of a given role, and a second pilot."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from testbed.api.auth import create_token
from testbed.auth.models import User
from testbed.extensions import db
from tests.conftest import MINIMAL_TOML

FINANCE = """\
    [finance]
    currency = "EUR"
    discount_rate = 0.05
    horizon_years = 2

    [[finance.costs]]
    item = "SMS service"
    amount = 1000
    year = 0

    [[finance.benefits]]
    metric = "fta"
    value_per_unit = -50
    volume_per_year = 2000

    [[finance.programmes]]
    name = "Replace old switches"
    roi = 0.18
    """


@pytest.fixture(autouse=True)
def fresh_reports(monkeypatch):
    """Forget cached reports: pilot ids and versions repeat from one test database to another."""
    from testbed.results import services

    monkeypatch.setattr(services, "_CACHE", {})


@dataclass
class Caller:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def caller(app):
    """Make a user of ``role`` with a fresh API token."""

    def make(role: str = "innovation", email: str | None = None, department=None) -> Caller:
        # No password: API callers never sign in, and hashing one is slow on purpose.
        user = User(
            email=email or f"{role}-api@example.org",
            role=role,
            name=role.title(),
            department=department,
            password_hash="!",
        )
        db.session.add(user)
        _, token = create_token(user, f"{role} system")
        db.session.commit()
        return Caller(user, token)

    return make


@pytest.fixture
def other_pilot(app, loaded_pilot, write_pilot):
    """A second pilot with its own hypothesis, for objects addressed under the wrong pilot."""
    from testbed.files.loader import load_path
    from testbed.pilots.models import Pilot

    toml = MINIMAL_TOML.replace('name = "Reminder pilot"', 'name = "Other pilot"').replace(
        'name = "Harbour Dental"', 'name = "Other Partner"'
    )
    load_path(write_pilot("other", pilot__toml=toml))
    db.session.commit()
    return db.session.scalar(select(Pilot).where(Pilot.slug == "other"))


@pytest.fixture
def financed_pilot(app, write_pilot):
    """The minimal pilot with a financial case, loaded and committed."""
    from testbed.files.loader import load_path
    from testbed.pilots.models import Pilot

    toml = textwrap.dedent(MINIMAL_TOML) + textwrap.dedent(FINANCE)
    load_path(write_pilot(pilot__toml=toml))
    db.session.commit()
    return db.session.scalar(select(Pilot))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
