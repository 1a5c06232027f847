"""Administration over HTTP: accounts, deactivation, the last admin, departments, access."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from testbed.audit import AuditEvent
from testbed.auth.models import Department, User
from testbed.auth.services import find_user
from testbed.extensions import db

ROLES = ("innovation", "department_head", "finance", "admin")
NEW_USER = {
    "email": "Dana@Example.org",
    "name": "Dana",
    "role": "department_head",
    "department": "0",
    "password": "first password",
}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def in_own_context(app, request):
    """Run a second person's request in its own app context: the test's context (and the
    signed-in user cached in its ``g``) belongs to the admin's client."""
    with app.app_context():
        return request()


def signs_in(app, email: str, password: str) -> bool:
    other = app.test_client()
    in_own_context(app, lambda: other.post("/login", data={"email": email, "password": password}))
    return in_own_context(app, lambda: other.get("/")).status_code == 200


def test_an_admin_creates_an_account_that_can_sign_in(app, client, login):
    login("admin")
    sales = Department(name="Sales")
    db.session.add(sales)
    db.session.commit()
    response = client.post("/admin/users", data=NEW_USER | {"department": str(sales.id)})

    assert response.status_code == 302
    dana = find_user("dana@example.org")
    assert (dana.name, dana.role, dana.department.name) == ("Dana", "department_head", "Sales")
    assert signs_in(app, "dana@example.org", "first password")
    assert "dana@example.org" in client.get("/admin/users").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "user"))
    assert (event.action, event.pilot_id, event.actor) == ("created", None, "admin@example.org")


def test_a_short_password_or_taken_email_is_refused_next_to_the_field(client, login):
    login("admin")
    short = client.post("/admin/users", data=NEW_USER | {"password": "seven77"})
    assert short.status_code == 422
    assert 'id="password-error">Use 8 to 128 characters.' in text_of(short)

    taken = client.post("/admin/users", data=NEW_USER | {"email": "ADMIN@example.org"})
    assert taken.status_code == 422
    assert 'id="email-error">An account with this e-mail exists already.' in text_of(taken)
    assert find_user("dana@example.org") is None


def test_a_deactivated_user_cannot_sign_in_and_is_signed_out(app, client, login):
    login("admin")
    client.post("/admin/users", data=NEW_USER)
    dana = find_user("dana@example.org")
    dana_client = app.test_client()
    credentials = {"email": "dana@example.org", "password": "first password"}
    in_own_context(app, lambda: dana_client.post("/login", data=credentials))
    assert in_own_context(app, lambda: dana_client.get("/")).status_code == 200

    response = client.post(f"/admin/users/{dana.id}/deactivate")

    assert response.status_code == 302
    assert in_own_context(app, lambda: dana_client.get("/")).status_code == 302
    assert not signs_in(app, "dana@example.org", "first password")
    assert "deactivated" in client.get("/admin/users").get_data(as_text=True)

    client.post(f"/admin/users/{dana.id}/reactivate")
    assert signs_in(app, "dana@example.org", "first password")
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == dana.id).order_by(AuditEvent.id)
    ).all()
    assert actions == ["created", "deactivated", "reactivated"]


def test_the_last_admin_cannot_deactivate_themself(client, login):
    admin = login("admin")
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)

    assert "Cannot deactivate admin@example.org: they are the last active admin" in text_of(
        response
    )
    db.session.refresh(admin)
    assert admin.active
    assert client.get("/admin/users").status_code == 200


def test_the_last_admin_cannot_demote_themself(client, login):
    admin = login("admin")
    response = client.post(
        f"/admin/users/{admin.id}", data={"name": "Ada", "role": "finance", "department": "0"}
    )

    assert response.status_code == 422
    assert 'id="role-error">Cannot change the role of admin@example.org' in text_of(response)
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_an_admin_may_hand_over_and_step_down(client, login):
    admin = login("admin")
    client.post("/admin/users", data=NEW_USER | {"role": "admin"})
    response = client.post(
        f"/admin/users/{admin.id}", data={"name": "Ada", "role": "finance", "department": "0"}
    )
    assert response.status_code == 302
    db.session.refresh(admin)
    assert admin.role == "finance"
    assert client.get("/admin/users").status_code == 403


def test_a_reset_password_works_and_the_old_one_stops(app, client, login):
    login("admin")
    client.post("/admin/users", data=NEW_USER)
    dana = find_user("dana@example.org")
    mismatch = client.post(
        f"/admin/users/{dana.id}/password",
        data={"password": "second password", "confirm": "second passwrod"},
    )
    assert mismatch.status_code == 422
    assert 'id="confirm-error">The two passwords differ.' in text_of(mismatch)

    response = client.post(
        f"/admin/users/{dana.id}/password",
        data={"password": "second password", "confirm": "second password"},
    )
    assert response.status_code == 302
    assert not signs_in(app, "dana@example.org", "first password")
    assert signs_in(app, "dana@example.org", "second password")


def test_departments_are_created_and_renamed_with_unique_names(client, login):
    login("admin")
    assert client.post("/admin/departments", data={"name": "Sales"}).status_code == 302
    duplicate = client.post("/admin/departments", data={"name": " sales"})
    assert duplicate.status_code == 422
    assert 'id="name-error">A department of this name exists already.' in text_of(duplicate)

    sales = db.session.scalar(select(Department))
    response = client.post(f"/admin/departments/{sales.id}", data={"name": "Sales and service"})
    assert response.status_code == 302
    db.session.refresh(sales)
    assert sales.name == "Sales and service"
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "department").order_by(AuditEvent.id)
    ).all()
    assert actions == ["created", "renamed"]


ADMIN_PAGES = (
    "/admin/users",
    "/admin/users/{user}",
    "/admin/departments",
    "/admin/departments/{department}",
)
ADMIN_ACTIONS = (
    "/admin/users/{user}/deactivate",
    "/admin/users/{user}/reactivate",
    "/admin/users/{user}/password",
)


@pytest.fixture
def ids(app):
    department = Department(name="Sales")
    user = User(email="someone@example.org", role="innovation", password_hash="x")
    db.session.add_all([department, user])
    db.session.commit()
    return {"user": user.id, "department": department.id}


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_open_the_admin_pages(client, login, ids, role):
    login(role)
    statuses = {page: client.get(page.format(**ids)).status_code for page in ADMIN_PAGES}
    assert statuses == {page: 200 if role == "admin" else 403 for page in ADMIN_PAGES}


@pytest.mark.parametrize("role", ("innovation", "department_head", "finance"))
def test_others_cannot_change_accounts(client, login, ids, role):
    login(role)
    statuses = [client.post(action.format(**ids)).status_code for action in ADMIN_ACTIONS]
    statuses += [
        client.post(page.format(**ids), data={"name": "X"}).status_code for page in ADMIN_PAGES
    ]
    assert set(statuses) == {403}
    someone = db.session.get(User, ids["user"])
    assert someone.active and db.session.get(Department, ids["department"]).name == "Sales"


def test_nobody_signed_in_is_sent_to_sign_in(client, ids):
    responses = [client.get(page.format(**ids)) for page in ADMIN_PAGES]
    responses += [client.post(action.format(**ids)) for action in ADMIN_ACTIONS]
    assert {r.status_code for r in responses} == {302}
    assert all(r.headers["Location"].startswith("/login") for r in responses)
