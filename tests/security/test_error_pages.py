"""Error answers: generic pages (JSON in the API) with every security header, and no internals.

tests/test_security_headers.py checks the headers on ordinary pages and on a
404; here every error status is covered, the 500 included, in development and
in production.
"""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from testbed import create_app
from testbed.api import present
from testbed.extensions import db

POLICY = ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'")
# What a page must never show: a traceback, an exception, a query or a file of the code.
INTERNALS = ("Traceback", "Error:", "Exception", "SELECT", "no_such_table", "secret", ".py")


def assert_generic(response, status: int) -> None:
    assert response.status_code == status
    page = response.get_data(as_text=True)
    for internal in INTERNALS:
        assert internal not in page, f"{status} shows {internal!r}"
    headers = response.headers
    for directive in POLICY:
        assert directive in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def add_failing_routes(app) -> None:
    """Routes that fail the ways a view can, registered before the first request."""

    def crash():
        raise RuntimeError("secret detail: SELECT password_hash FROM user")

    def bad_query():
        db.session.execute(text("SELECT secret FROM no_such_table"))

    app.add_url_rule("/test/crash", "crash", crash)
    app.add_url_rule("/test/query", "bad_query", bad_query)
    app.add_url_rule("/test/throttled", "throttled", lambda: abort(429))


@pytest.fixture
def failing_client(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    add_failing_routes(app)
    return app.test_client()


@pytest.mark.parametrize("path", ["/test/crash", "/test/query"])
def test_a_failing_view_answers_the_generic_500_page(failing_client, path):
    response = failing_client.get(path)
    assert_generic(response, 500)
    assert "Something went wrong" in response.get_data(as_text=True)


def test_the_session_is_usable_after_a_500(failing_client):
    assert failing_client.get("/test/query").status_code == 500
    assert failing_client.get("/healthz").get_json()["database"] == "ok"


def test_429_is_generic(failing_client):
    assert_generic(failing_client.get("/test/throttled"), 429)


def test_400_from_a_form_without_its_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert_generic(response, 400)
    assert "CSRF" not in response.get_data(as_text=True)


def test_403_for_a_role_without_the_permission(client, login):
    login("innovation")
    assert_generic(client.get("/admin/users"), 403)


def test_404_and_405(client):
    assert_generic(client.get("/no/such/page"), 404)
    assert_generic(client.delete("/login"), 405)


def test_413_for_a_body_over_the_limit(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "x" * 4096, "password": "x"})
    assert_generic(response, 413)


@pytest.fixture
def production_client(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a production secret")
    # Production refuses per-worker sign-in counts; no route here is limited, so none is asked.
    monkeypatch.setenv("TESTBED_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:1/0")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}"})
    add_failing_routes(app)
    with app.app_context():
        db.create_all()
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/no/such/page", 404),
        ("delete", "/login", 405),
        ("get", "/test/throttled", 429),
        ("get", "/test/crash", 500),
        ("get", "/test/query", 500),
    ],
)
def test_production_errors_carry_hsts_too(production_client, method, path, status):
    response = getattr(production_client, method)(path)
    assert_generic(response, status)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# The JSON API --------------------------------------------------------------------------


@pytest.fixture
def api_headers(app, login):
    from testbed.api.auth import create_token

    user = login("innovation")
    _, token = create_token(user, "error pages")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def assert_json_error(response, status: int) -> None:
    assert_generic(response, status)
    assert response.is_json
    assert set(response.get_json()) <= {"message", "errors"}


def test_api_errors_are_json_without_internals(app, client, api_headers, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert_json_error(client.get("/api/v1/nothing/here", headers=api_headers), 404)
    assert_json_error(client.delete("/api/v1/pilots", headers=api_headers), 405)
    assert_json_error(client.get("/api/v1/me"), 401)

    def failing_query(*args, **kwargs):
        raise ProgrammingError("SELECT secret FROM user", {}, Exception("no_such_table"))

    monkeypatch.setattr(present, "me", failing_query)
    response = client.get("/api/v1/me", headers=api_headers)
    assert_json_error(response, 500)
    assert response.get_json()["message"] == "something went wrong on our side; nothing was saved"


def test_api_body_over_the_limit_is_413_json(app, client, api_headers):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post(
        "/api/v1/pilots",
        data="{" + " " * 4096 + "}",
        headers={**api_headers, "Content-Type": "application/json"},
    )
    assert_json_error(response, 413)
