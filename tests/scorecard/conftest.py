"""A small scorecard to test on: two departments, survey indicators with n and sd."""

from __future__ import annotations

import pytest

from testbed.auth.services import department_named
from testbed.extensions import db
from testbed.scorecard import services
from testbed.scorecard.services import IndicatorFields

ACTOR = {"actor": "test"}


@pytest.fixture
def departments(app):
    made = {name: department_named(name) for name in ("Customer Service", "Sales")}
    db.session.commit()
    return made


@pytest.fixture
def make_indicator(departments):
    def make(key: str = "nps", **fields):
        values = {
            "key": key,
            "name": fields.pop("name", key.upper()),
            "perspective": "customer",
            "direction": "increase",
            "target": 40.0,
            "department": departments["Customer Service"],
        }
        values.update(fields)
        indicator = services.create_indicator(IndicatorFields(**values), **ACTOR)
        db.session.commit()
        return indicator

    return make
