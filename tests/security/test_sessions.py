"""Sessions kept on the server: a new one at each sign-in, ended by sign-out, a new password
or deactivation, whatever copies of the cookie exist, and expiring when idle or old
(OWASP ASVS 3.2, 3.3, 3.4)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import func, select, update

from testbed import create_app
from testbed.api.auth import create_token
from testbed.api.models import ApiToken
from testbed.auth.models import User, UserSession
from testbed.extensions import db
from testbed.timeutil import utcnow
from tests.security.browsers import NEW_PASSWORD, PASSWORD, Browser, account


def session_count(user: User) -> int:
    query = select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    return db.session.scalar(query)


def test_signing_in_replaces_a_planted_session_with_a_new_token_and_cookie(app):
    account()
    browser = Browser(app)
    with app.app_context(), browser.client.session_transaction() as session:
        session["session_token"] = "planted-by-an-attacker"
    planted_cookie = browser.cookie

    browser.sign_in("ines@example.org")

    token = browser.session_token()
    assert token is not None and token != "planted-by-an-attacker"
    assert browser.cookie != planted_cookie
    stored = db.session.scalars(select(UserSession.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_a_cookie_taken_before_sign_in_stays_signed_out_after_it(app):
    account()
    victim = Browser(app)
    with app.app_context(), victim.client.session_transaction() as session:
        session["seen"] = True
    attacker = victim.copy()

    victim.sign_in("ines@example.org")

    assert victim.is_signed_in()
    assert not attacker.is_signed_in()


def test_each_sign_in_starts_its_own_session_and_keeps_only_a_digest(app):
    ines = account()
    first, second = Browser(app), Browser(app)
    first.sign_in("ines@example.org")
    second.sign_in("ines@example.org")

    tokens = {first.session_token(), second.session_token()}
    assert len(tokens) == 2 and session_count(ines) == 2
    rows = db.session.scalars(select(UserSession)).all()
    assert {row.token_hash for row in rows} == {
        hashlib.sha256(token.encode()).hexdigest() for token in tokens
    }
    assert all(row.last_seen_at >= row.created_at for row in rows)


def test_a_copied_cookie_stops_working_after_sign_out(app):
    ines = account()
    browser = Browser(app)
    browser.sign_in("ines@example.org")
    thief = browser.copy()
    assert thief.is_signed_in()

    browser.post("/logout")

    assert not thief.is_signed_in()
    assert not browser.is_signed_in()
    assert session_count(ines) == 0


def test_changing_ones_password_signs_out_every_other_browser(app):
    ines = account()
    browser, other_browser = Browser(app), Browser(app)
    browser.sign_in("ines@example.org")
    other_browser.sign_in("ines@example.org")
    thief = browser.copy()
    cookie_before = browser.cookie

    response = browser.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert browser.is_signed_in() and browser.cookie != cookie_before
    assert not thief.is_signed_in()
    assert not other_browser.is_signed_in()
    assert session_count(ines) == 1
    assert (
        Browser(app)
        .post("/login", data={"email": "ines@example.org", "password": NEW_PASSWORD})
        .status_code
        == 302
    )


def test_a_wrong_current_password_changes_nothing(app):
    ines = account()
    browser = Browser(app)
    browser.sign_in("ines@example.org")
    thief = browser.copy()

    response = browser.post(
        "/account/password",
        data={"current": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 422
    assert "The current password is wrong." in response.get_data(as_text=True)
    assert thief.is_signed_in()
    db.session.refresh(ines)
    assert ines.check_password(PASSWORD)


def test_a_password_reset_by_an_admin_signs_the_user_out_everywhere(app):
    account("admin@example.org", "admin")
    dana = account("dana@example.org")
    admin, browser = Browser(app), Browser(app)
    admin.sign_in("admin@example.org")
    browser.sign_in("dana@example.org")
    thief = browser.copy()

    response = admin.post(
        f"/admin/users/{dana.id}/password",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not browser.is_signed_in()
    assert not thief.is_signed_in()
    assert admin.is_signed_in()
    assert session_count(dana) == 0


def test_deactivation_ends_sessions_and_api_tokens_and_reactivation_revives_neither(app):
    account("admin@example.org", "admin")
    dana = account("dana@example.org")
    stored, token = create_token(dana, "nightly push")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    admin, browser = Browser(app), Browser(app)
    admin.sign_in("admin@example.org")
    browser.sign_in("dana@example.org")
    thief = browser.copy()
    assert browser.get("/api/v1/me", headers=bearer).status_code == 200

    admin.post(f"/admin/users/{dana.id}/deactivate")

    assert not browser.is_signed_in()
    assert not thief.is_signed_in()
    refused = browser.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401
    assert "deactivated" in refused.get_json()["message"]
    assert session_count(dana) == 0

    admin.post(f"/admin/users/{dana.id}/reactivate")
    assert not thief.is_signed_in()
    still_refused = browser.get("/api/v1/me", headers=bearer)
    assert still_refused.status_code == 401
    assert "revoked" in still_refused.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(ApiToken, stored.id).revoked_at is not None
    browser.sign_in("dana@example.org")
    assert browser.is_signed_in()


def test_a_signed_cookie_without_a_session_on_record_signs_nobody_in(app):
    """A cookie from before sessions were recorded, or forged with the secret key."""
    ines = account()
    browser = Browser(app)
    with app.app_context(), browser.client.session_transaction() as session:
        session["_user_id"] = str(ines.id)
        session["_fresh"] = True
    assert not browser.is_signed_in()


def test_a_remember_me_cookie_signs_nobody_in(app):
    ines = account()
    browser = Browser(app)
    with app.test_request_context():
        remembered = encode_cookie(str(ines.id))
    browser.client.set_cookie("remember_token", remembered)
    assert not browser.is_signed_in()


def test_another_users_token_does_not_open_a_session(app):
    ines, dana = account(), account("dana@example.org")
    browser = Browser(app)
    browser.sign_in("dana@example.org")
    with app.app_context(), browser.client.session_transaction() as session:
        session["_user_id"] = str(ines.id)
    assert not browser.is_signed_in()
    assert session_count(dana) == 1


@pytest.fixture
def production_app(app, database_url, monkeypatch):
    """The production configuration, on the test database, limits counted in memory."""
    monkeypatch.setenv("TESTBED_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret")
    monkeypatch.setenv("TESTBED_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("TESTBED_LOG_JSON", "0")
    production = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            # The form's CSRF token is no part of what the cookie looks like.
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield production
    with production.app_context():
        db.engine.dispose()


def test_the_session_cookie_is_secure_http_only_lax_and_host_bound_in_production(
    production_app,
):
    account()
    client = production_app.test_client()
    with production_app.app_context():
        response = client.post("/login", data={"email": "ines@example.org", "password": PASSWORD})

    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    name, *attributes = [part.strip() for part in cookie.split(";")]
    assert name.startswith("__Host-session=")
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= set(attributes)
    assert not any(attribute.lower().startswith("domain=") for attribute in attributes)


@pytest.mark.parametrize(
    ("idle", "age", "still_signed_in"),
    [
        (timedelta(minutes=29), timedelta(hours=1), True),
        (timedelta(minutes=31), timedelta(hours=1), False),  # idle too long
        (timedelta(minutes=1), timedelta(hours=12, minutes=1), False),  # too old, though busy
    ],
)
def test_a_session_expires_when_idle_or_old_and_its_record_goes(app, idle, age, still_signed_in):
    person = account()
    browser = Browser(app)
    browser.sign_in("ines@example.org")
    now = utcnow()
    db.session.execute(update(UserSession).values(last_seen_at=now - idle, created_at=now - age))
    db.session.commit()

    assert browser.is_signed_in() is still_signed_in
    assert session_count(person) == (1 if still_signed_in else 0)
