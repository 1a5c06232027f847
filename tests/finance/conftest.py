"""Fixtures for finance: a small pilot with a financial case, and caches emptied per test."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison
from testbed.pilots.models import Pilot
from testbed.results import services as results_services
from tests.conftest import MINIMAL_TOML

# Text cells that a spreadsheet would run as formulas, to see them neutralised on export.
FINANCE_TOML = """
    [[hypotheses]]
    key = "H2"
    statement = "Reminders shorten the wait."
    metric = "wait"
    role = "secondary"

    [finance]
    currency = "EUR"
    discount_rate = 0.08
    horizon_years = 3

    [[finance.costs]]
    item = '=HYPERLINK("http://evil.example","click")'
    amount = 400
    year = 0

    [[finance.costs]]
    item = "+1"
    amount = 100
    year = 1
    recurring = true

    [[finance.costs]]
    item = "-cmd"
    amount = 50
    year = 0

    [[finance.benefits]]
    metric = "wait"
    value_per_unit = 2.5
    volume_per_year = 1000
    description = "A minute of waiting costs 2.50 in staff time."

    [[finance.programmes]]
    name = "@SUM(1+1)"
    roi = 0.18

    [[finance.programmes]]
    name = "Replace old switches"
    roi = 0.4
    """


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    """Reports and returns are cached by pilot id and version, which repeat across databases."""
    monkeypatch.setattr(results_services, "_CACHE", {})
    monkeypatch.setattr(comparison, "_RETURNS", {})


@pytest.fixture
def finance_pilot(app, write_pilot):
    """The minimal pilot with a financial case: a benefit on waiting time, three costs."""
    load_path(write_pilot("reminders", pilot__toml=MINIMAL_TOML + FINANCE_TOML))
    db.session.commit()
    return db.session.scalar(select(Pilot).where(Pilot.slug == "reminders"))


@pytest.fixture
def add_finance_pilot(write_pilot):
    """Load another pilot with the same financial case under ``slug``."""

    def add(slug: str) -> Pilot:
        load_path(write_pilot(slug, pilot__toml=MINIMAL_TOML + FINANCE_TOML))
        db.session.commit()
        return db.session.scalar(select(Pilot).where(Pilot.slug == slug))

    return add
