"""The idea box in the API: list, read, give, and a month's campaign."""

from __future__ import annotations

from sqlalchemy import select

from testbed.auth.services import department_named
from testbed.extensions import db
from testbed.ideas import services
from testbed.ideas.models import Idea


def test_an_idea_given_through_the_api_counts_for_this_month(client, caller):
    sales = caller("department_head", department=department_named("Sales"))
    response = client.post(
        "/api/v1/ideas", json={"title": "Label parcels", "text": "With the depot."},
        headers=sales.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.json
    idea = db.session.scalar(select(Idea))
    assert response.headers["Location"] == f"/api/v1/ideas/{idea.id}"
    body = response.json
    assert (body["status"], body["department"], body["votes"]) == ("submitted", "Sales", 0)
    assert body["campaign"] == services.current_campaign()
    assert client.get(f"/api/v1/ideas/{idea.id}", headers=sales.headers).json == body


def test_an_idea_with_an_unknown_field_or_no_title_is_refused_and_nothing_kept(client, caller):
    someone = caller("finance")
    for body in ({"title": "", "text": "x"}, {"title": "A", "text": "x", "status": "piloted"}):
        response = client.post("/api/v1/ideas", json=body, headers=someone.headers)
        assert response.status_code == 422, body
    assert db.session.scalar(select(Idea)) is None


def test_ideas_are_listed_by_campaign_and_status(client, caller):
    reader = caller("innovation")
    first = services.submit_idea("First", "Text", author=reader.user)
    second = services.submit_idea("Second", "Text", author=reader.user)
    services.move(second, "declined", by=reader.user, reason="No")
    first.campaign = "2026-01"
    db.session.commit()
    every = client.get("/api/v1/ideas", headers=reader.headers).json
    assert [item["title"] for item in every["items"]] == ["Second", "First"]
    january = client.get("/api/v1/ideas?campaign=2026-01", headers=reader.headers).json
    assert [item["title"] for item in january["items"]] == ["First"]
    declined = client.get("/api/v1/ideas?status=declined", headers=reader.headers).json
    assert [(item["title"], item["reason"]) for item in declined["items"]] == [("Second", "No")]


def test_a_campaign_gives_each_departments_share(client, caller):
    sales = department_named("Sales")
    author = caller("department_head", email="a@example.org", department=sales)
    caller("finance", email="b@example.org", department=sales)
    idea = services.submit_idea("First", "Text", author=author.user)
    db.session.commit()
    body = client.get(f"/api/v1/ideas/campaigns/{idea.campaign}", headers=author.headers).json
    rows = {row["department"]: row for row in body["departments"]}
    assert (rows["Sales"]["people"], rows["Sales"]["contributors"]) == (2, 1)
    assert rows["Sales"]["share"] == 0.5
    assert rows["Sales"]["statuses"]["submitted"] == 1
    assert body["company"]["ideas"] == 1


def test_a_campaign_that_is_no_month_is_not_found(client, caller):
    reader = caller("innovation")
    response = client.get("/api/v1/ideas/campaigns/2026-13", headers=reader.headers)
    assert response.status_code == 404
    assert "write it as 2026-03" in response.json["message"]
