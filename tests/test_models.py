"""The data model's own rules, enforced by the database on every backend."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.models import Aggregate, Metric, Observation, Partner, Pilot, User


def make_pilot(slug="p1", **fields) -> Pilot:
    partner = db.session.scalar(select(Partner)) or Partner(name="Partner")
    pilot = Pilot(slug=slug, name="Pilot", partner=partner, **fields)
    db.session.add(pilot)
    return pilot


def test_a_status_outside_the_lifecycle_is_refused_by_the_database(app):
    make_pilot(status="running")
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_pilot_slugs_are_unique(app):
    make_pilot("same")
    make_pilot("same")
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_metric_keys_are_unique_within_a_pilot_only(app):
    first, second = make_pilot("a"), make_pilot("b")
    for pilot in (first, second):
        pilot.metrics.append(Metric(key="nps", name="NPS", kind="mean", direction="increase"))
    db.session.flush()
    first.metrics.append(Metric(key="nps", name="again", kind="mean", direction="increase"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_deleting_a_pilot_removes_its_observations_and_sums(app, write_pilot):
    load_path(write_pilot())
    db.session.commit()
    db.session.delete(db.session.scalar(select(Pilot)))
    db.session.commit()
    for model in (Observation, Aggregate, Metric):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_passwords_are_stored_as_memory_hard_hashes(app):
    user = User(email="a@b.c", role="finance")
    user.set_password("correct horse battery")
    assert user.password_hash.startswith("scrypt:65536:8:1$")
    assert "correct horse" not in user.password_hash
    assert user.check_password("correct horse battery")
    assert not user.check_password("correct horse")
