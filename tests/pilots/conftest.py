"""Fixtures for the innovation team's pages: pilots without data, people and suggestions."""

from __future__ import annotations

import pytest

from testbed.auth.services import create_user, department_named
from testbed.extensions import db
from testbed.pilots.models import Metric, Partner, Pilot
from testbed.suggestions.models import Suggestion


@pytest.fixture(autouse=True)
def instance_folder(app, tmp_path):
    """Pending uploads go to a folder of the test's own, never the project's instance/."""
    app.instance_path = str(tmp_path / "instance")
    return tmp_path / "instance"


@pytest.fixture
def innovator(app):
    user = create_user("ines@example.org", "innovation", "a long password", name="Ines")
    db.session.commit()
    return user


@pytest.fixture
def fresh_pilot(app):
    """A pilot with two metrics, one iteration and no observations yet."""
    pilot = Pilot(
        slug="fresh",
        name="Fresh pilot",
        status="active",
        partner=Partner(name="Small Clinic", segment="healthcare"),
        departments=[department_named("Operations")],
    )
    pilot.metrics = [
        Metric(key="wait", name="Waiting time", kind="mean", direction="decrease", unit="minutes"),
        Metric(key="fta", name="Failure to attend", kind="proportion", direction="decrease"),
    ]
    db.session.add(pilot)
    db.session.commit()
    return pilot


@pytest.fixture
def suggestion(app):
    """Add a suggestion to a pilot in a given status."""

    def make(pilot, status: str = "accepted", text: str = "Remind patients by phone too."):
        item = Suggestion(pilot=pilot, author="Sam Sales", text=text, status=status)
        db.session.add(item)
        db.session.commit()
        return item

    return make


OBSERVATIONS = (
    "metric,group,value\n"
    "fta,baseline,1\nfta,baseline,0\nfta,baseline,1\n"
    "fta,pilot,0\nfta,pilot,0\nfta,pilot,1\n"
)
