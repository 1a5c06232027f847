"""The API of one's own notifications and watches: nobody else's is listed, marked or found."""

from __future__ import annotations

from testbed.api.auth import create_token
from testbed.extensions import db
from testbed.notify import services as notify


def bearer(user) -> dict:
    _, token = create_token(user, "script")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def status_event(pilot, *recipients):
    event = notify.record_event(
        "pilot_status", pilot=pilot, title="paused", link="/", recipients=recipients
    )
    db.session.commit()
    return event


def test_the_api_lists_and_marks_only_ones_own_notifications(client, loaded_pilot, person):
    mine = person("department_head", "head@example.org", "Sales")
    theirs = person("finance", "fiona@example.org")
    status_event(loaded_pilot, mine)
    status_event(loaded_pilot, mine, theirs)
    headers = bearer(mine)
    listed = client.get("/api/v1/notifications", headers=headers).get_json()
    assert listed["total"] == 2
    assert {item["pilot"] for item in listed["items"]} == {loaded_pilot.slug}
    others = notify.inbox(theirs)
    assert len(others) == 1
    refused = client.post(f"/api/v1/notifications/{others[0].id}/read", headers=headers)
    assert refused.status_code == 404
    first = listed["items"][0]["id"]
    marked = client.post(f"/api/v1/notifications/{first}/read", headers=headers).get_json()
    assert marked["read_at"] is not None
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert [item["id"] for item in unread["items"]] == [listed["items"][1]["id"]]
    assert client.post("/api/v1/notifications/read", headers=headers).get_json() == {"marked": 1}
    db.session.expire_all()
    assert notify.inbox(theirs)[0].read_at is None


def test_the_api_adds_lists_and_removes_watches(client, loaded_pilot, person):
    head = person("department_head", "head@example.org", "Sales")
    headers = bearer(head)
    address = f"/api/v1/pilots/{loaded_pilot.slug}/watch"
    added = client.post(address, headers=headers)
    assert added.status_code == 201 and added.get_json()["watching"] is True
    assert client.post(address, headers=headers).status_code == 200
    listed = client.get("/api/v1/watches", headers=headers).get_json()
    assert [item["pilot"] for item in listed["items"]] == [loaded_pilot.slug]
    removed = client.delete(address, headers=headers)
    assert removed.status_code == 200 and removed.get_json()["watching"] is False
    assert client.delete(address, headers=headers).status_code == 404
    assert client.get("/api/v1/watches", headers=headers).get_json()["total"] == 0


def test_the_inbox_page_shows_only_ones_own_items(client, login, loaded_pilot, person):
    other = person("finance", "fiona@example.org")
    me = login("department_head")
    status_event(loaded_pilot, other)
    notify.record_event(
        "pilot_status", pilot=loaded_pilot, title="Mine to read", link="/", recipients=[me]
    )
    db.session.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert "Mine to read" in page and "paused" not in page
    theirs = notify.inbox(other)[0]
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
