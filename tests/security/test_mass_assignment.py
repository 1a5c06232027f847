"""Fields a person may not set stay as they were, whatever a request adds to a form or body.

Pages ignore fields their form does not have (the form names what is read); the API refuses
any field its schema does not name with 422, and nothing is stored.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from testbed.api.models import ApiToken
from testbed.auth.models import User
from testbed.extensions import db
from testbed.pilots.models import Pilot
from testbed.suggestions.models import Suggestion, SuggestionComment
from tests.security.world import PASSWORD, World, row_counts, signed_in

NOT_ADMINS = ("innovation", "department_head", "finance")
# What an attacker would like to set on their own account.
PROMOTION = {"role": "admin", "active": "y", "department": "1", "user_id": "1", "id": "1"}


def account(user: User) -> tuple:
    db.session.expire_all()
    return user.id, user.email, user.role, user.active, user.department_id


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_a_person_cannot_promote_themselves_through_their_own_forms(world, role):
    me = world.people[role]
    before = account(me)
    browser = signed_in(world.app, me)
    made = browser.post("/account/tokens", data={"name": "my script", **PROMOTION})
    assert made.status_code == 200
    changed = browser.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "another long password",
            "confirm": "another long password",
            **PROMOTION,
        },
    )
    assert changed.status_code == 302
    assert account(me) == before
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "my script"))
    assert token.user_id == me.id


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_only_an_admin_reaches_the_account_fields(world, role):
    me = world.people[role]
    before, rows = account(me), row_counts()
    browser = signed_in(world.app, me)
    promoted = browser.post(f"/admin/users/{me.id}", data={"name": "Boss", "role": "admin"})
    created = browser.post(
        "/admin/users",
        data={"email": "mine@example.org", "role": "admin", "password": "another long password"},
    )
    assert (promoted.status_code, created.status_code) == (403, 403)
    assert account(me) == before
    assert {k: v for k, v in row_counts().items() if k != "user_session"} == {
        k: v for k, v in rows.items() if k != "user_session"
    }


def test_the_admin_form_changes_only_name_role_and_department(world):
    person = world.account()
    before = (person.id, person.email, person.active, person.password_hash, person.created_at)
    admin = signed_in(world.app, world.people["admin"])
    response = admin.post(
        f"/admin/users/{person.id}",
        data={
            "name": "Renamed",
            "role": "finance",
            "department": "0",
            "email": "taken-over@example.org",
            "active": "",
            "password_hash": "!",
            "id": "999",
            "created_at": "2000-01-01",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (person.name, person.role) == ("Renamed", "finance")
    assert (person.id, person.email, person.active, person.password_hash, person.created_at) == (
        before
    )


def test_a_new_account_is_active_with_an_id_of_its_own(world):
    admin = signed_in(world.app, world.people["admin"])
    response = admin.post(
        "/admin/users",
        data={
            "email": "new@example.org",
            "role": "finance",
            "department": "0",
            "password": "another long password",
            "active": "",
            "id": "999",
        },
    )
    assert response.status_code == 302
    made = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert made.active and made.id != 999


def test_a_suggestion_and_a_comment_are_new_and_by_whoever_sent_them(world):
    head = world.people["department_head"]
    browser = signed_in(world.app, head)
    sent = browser.post(
        f"/pilots/{world.slug}/suggestions",
        data={
            "text": "Call the day before.",
            "department": "0",
            "status": "accepted",
            "author": "The CEO",
            "author_id": str(world.people["admin"].id),
            "pilot_id": "999",
        },
    )
    assert sent.status_code == 302
    suggestion = db.session.scalar(select(Suggestion).where(Suggestion.text.startswith("Call")))
    assert (suggestion.status, suggestion.author_id, suggestion.author) == (
        "new",
        head.id,
        head.name,
    )
    assert suggestion.pilot_id == world.pilot.id
    commented = browser.post(
        f"/pilots/{world.slug}/suggestions/{suggestion.id}/comments",
        data={"text": "Agreed.", "user_id": str(world.people["admin"].id), "author": "CEO"},
    )
    assert commented.status_code == 302
    comment = db.session.scalar(select(SuggestionComment))
    assert comment.user_id == head.id


def test_editing_a_pilot_cannot_change_its_address_or_identity(world):
    browser = signed_in(world.app, world.people["innovation"])
    pilot = world.pilot
    before = (pilot.id, pilot.slug, pilot.created_at)
    response = browser.post(
        f"/pilots/{world.slug}/edit",
        data={
            "version": world.version,
            "name": "Renamed pilot",
            "partner": str(pilot.partner_id),
            "status": pilot.status,
            "slug": "taken-over",
            "id": "999",
            "created_at": "2000-01-01",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert pilot.name == "Renamed pilot"
    assert (pilot.id, pilot.slug, pilot.created_at) == before


# The API: each body below is valid but for the one field a caller may not set.

API_BODIES = [
    ("PATCH", "", {"id": 999}, "id"),
    ("PATCH", "", {"version": 99}, "version"),
    ("PATCH", "", {"created_at": "2000-01-01T00:00:00Z"}, "created_at"),
    ("PATCH", "", {"slug": "other"}, "slug"),
    ("PATCH", "", {"role": "admin"}, "role"),
    ("PATCH", "", {"partner": {"name": "Harbour Dental", "id": 2}}, "partner.id"),
    (
        "POST",
        "/metrics",
        {"key": "calls", "name": "Calls", "kind": "mean", "direction": "increase", "pilot_id": 2},
        "pilot_id",
    ),
    (
        "POST",
        "/hypotheses",
        {"statement": "x", "metric": "wait", "role": "secondary", "locked_at": None},
        "locked_at",
    ),
    ("POST", "/iterations", {"title": "Next", "id": 1}, "id"),
    ("POST", "/suggestions", {"text": "Call the day before.", "status": "accepted"}, "status"),
    ("POST", "/suggestions", {"text": "Call the day before.", "author": "The CEO"}, "author"),
    (
        "POST",
        "/suggestions/{suggestion}/moves",
        {"status": "under_review", "actor": "CEO"},
        "actor",
    ),
    (
        "POST",
        "/observations",
        [{"metric": "wait", "group": "pilot", "value": 1, "batch": 1}],
        "batch",
    ),
]


def api_call(w: World, method: str, rest: str, body, role: str = "admin"):
    headers = {"Authorization": f"Bearer {w.tokens[role]}", "If-Match": f'"{w.version}"'}
    client = signed_in(w.app, None)
    return client.open(f"/api/v1/pilots/{w.slug}{rest}", method=method, headers=headers, json=body)


def stored(w: World) -> dict:
    db.session.expire_all()
    pilot = w.pilot
    return {
        "pilot": (pilot.id, pilot.slug, pilot.version, pilot.created_at),
        "rows": {k: v for k, v in row_counts().items() if k != "api_token"},
    }


@pytest.mark.parametrize(("method", "rest", "body", "field"), API_BODIES)
def test_the_api_refuses_fields_a_caller_may_not_set(world, method, rest, body, field):
    rest = rest.format(suggestion=world.suggestion().id if "{" in rest else None)
    before = stored(world)
    response = api_call(world, method, rest, body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json["errors"]] == [field]
    assert stored(world) == before


def test_a_new_pilot_cannot_take_another_pilots_address(world):
    client = signed_in(world.app, None)
    body = {"name": "Copy", "partner": {"name": "Harbour Dental"}, "slug": world.slug}
    response = client.post(
        "/api/v1/pilots", headers={"Authorization": f"Bearer {world.tokens['admin']}"}, json=body
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "slug"
    assert db.session.scalars(select(Pilot.name)).all() == ["Reminder pilot"]


def test_an_idea_is_submitted_this_month_and_by_whoever_sent_it(world):
    from testbed.ideas.models import Idea
    from testbed.ideas.services import current_campaign

    staff = world.people["staff"]
    sent = signed_in(world.app, staff).post(
        "/ideas",
        data={
            "title": "Label parcels",
            "text": "With the depot's number.",
            "status": "piloted",
            "author_id": str(world.people["admin"].id),
            "campaign": "2020-01",
            "pilot_id": str(world.pilot.id),
            "department_id": str(world.department().id),
        },
    )
    assert sent.status_code == 302
    idea = db.session.scalar(select(Idea).where(Idea.title == "Label parcels"))
    assert (idea.status, idea.author_id, idea.campaign) == (
        "submitted",
        staff.id,
        current_campaign(),
    )
    assert (idea.pilot_id, idea.department_id) == (None, staff.department_id)


@pytest.mark.parametrize("field", ["status", "author", "campaign", "pilot", "votes"])
def test_the_api_refuses_idea_fields_a_caller_may_not_set(world, field):
    before = stored(world)
    client = signed_in(world.app, None)
    response = client.post(
        "/api/v1/ideas",
        headers={"Authorization": f"Bearer {world.tokens['innovation']}"},
        json={"title": "Label parcels", "text": "With the number.", field: "x"},
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json["errors"]] == [field]
    assert stored(world) == before
