"""Loaded hypotheses: a folder states them with its data, unless the data were there first."""

from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import select

from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.export import definition
from testbed.files.loader import load_path
from testbed.models import Hypothesis, Pilot
from tests.conftest import MINIMAL_OBSERVATIONS, MINIMAL_TOML

ON_WAIT = """
    [[hypotheses]]
    key = "H2"
    statement = "Reminders shorten the wait."
    metric = "wait"
    role = "secondary"
    """

NEW_METRIC = """
    [[metrics]]
    key = "csat"
    name = "Satisfaction"
    kind = "mean"
    direction = "increase"

    [[hypotheses]]
    key = "H3"
    statement = "Satisfaction rises."
    metric = "csat"
    role = "secondary"
    """

NEW_METRIC_ROWS = "csat,baseline,4.0,1\ncsat,baseline,4.2,1\ncsat,pilot,4.5,1\ncsat,pilot,4.4,1\n"


def toml(*extra: str) -> str:
    return textwrap.dedent(MINIMAL_TOML) + "".join(textwrap.dedent(part) for part in extra)


def observations(extra: str = "") -> str:
    return textwrap.dedent(MINIMAL_OBSERVATIONS) + extra


def registrations() -> dict[str, str]:
    db.session.expire_all()
    return {h.key: h.registration for h in db.session.scalars(select(Hypothesis))}


def load(folder) -> None:
    load_path(folder)
    db.session.commit()


def test_a_fresh_folder_states_its_hypotheses_with_its_data(app, write_pilot):
    load(write_pilot(pilot__toml=toml(ON_WAIT)))
    assert registrations() == {"H1": "confirmatory", "H2": "confirmatory"}
    assert all(h.locked_at is not None for h in db.session.scalars(select(Hypothesis)))


def test_a_hypothesis_added_to_data_loaded_before_is_exploratory(app, write_pilot):
    load(write_pilot())
    load(
        write_pilot(
            pilot__toml=toml(ON_WAIT, NEW_METRIC),
            observations__csv=observations(NEW_METRIC_ROWS),
        )
    )
    # H2's metric had data before H2 appeared; H3 came with its metric and its data.
    assert registrations() == {"H1": "confirmatory", "H2": "exploratory", "H3": "confirmatory"}


def test_the_file_cannot_make_a_late_hypothesis_confirmatory(app, write_pilot):
    load(write_pilot())
    claimed = ON_WAIT.replace(
        'role = "secondary"', 'role = "secondary"\n    registration = "confirmatory"'
    )
    load(write_pilot(pilot__toml=toml(claimed)))
    assert registrations()["H2"] == "exploratory"


def test_the_file_may_say_a_hypothesis_is_exploratory_and_export_keeps_it(app, write_pilot):
    marked = ON_WAIT.replace(
        'role = "secondary"', 'role = "secondary"\n    registration = "exploratory"'
    )
    load(write_pilot(pilot__toml=toml(marked)))
    assert registrations() == {"H1": "confirmatory", "H2": "exploratory"}
    hypotheses = definition(db.session.scalar(select(Pilot)))["hypotheses"]
    assert [h.get("registration") for h in hypotheses] == [None, "exploratory"]
    # Once exploratory, always: a later load without the word does not undo it.
    load(write_pilot(pilot__toml=toml(ON_WAIT, "\n# reloaded\n")))
    assert registrations()["H2"] == "exploratory"


def test_an_unknown_registration_names_line_and_field(app, write_pilot):
    bad = ON_WAIT.replace('role = "secondary"', 'role = "secondary"\n    registration = "later"')
    with pytest.raises(
        LoadError, match=r"\(hypotheses\[2\]\.registration\): 'later' is not one of"
    ):
        load_path(write_pilot(pilot__toml=toml(bad)))
    db.session.rollback()
    assert db.session.scalar(select(Pilot)) is None
