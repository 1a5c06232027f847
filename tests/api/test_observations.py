"""Pushing observations: all or nothing, every bad cell named, and a retried push stored once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from testbed.audit import AuditEvent
from testbed.extensions import db
from testbed.store.models import ImportBatch, Observation
from tests.api.conftest import count

GOOD = "metric,group,value,date\nwait,pilot,9.5,2025-03-01\nwait,baseline,12,2025-03-01\n"
# Line 3 has a bad value (column 3), line 4 a bad group (column 2) and an unknown iteration.
BAD = "metric,group,value,iteration\nwait,pilot,9.5,1\nwait,pilot,soon,1\nfta,control,1,9\n"


@pytest.fixture
def pusher(caller):
    return caller("innovation")


def push(client, pilot, caller, body, key=None, media="text/csv"):
    headers = {**caller.headers, **({"Idempotency-Key": key} if key else {})}
    address = f"/api/v1/pilots/{pilot.slug}/observations"
    if media == "application/json":
        return client.post(address, headers=headers, json=body)
    return client.post(address, headers=headers, data=body, content_type=media)


def stored() -> tuple[int, int]:
    return count(ImportBatch), count(Observation)


def test_a_csv_push_is_stored_as_one_batch(client, pusher, loaded_pilot):
    before = stored()
    response = push(client, loaded_pilot, pusher, GOOD, key="2025-03-01")
    assert response.status_code == 201
    body = response.get_json()
    assert (body["origin"], body["rows"], body["idempotency_key"]) == ("api", 2, "2025-03-01")
    assert body["source"] == "API push with token 'innovation system'"
    assert stored() == (before[0] + 1, before[1] + 2)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "observations"))
    assert event.user_id == pusher.user.id and event.summary.startswith("2 rows")
    batches = client.get(f"/api/v1/pilots/{loaded_pilot.slug}/batches", headers=pusher.headers)
    assert batches.get_json()["items"][-1] == body
    one = client.get(
        f"/api/v1/pilots/{loaded_pilot.slug}/batches/{body['id']}", headers=pusher.headers
    )
    assert one.get_json() == body


def test_the_same_push_twice_with_its_key_is_stored_once(client, pusher, loaded_pilot):
    before = stored()
    first = push(client, loaded_pilot, pusher, GOOD, key="job-42")
    again = push(client, loaded_pilot, pusher, GOOD, key="job-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert stored() == (before[0] + 1, before[1] + 2)


def test_a_used_key_with_another_body_is_refused(client, pusher, loaded_pilot):
    push(client, loaded_pilot, pusher, GOOD, key="job-42")
    before = stored()
    other = GOOD.replace("9.5", "8.5")
    response = push(client, loaded_pilot, pusher, other, key="job-42")
    assert response.status_code == 422
    assert "Idempotency-Key 'job-42' was used for another body" in response.get_json()["message"]
    assert stored() == before


def test_the_same_body_without_its_key_is_refused_as_a_duplicate(client, pusher, loaded_pilot):
    push(client, loaded_pilot, pusher, GOOD, key="job-42")
    before = stored()
    for key in (None, "job-43"):
        response = push(client, loaded_pilot, pusher, GOOD, key=key)
        assert response.status_code == 409
        assert "twice" in response.get_json()["message"]
    assert stored() == before


def test_one_bad_cell_stores_nothing_and_every_problem_is_named(client, pusher, loaded_pilot):
    before = stored()
    response = push(client, loaded_pilot, pusher, BAD, key="bad")
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"][0] == {
        "message": "'soon' is not a number",
        "field": "value",
        "line": 3,
        "column": 3,
    }
    assert [(e["line"], e["column"], e["field"]) for e in body["errors"][1:]] == [
        (4, 2, "group"),
        (4, 4, "iteration"),
    ]
    assert body["message"].startswith("nothing was stored: 3 problems, the first at line 3")
    assert stored() == before
    # The key was not used up: the corrected batch goes through with it.
    fixed = BAD.replace("soon", "10").replace("control,1,9", "baseline,1,1")
    assert push(client, loaded_pilot, pusher, fixed, key="bad").status_code == 201


def test_errors_are_capped_but_counted(client, pusher, loaded_pilot):
    rows = "".join("wait,pilot,x\n" for _ in range(80))
    response = push(client, loaded_pilot, pusher, "metric,group,value\n" + rows)
    body = response.get_json()
    assert len(body["errors"]) == 50 and "80 problems" in body["message"]


@pytest.mark.parametrize(
    ("body", "line", "field"),
    [
        ("metric,group,colour\nwait,pilot,red\n", 1, "colour"),
        ("metric,group\nwait,pilot\n", 1, "value"),
        ("metric,group,value\nwait,pilot\n", 2, None),
        ("metric,group,value,unit\nwait,pilot,1," + "u" * 121 + "\n", 2, "unit"),
    ],
)
def test_header_and_row_shape_problems_are_422(client, pusher, loaded_pilot, body, line, field):
    response = push(client, loaded_pilot, pusher, body)
    assert response.status_code == 422
    error = response.get_json()["errors"][0]
    assert (error["line"], error.get("field")) == (line, field)


def test_an_empty_or_unreadable_body_is_422(client, pusher, loaded_pilot):
    assert push(client, loaded_pilot, pusher, "metric,group,value\n").status_code == 422
    assert push(client, loaded_pilot, pusher, "").status_code == 422
    latin = "metric,group,value,unit\nwait,pilot,1,caf\xe9\n".encode("latin-1")
    response = push(client, loaded_pilot, pusher, latin)
    assert response.status_code == 422 and response.get_json()["errors"][0]["line"] == 2
    nul = push(client, loaded_pilot, pusher, "metric,group,value\nwait,pilot,1\x00\n")
    assert nul.status_code == 422
    assert push(client, loaded_pilot, pusher, GOOD, media="text/plain").status_code == 415
    assert stored()[1] == 8


def test_a_json_array_push(client, pusher, loaded_pilot):
    rows = [
        {"metric": "fta", "group": "pilot", "value": 0, "date": "2025-03-01", "iteration": 1},
        {"metric": "wait", "group": "baseline", "value": 11.25, "unit": "Clinic A, room 2"},
    ]
    response = push(client, loaded_pilot, pusher, rows, key="json-1", media="application/json")
    assert response.status_code == 201 and response.get_json()["rows"] == 2
    units = db.session.scalars(select(Observation.unit).where(Observation.unit.is_not(None)))
    assert list(units) == ["Clinic A, room 2"]
    again = push(client, loaded_pilot, pusher, rows, key="json-1", media="application/json")
    assert again.status_code == 200 and stored()[1] == 10


@pytest.mark.parametrize(
    ("rows", "index", "field"),
    [
        ([{"metric": "wait", "group": "pilot", "value": 1}, {"metric": "wait"}], 1, "group"),
        ([{"metric": "wait", "group": "pilot", "value": "1"}], 0, "value"),
        ([{"metric": "wait", "group": "pilot", "value": 1, "colour": "red"}], 0, "colour"),
        (
            [
                {"metric": "fta", "group": "pilot", "value": 1},
                {"metric": "fta", "group": "pilot", "value": 2},
            ],
            1,
            "value",
        ),
        ([{"metric": "speed", "group": "pilot", "value": 1}], 0, "metric"),
    ],
)
def test_a_bad_json_item_is_named_by_its_index(client, pusher, loaded_pilot, rows, index, field):
    response = push(client, loaded_pilot, pusher, rows, media="application/json")
    assert response.status_code == 422
    error = response.get_json()["errors"][0]
    assert (error["index"], error["field"]) == (index, field)
    assert "line" not in error
    assert stored()[1] == 8


def test_an_empty_json_array_is_422(client, pusher, loaded_pilot):
    response = push(client, loaded_pilot, pusher, [], media="application/json")
    assert response.status_code == 422 and "no observations" in response.get_json()["message"]


@pytest.mark.parametrize("key", ["x" * 256, "two words", "caf\u00e9"])
def test_a_bad_idempotency_key_is_400(client, pusher, loaded_pilot, key):
    headers = {**pusher.headers, "Idempotency-Key": key}
    response = client.post(
        f"/api/v1/pilots/{loaded_pilot.slug}/observations",
        headers=headers,
        data=GOOD,
        content_type="text/csv",
    )
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"
