"""The token page and the API reference, as a person uses them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from testbed.api.auth import create_token
from testbed.api.endpoint import OPERATIONS
from testbed.api.models import ApiToken
from testbed.auth.access import PERMISSIONS
from testbed.auth.models import ROLES, User
from testbed.extensions import db

TOKENS = "/account/tokens"


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", sorted(PERMISSIONS["api.tokens"]))
def test_every_role_with_tokens_has_a_token_page_and_the_reference(client, login, role):
    login(role)
    page = client.get(TOKENS)
    assert page.status_code == 200
    assert "You have no tokens yet" in text(page)
    assert client.get("/api/v1/docs").status_code == 200


def test_staff_hold_no_tokens_and_see_no_reference(client, login):
    login("staff")
    assert client.get(TOKENS).status_code == 403
    assert client.post(TOKENS, data={"name": "x"}).status_code == 403
    assert client.get("/api/v1/docs").status_code == 403
    assert db.session.scalar(select(ApiToken)) is None


@pytest.mark.parametrize("address", [TOKENS, "/api/v1/docs"])
def test_the_pages_need_a_signed_in_person(client, address):
    response = client.get(address)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post(TOKENS, data={"name": "x"}).status_code == 302
    assert db.session.scalar(select(ApiToken)) is None


def test_a_new_token_is_shown_once(client, login):
    login("innovation")
    created = client.post(TOKENS, data={"name": "Nightly contact push"})
    assert created.status_code == 200
    page = text(created)
    shown = re.search(r'value="(tb_[A-Za-z0-9_-]+)"', page).group(1)
    assert "Copy your new token now" in page
    token = db.session.scalar(select(ApiToken))
    assert token.name == "Nightly contact push" and shown.startswith(token.prefix)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {shown}"}).status_code == 200
    later = text(client.get(TOKENS))
    assert shown not in later and f"{token.prefix}…" in later and "Nightly contact push" in later


def test_a_token_needs_a_name(client, login):
    login("finance")
    response = client.post(TOKENS, data={"name": ""})
    assert "Name the token first." in text(response)
    assert db.session.scalar(select(ApiToken)) is None


def test_revoking_a_token(client, login):
    person = login("department_head")
    token, secret = create_token(person, "Model")
    db.session.commit()
    response = client.post(f"{TOKENS}/{token.id}/revoke", follow_redirects=True)
    assert "revoked" in text(response)
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )
    again = client.post(f"{TOKENS}/{token.id}/revoke", follow_redirects=True)
    assert "revoked already" in text(again)


def test_nobody_sees_or_revokes_another_persons_token(client, login):
    login("admin")
    stranger = User(email="someone@example.org", role="innovation", password_hash="!")
    db.session.add(stranger)
    token, _ = create_token(stranger, "Their system")
    db.session.commit()
    assert "Their system" not in text(client.get(TOKENS))
    assert client.post(f"{TOKENS}/{token.id}/revoke").status_code == 404
    assert client.post(f"{TOKENS}/999/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_the_reference_lists_every_operation_and_who_may_call_it(client, login):
    login("department_head")
    page = text(client.get("/api/v1/docs"))
    for operation in OPERATIONS:
        path = operation.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        assert f"/api/v1{path}" in page
    for permission in ("observations.upload", "pilot.view"):
        holders = [role.replace("_", " ") for role in ROLES if role in PERMISSIONS[permission]]
        assert ", ".join(holders) in page
    assert 'id="model-PilotCreate"' in page
