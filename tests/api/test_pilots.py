"""Pilots over the API: lists in pages, creating, changing with If-Match, and error bodies."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from testbed.audit import AuditEvent
from testbed.auth.models import Department
from testbed.extensions import db
from testbed.pilots.models import Partner, Pilot
from tests.api.conftest import count
from tests.conftest import TEST_DATABASE_URL

PILOTS = "/api/v1/pilots"


def new_pilot(**overrides) -> dict:
    body = {
        "name": "Phone reminders",
        "partner": {"name": "Small Clinic", "segment": "healthcare"},
        "status": "draft",
    }
    return {**body, **overrides}


@pytest.fixture
def innovation(caller):
    return caller("innovation")


def test_a_pilot_reads_with_its_version_as_etag(client, innovation, loaded_pilot):
    response = client.get(f"{PILOTS}/{loaded_pilot.slug}", headers=innovation.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["slug"] == loaded_pilot.slug and body["partner"]["name"] == "Harbour Dental"
    assert body["departments"] == ["Finance", "Operations"]
    assert response.headers["ETag"] == f'"{loaded_pilot.version}"'
    assert body["version"] == loaded_pilot.version
    assert body["created_at"].endswith("Z")
    assert body["links"]["results"] == f"/api/v1/pilots/{loaded_pilot.slug}/results"
    assert "ETag" not in client.get("/api/v1/me", headers=innovation.headers).headers


def test_an_unknown_pilot_is_404_in_json(client, innovation):
    for slug in ("nope", "bad%20slug", "a" * 81):
        response = client.get(f"{PILOTS}/{slug}", headers=innovation.headers)
        assert response.status_code == 404
        assert "no pilot" in response.get_json()["message"]


def test_unknown_addresses_and_methods_answer_in_json(client, innovation):
    for address in ("/api/v1/nothing/here", "/api/v1/pilots/x/metrics/1%0A"):
        missing = client.get(address, headers=innovation.headers)
        assert missing.status_code == 404 and missing.is_json
    wrong = client.delete(PILOTS, headers=innovation.headers)
    assert wrong.status_code == 405 and wrong.is_json
    assert wrong.headers["Allow"] == "GET, POST"
    huge = client.get(f"{PILOTS}/x/metrics/99999999999", headers=innovation.headers)
    assert huge.status_code == 404


def test_the_list_comes_in_pages_with_links(client, innovation, loaded_pilot):
    for n in range(4):
        db.session.add(Pilot(slug=f"p{n}", name=f"Pilot {n}", partner=loaded_pilot.partner))
    db.session.commit()
    first = client.get(f"{PILOTS}?per_page=2", headers=innovation.headers)
    body = first.get_json()
    assert [p["slug"] for p in body["items"]] == ["p0", "p1"]
    assert (body["total"], body["page"], body["per_page"]) == (5, 1, 2)
    assert body["links"]["prev"] is None
    assert body["links"]["next"] == f"{PILOTS}?per_page=2&page=2"
    assert body["links"]["last"] == f"{PILOTS}?per_page=2&page=3"
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    last = client.get(body["links"]["last"], headers=innovation.headers).get_json()
    assert [p["slug"] for p in last["items"]] == ["reminders"]
    assert last["links"]["next"] is None
    assert last["links"]["prev"] == f"{PILOTS}?per_page=2&page=2"
    beyond = client.get(f"{PILOTS}?page=9&per_page=2", headers=innovation.headers).get_json()
    assert beyond["items"] == [] and beyond["links"]["prev"] == f"{PILOTS}?page=3&per_page=2"


def test_the_list_filters_by_status(client, innovation, loaded_pilot):
    active = client.get(f"{PILOTS}?status=active", headers=innovation.headers).get_json()
    draft = client.get(f"{PILOTS}?status=draft", headers=innovation.headers).get_json()
    assert active["total"] == 1 and draft["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("per_page=201", "per_page"),
        ("page=x", "page"),
        ("status=odd", "status"),
    ],
)
def test_bad_paging_is_422_naming_the_parameter(client, innovation, query, field):
    response = client.get(f"{PILOTS}?{query}", headers=innovation.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


def test_creating_a_pilot(client, innovation, loaded_pilot):
    response = client.post(
        PILOTS,
        headers=innovation.headers,
        json=new_pilot(departments=["operations"], start_date="2025-02-03"),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["slug"] == "phone-reminders" and body["partner"]["segment"] == "healthcare"
    assert body["departments"] == ["Operations"] and body["start_date"] == "2025-02-03"
    assert response.headers["Location"] == f"{PILOTS}/phone-reminders"
    assert response.headers["ETag"] == f'"{body["version"]}"'
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "pilot").order_by(AuditEvent.id.desc())
    )
    assert event.user_id == innovation.user.id and "Small Clinic" in event.summary


def test_a_new_pilot_reuses_a_known_partner(client, innovation, loaded_pilot):
    response = client.post(
        PILOTS, headers=innovation.headers, json=new_pilot(partner={"name": "harbour dental"})
    )
    assert response.get_json()["partner"]["name"] == "Harbour Dental"
    assert count(Partner) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (new_pilot(name=""), "name"),
        ({"partner": {"name": "X"}}, "name"),
        (new_pilot(status="scaled"), "status"),
        (new_pilot(slug="has space"), "slug"),
        (new_pilot(start_date="31/01/2025"), "start_date"),
        (new_pilot(colour="blue"), "colour"),
        (new_pilot(name="x\u0000y"), "name"),
        (new_pilot(departments=["Nowhere"]), "departments"),
        (new_pilot(end_date="2024-01-01", start_date="2025-01-01"), "end_date"),
        (new_pilot(partner={"name": "Big Co", "key_account": True}), "key_account_reason"),
        (new_pilot(slug="reminders"), "slug"),
    ],
)
def test_a_bad_pilot_is_422_naming_the_field(client, innovation, loaded_pilot, body, field):
    response = client.post(PILOTS, headers=innovation.headers, json=body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in [e["field"] for e in errors], errors
    assert count(Pilot) == 1


def test_a_body_that_is_not_json_is_400_or_415(client, innovation):
    broken = client.post(
        PILOTS, headers=innovation.headers, data="{", content_type="application/json"
    )
    assert broken.status_code == 400 and "not valid JSON" in broken.get_json()["message"]
    form = client.post(PILOTS, headers=innovation.headers, data={"name": "x"})
    assert form.status_code == 415
    numbers = client.post(
        PILOTS, headers=innovation.headers, data='{"name": NaN}', content_type="application/json"
    )
    assert numbers.status_code in (400, 422)


def patch(client, caller, pilot, body, if_match):
    headers = {**caller.headers, **({"If-Match": if_match} if if_match is not None else {})}
    return client.patch(f"{PILOTS}/{pilot.slug}", headers=headers, json=body)


def test_changing_a_pilot_needs_its_current_version(client, innovation, loaded_pilot):
    version = loaded_pilot.version
    missing = patch(client, innovation, loaded_pilot, {"summary": "New"}, None)
    assert missing.status_code == 428
    stale = patch(client, innovation, loaded_pilot, {"summary": "New"}, f'"{version - 1}"')
    assert stale.status_code == 409 and "someone else" in stale.get_json()["message"]
    malformed = patch(client, innovation, loaded_pilot, {"summary": "New"}, "yesterday")
    assert malformed.status_code == 400
    assert db.session.get(Pilot, loaded_pilot.id).summary == ""
    response = patch(client, innovation, loaded_pilot, {"summary": "New"}, f'"{version}"')
    assert response.status_code == 200
    assert response.get_json()["summary"] == "New"
    assert response.headers["ETag"] == f'"{version + 1}"'
    again = patch(client, innovation, loaded_pilot, {"summary": "Newer"}, f'"{version}"')
    assert again.status_code == 409
    assert db.session.get(Pilot, loaded_pilot.id).summary == "New"


def test_a_change_keeps_the_fields_not_sent(client, innovation, loaded_pilot):
    response = patch(
        client,
        innovation,
        loaded_pilot,
        {"status": "paused", "end_date": "2025-06-30", "departments": []},
        f'W/"{loaded_pilot.version}"',
    )
    body = response.get_json()
    assert (body["status"], body["end_date"], body["departments"]) == ("paused", "2025-06-30", [])
    assert body["name"] == "Reminder pilot" and body["start_date"] == "2025-01-06"
    cleared = patch(client, innovation, loaded_pilot, {"end_date": None}, "*").get_json()
    assert cleared["end_date"] is None and cleared["status"] == "paused"
    assert db.session.scalar(select(Department).where(Department.name == "Finance")) is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "draft"}, "status"),
        ({"name": None}, "name"),
        ({"departments": None}, "departments"),
        ({"end_date": "2024-01-01"}, "end_date"),
        ({"slug": "new-address"}, "slug"),
    ],
)
def test_a_bad_change_is_422_and_changes_nothing(client, innovation, loaded_pilot, body, field):
    response = patch(client, innovation, loaded_pilot, body, "*")
    assert response.status_code == 422
    assert field in [e["field"] for e in response.get_json()["errors"]]
    pilot = db.session.get(Pilot, loaded_pilot.id)
    assert (pilot.status, pilot.name, pilot.end_date) == ("active", "Reminder pilot", None)


@pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="SQLite: a writing request holds the whole database (BEGIN IMMEDIATE)",
)
def test_a_writing_request_holds_the_pilot_until_it_commits(
    client, innovation, loaded_pilot, monkeypatch
):
    from testbed.api import services

    original = services.pilots.update_pilot
    refused = []

    def someone_else_meanwhile(pilot, fields, *, by):
        # Another connection tries to change the pilot after this request read it.
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SET lock_timeout = '200ms'")
            try:
                connection.execute(
                    Pilot.__table__.update()
                    .where(Pilot.id == pilot.id)
                    .values(version=Pilot.version + 1, summary="Theirs")
                )
            except OperationalError as error:
                refused.append(error)
            connection.rollback()
        return original(pilot, fields, by=by)

    monkeypatch.setattr(services.pilots, "update_pilot", someone_else_meanwhile)
    response = patch(client, innovation, loaded_pilot, {"summary": "Mine"}, "*")
    assert response.status_code == 200
    assert len(refused) == 1 and "lock" in str(refused[0]).lower()
    db.session.expire_all()
    assert db.session.get(Pilot, loaded_pilot.id).summary == "Mine"
