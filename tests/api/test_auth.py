"""API tokens: how they are kept, and who gets 401, 403 and 404 on every operation."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from testbed.api.auth import create_token, revoke_token, token_of, tokens_of
from testbed.api.endpoint import OPERATIONS
from testbed.api.models import ApiToken
from testbed.api.views import blueprint  # noqa: F401  (declaring the views registers them)
from testbed.audit import AuditEvent
from testbed.auth.access import PERMISSIONS
from testbed.auth.models import ROLES, User
from testbed.extensions import db
from testbed.pilots.models import Hypothesis

ME = "/api/v1/me"


def user(role="innovation"):
    person = User(email=f"{role}@example.org", role=role, password_hash="!")
    db.session.add(person)
    return person


def test_a_token_is_kept_only_as_its_digest(app):
    owner = user()
    token, text = create_token(owner, "nightly push")
    db.session.commit()
    assert text.startswith("tb_") and len(text) > 40
    assert token.token_hash == hashlib.sha256(text.encode()).hexdigest()
    assert text not in {token.token_hash, token.prefix, token.name}
    assert text.startswith(token.prefix)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "API token"))
    assert event.action == "created" and text not in event.summary


def test_every_token_is_different(app):
    owner = user()
    texts = {create_token(owner, f"system {n}")[1] for n in range(5)}
    assert len(texts) == 5


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_a_token_needs_a_short_name(app, name):
    with pytest.raises(ValueError):
        create_token(user(), name)


def test_people_see_and_revoke_only_their_own_tokens(app):
    owner, stranger = user(), user("finance")
    token, _ = create_token(owner, "push")
    create_token(stranger, "model")
    assert [t.name for t in tokens_of(owner)] == ["push"]
    assert token_of(stranger, token.id) is None
    assert token_of(owner, token.id) is token
    assert revoke_token(token, owner) is True
    assert revoke_token(token, owner) is False
    assert tokens_of(owner)[0].revoked_at is not None


def test_a_valid_token_answers_and_notes_its_use(client, caller):
    me = caller("finance")
    response = client.get(ME, headers=me.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == me.user.email and body["role"] == "finance"
    assert "finance.view" in body["permissions"] and "pilot.edit" not in body["permissions"]
    assert body["token"]["last_used_at"] is not None
    assert db.session.scalar(select(ApiToken)).last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Token abc",
        "Basic dXNlcjpwYXNz",
        "Bearer a b",
        "Bearer tb_unknown",
    ],
)
def test_a_missing_or_malformed_token_is_401(client, caller, header):
    caller()
    headers = {} if header is None else {"Authorization": header}
    response = client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json()["message"]


def test_a_revoked_token_is_401(client, caller):
    me = caller()
    token = db.session.scalar(select(ApiToken))
    revoke_token(token, me.user)
    db.session.commit()
    response = client.get(ME, headers=me.headers)
    assert response.status_code == 401
    assert "revoked" in response.get_json()["message"]


def test_the_token_of_a_deactivated_account_is_401(client, caller):
    me = caller()
    me.user.active = False
    db.session.commit()
    response = client.get(ME, headers=me.headers)
    assert response.status_code == 401
    assert "deactivated" in response.get_json()["message"]


def test_a_signed_in_browser_session_is_no_token(client, login):
    login("admin")
    assert client.get("/api/v1/pilots").status_code == 401


def test_the_role_is_read_at_each_call(client, caller):
    me = caller("department_head")
    assert client.post("/api/v1/pilots", headers=me.headers, json={}).status_code == 403
    me.user.role = "innovation"
    db.session.commit()
    assert client.post("/api/v1/pilots", headers=me.headers, json={}).status_code == 422


# Every operation, every role ---------------------------------------------------------------


def address(operation, pilot) -> str:
    """The operation's path filled in with the loaded pilot and its first objects."""
    path = "/api/v1" + operation.rule.replace("<slug>", pilot.slug)
    for name, _ in operation.path_parameters:
        path = path.replace(f"<int:{name}>", "1")
    return path


def call(client, operation, pilot, headers):
    return client.open(address(operation, pilot), method=operation.method, headers=headers, json={})


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: f"{o.method} {o.rule}")
def test_every_operation_needs_a_token(client, loaded_pilot, operation):
    assert operation.permission, "every operation declares a permission"
    response = call(client, operation, loaded_pilot, {})
    assert response.status_code == 401
    assert response.is_json


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: f"{o.method} {o.rule}")
def test_every_operation_follows_the_permission_table(client, caller, loaded_pilot, operation):
    for role in ROLES:
        response = call(client, operation, loaded_pilot, caller(role).headers)
        if role in PERMISSIONS[operation.permission]:
            assert response.status_code not in (401, 403), (role, response.get_json())
        else:
            assert response.status_code == 403, role
            assert operation.permission in response.get_json()["message"]


def test_an_object_of_another_pilot_is_404(client, caller, loaded_pilot, other_pilot):
    me = caller("admin")
    theirs = db.session.scalar(select(Hypothesis).where(Hypothesis.pilot_id == other_pilot.id))
    wrong = f"/api/v1/pilots/{loaded_pilot.slug}/hypotheses/{theirs.id}"
    right = f"/api/v1/pilots/{other_pilot.slug}/hypotheses/{theirs.id}"
    assert client.get(right, headers=me.headers).status_code == 200
    response = client.get(wrong, headers=me.headers)
    assert response.status_code == 404
    assert "no hypothesis" in response.get_json()["message"]
    patched = client.patch(
        wrong, headers={**me.headers, "If-Match": "*"}, json={"statement": "Changed."}
    )
    assert patched.status_code == 404
    assert db.session.get(Hypothesis, theirs.id).statement != "Changed."
