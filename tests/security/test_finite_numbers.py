"""A decimal field typed as "inf", "nan" or "1e999" is refused next to it and nothing is
stored: Python's float() reads each as a number, which no statistic can use.

Each request is the access matrix's valid one (tests/security/calls.py) with one field
changed, so without the refusal it would be saved.
"""

from __future__ import annotations

import pytest

from testbed.extensions import db
from tests.security.calls import Call, deliver, prepare
from tests.security.test_form_input import field_section, text_columns_snapshot

NOT_FINITE = ("inf", "-inf", "nan", "1e999", "Infinity")
DECIMAL_FIELDS = [
    (("pilots.new_hypothesis", "POST"), "alpha"),
    (("pilots.new_hypothesis", "POST"), "minimum_effect"),
    (("pilots.edit_hypothesis", "POST"), "alpha"),
    (("pilots.edit_pilot", "POST"), "pilot_share"),
]


def numeric_columns_snapshot() -> dict[str, list[tuple]]:
    snapshot = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(table.select()).all()
        snapshot[table.name] = sorted(tuple(map(str, row)) for row in rows)
    return snapshot


@pytest.mark.parametrize("value", NOT_FINITE)
@pytest.mark.parametrize(
    ("key", "field"), DECIMAL_FIELDS, ids=[f"{k[0]}-{f}" for k, f in DECIMAL_FIELDS]
)
def test_a_number_that_is_not_finite_is_refused_next_to_its_field(world, key, field, value):
    client, call = prepare(world, key, "innovation", world.people["innovation"])
    data = {**call.data, field: value}
    before = numeric_columns_snapshot()
    response = deliver(client, key[1], Call(call.path, data=data))
    db.session.rollback()
    assert response.status_code in (200, 422)
    section = field_section(response.get_data(as_text=True), field)
    assert "Enter a finite number, such as 0.05 or 12.5." in section
    assert numeric_columns_snapshot() == before


def test_the_same_requests_with_finite_numbers_are_saved(world):
    # The refusal above is the number's doing, not the request's.
    key = ("pilots.new_hypothesis", "POST")
    client, call = prepare(world, key, "innovation", world.people["innovation"])
    before = text_columns_snapshot()
    response = deliver(client, "POST", Call(call.path, data={**call.data, "alpha": "0.01"}))
    db.session.rollback()
    assert response.status_code == 302
    assert text_columns_snapshot() != before
