"""Failed sign-ins and failed API tokens are limited per account and per client address."""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import re
import sys
import traceback
import uuid

import pytest
import redis

from testbed import create_app
from testbed.api.auth import create_token
from testbed.extensions import db, limiter
from tests.security.browsers import PASSWORD, Browser, account

REDIS_URL = "redis://127.0.0.1:6379/0"
WRONG = "not the password"  # noqa: S105


def sign_in(browser: Browser, email: str, password: str = WRONG, forwarded_for: str = ""):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return browser.post("/login", data={"email": email, "password": password}, headers=headers)


def minutes_to_wait(response) -> int:
    found = re.search(r"Try again in (\d+) minutes?\.", response.get_data(as_text=True))
    assert found, "the page says when to try again"
    return int(found.group(1))


def test_the_eleventh_attempt_after_ten_failures_on_an_account_is_refused(app):
    account()
    browser = Browser(app)
    for attempt in range(10):
        email = "ines@example.org" if attempt % 2 else "INES@Example.org "
        failed = sign_in(browser, email)
        assert failed.status_code == 200
        assert "Wrong e-mail or password." in failed.get_data(as_text=True)

    throttled = sign_in(browser, "ines@example.org", PASSWORD)

    assert throttled.status_code == 429
    assert 1 <= minutes_to_wait(throttled) <= 15
    assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
    assert throttled.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in throttled.headers["Content-Security-Policy"]
    assert not browser.is_signed_in()
    assert browser.get("/login").status_code == 200


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class CsrfBrowser(Browser):
    """A browser that signs in as a page would, form or script, CSRF token included."""

    def attempt(self, body: str, email: str, password: str = WRONG):
        page = self.get("/login").get_data(as_text=True)
        token = CSRF_FIELD.search(page).group(1)
        fields = {"email": email, "password": password}
        if body == "json":
            return self.post("/login", json=fields, headers={"X-CSRFToken": token})
        return self.post("/login", data={**fields, "csrf_token": token})


@pytest.mark.parametrize(
    ("failing", "then"), [("form", "json"), ("json", "form"), ("json", "json")]
)
def test_failures_count_and_hold_back_whatever_the_body_is_written_in(app, failing, then):
    # Flask-WTF reads a JSON body as readily as a posted form: a limit reading only
    # the form would let a held-back account go on guessing in JSON.
    app.config["WTF_CSRF_ENABLED"] = True
    account()
    browser = CsrfBrowser(app)
    for attempt in range(10):
        email = "ines@example.org" if attempt % 2 else " INES@example.org"
        failed = browser.attempt(failing, email)
        assert failed.status_code == 200
        assert "Wrong e-mail or password." in failed.get_data(as_text=True)

    throttled = browser.attempt(then, "ines@example.org", PASSWORD)

    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
    assert not browser.is_signed_in()


REQUIRED = "This field is required."


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ("ines@example.org", REQUIRED),
        (["ines@example.org"], REQUIRED),
        # A number is read as the text a form field would send: an address that fails.
        ({"email": 5, "password": WRONG}, "Wrong e-mail or password."),
        ({"email": {"at": "example.org"}, "password": WRONG}, REQUIRED),
    ],
    ids=["text", "list", "number", "object"],
)
def test_a_json_body_the_form_cannot_read_gets_the_forms_errors_not_a_crash(app, body, answer):
    # The limit's key reads the body as the form does; were reading it to raise, the
    # extension would also take its store for dead and count in memory from then on.
    account()
    browser = Browser(app)
    answered = browser.post("/login", json=body)
    assert answered.status_code == 200
    assert answer in answered.get_data(as_text=True)
    assert limiter._storage_dead is False
    assert not browser.is_signed_in()


@pytest.fixture
def small_limits(app):
    app.config["FAILED_SIGN_INS_PER_ACCOUNT"] = "2 per 15 minutes"
    app.config["FAILED_SIGN_INS_PER_ADDRESS"] = "3 per 15 minutes"
    app.config["FAILED_TOKENS_PER_ADDRESS"] = "2 per 15 minutes"
    return app


def test_only_failures_count(small_limits):
    account()
    for _ in range(4):
        Browser(small_limits).sign_in("ines@example.org")
    browser = Browser(small_limits)
    assert sign_in(browser, "ines@example.org").status_code == 200
    assert sign_in(browser, "ines@example.org").status_code == 200
    assert sign_in(browser, "ines@example.org", PASSWORD).status_code == 429


def test_an_account_held_back_does_not_hold_back_another(small_limits):
    account(), account("dana@example.org")
    browser = Browser(small_limits)
    for _ in range(2):
        sign_in(browser, "ines@example.org")
    assert sign_in(browser, "ines@example.org", PASSWORD).status_code == 429
    assert sign_in(browser, "dana@example.org", PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_held_back(small_limits):
    account("dana@example.org")
    browser = Browser(small_limits)
    for n in range(3):
        assert sign_in(browser, f"nobody{n}@example.org").status_code == 200
    assert sign_in(browser, "dana@example.org", PASSWORD).status_code == 429


def test_without_proxy_hops_a_forwarded_address_is_not_believed(small_limits):
    account("dana@example.org")
    browser = Browser(small_limits)
    for n in range(3):
        sign_in(browser, f"nobody{n}@example.org", forwarded_for=f"203.0.113.{n}")
    refused = sign_in(browser, "dana@example.org", PASSWORD, forwarded_for="198.51.100.7")
    assert refused.status_code == 429


@pytest.fixture
def behind_a_proxy(app, database_url):
    proxied = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "PROXY_HOPS": 1,
            "FAILED_SIGN_INS_PER_ADDRESS": "3 per 15 minutes",
        }
    )
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def test_behind_one_proxy_the_forwarded_address_is_the_one_limited(behind_a_proxy):
    account("dana@example.org")
    browser = Browser(behind_a_proxy)
    for n in range(3):
        sign_in(browser, f"nobody{n}@example.org", forwarded_for="203.0.113.9")

    refused = sign_in(browser, "dana@example.org", PASSWORD, forwarded_for="203.0.113.9")
    assert refused.status_code == 429
    allowed = sign_in(browser, "dana@example.org", PASSWORD, forwarded_for="198.51.100.7")
    assert allowed.status_code == 302


def test_wrong_api_tokens_are_limited_per_address_and_good_ones_do_not_count(small_limits):
    ines = account()
    _, token = create_token(ines, "nightly push")
    db.session.commit()
    browser = Browser(small_limits)
    good = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        assert browser.get("/api/v1/me", headers=good).status_code == 200
    for path in ("/api/v1/me", "/api/v1/pilots"):
        assert browser.get(path, headers={"Authorization": "Bearer tb_guess"}).status_code == 401

    refused = browser.get("/api/v1/me", headers=good)

    assert refused.status_code == 429
    assert refused.is_json
    assert "try again in" in refused.get_json()["message"]


def test_the_apis_429_says_in_retry_after_when_to_try_again_on_every_path(small_limits):
    browser = Browser(small_limits)
    wrong = {"Authorization": "Bearer tb_guess"}
    for path in ("/api/v1/me", "/api/v1/pilots"):
        assert browser.get(path, headers=wrong).status_code == 401

    refused = [
        browser.get("/api/v1/me", headers=wrong),
        browser.get("/api/v1/pilots"),
        browser.post("/api/v1/pilots", json={"name": "Pilot"}, headers=wrong),
        browser.get("/api/v1/nothing/here"),
    ]

    for answer in refused:
        assert (answer.status_code, answer.is_json) == (429, True)
        seconds = int(answer.headers["Retry-After"])
        assert 0 < seconds <= 15 * 60
        minutes = int(re.search(r"try again in (\d+) minutes?", answer.get_json()["message"])[1])
        assert 1 <= minutes <= 15
        assert "no-store" in answer.headers["Cache-Control"]


@pytest.fixture
def redis_app(app, database_url):
    """The limits kept in the real Redis under a prefix of this test's own, removed after."""
    prefix = f"testbed-test-{uuid.uuid4().hex}"
    shared = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            # The storage's own prefix: the extension keeps the first application's key prefix.
            "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix},
            "FAILED_SIGN_INS_PER_ACCOUNT": "2 per 15 minutes",
        }
    )
    store = redis.Redis.from_url(REDIS_URL)
    yield shared, store, prefix
    for key in store.scan_iter(match=f"{prefix}:*"):
        store.delete(key)
    store.close()
    with shared.app_context():
        db.engine.dispose()


def test_failures_are_counted_in_redis_when_it_is_the_store(redis_app):
    shared, store, prefix = redis_app
    account()
    for _ in range(2):
        assert sign_in(Browser(shared), "ines@example.org").status_code == 200
    keys = list(store.scan_iter(match=f"{prefix}:*account:ines@example.org*"))
    assert [int(store.get(key)) for key in keys] == [2]

    assert sign_in(Browser(shared), "ines@example.org", PASSWORD).status_code == 429


def test_wrong_current_passwords_are_limited_per_account_and_a_weak_new_one_does_not_count(
    small_limits,
):
    account()
    browser = Browser(small_limits)
    browser.sign_in("ines@example.org")

    def change(current: str, new: str = "a fresh long passphrase"):
        form = {"current": current, "password": new, "confirm": new}
        return browser.post("/account/password", data=form)

    assert change(PASSWORD, new="password1").status_code == 422  # common: refused, not counted
    assert change(WRONG).status_code == 422
    assert change(WRONG).status_code == 422

    held_back = change(PASSWORD)

    assert held_back.status_code == 429
    assert "Retry-After" in held_back.headers and minutes_to_wait(held_back) >= 1
    assert browser.is_signed_in()  # the old password still holds: nothing was changed
    other = Browser(small_limits)
    assert other.sign_in("ines@example.org").status_code == 302


def in_a_process_of_its_own(work, database_url: str) -> dict:
    """What ``work(database_url)`` returns, run in a new process.

    The extension is one object per process, and a store it found dead would
    otherwise stay dead for the other tests' apps.
    """
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    worker = context.Process(target=report, args=(work, database_url, results))
    worker.start()
    found = results.get(timeout=120)
    worker.join(timeout=60)
    assert "error" not in found, found.get("error")
    return found


def report(work, database_url: str, results) -> None:
    try:
        results.put(work(database_url))
    except Exception:  # the test shows it, rather than waiting for an answer that never comes
        results.put({"error": traceback.format_exc()})


def test_with_redis_unreachable_the_limits_hold_in_each_workers_memory(app, database_url):
    found = in_a_process_of_its_own(_sign_ins_without_redis, database_url)

    assert found["failures"] == [200] * 10 + [429]
    assert found["another account"] == 200
    assert found["unknown API path"] == 404
    assert found["wrong token"] == 401
    assert "Rate limit storage unreachable" in found["log"]


def test_with_redis_unreachable_the_json_log_tells_the_operator(app, database_url):
    # docs/deploy.md has operators alert on this line of the JSON log.
    lines = in_a_process_of_its_own(_json_log_without_redis, database_url)["lines"]

    entries = [json.loads(line) for line in lines]
    fallbacks = [
        entry
        for entry in entries
        if entry["message"] == "Rate limit storage unreachable - falling back to in-memory storage"
    ]
    assert len(fallbacks) == 1, entries
    assert (fallbacks[0]["level"], fallbacks[0]["logger"]) == ("warning", "flask-limiter")
    # The requests and the app's own events go on being logged beside it.
    assert [entry.get("event") for entry in entries].count("sign_in_failed") == 2
    assert [entry["message"] for entry in entries].count("request") == 2


def _json_log_without_redis(database_url: str) -> dict:
    """The lines an app logging JSON writes when its Redis does not answer."""
    sys.stderr = log = io.StringIO()
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "LOG_JSON": True,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    )
    with app.app_context():
        account()
        db.session.commit()
    sign_in(Browser(app), "ines@example.org")
    sign_in(Browser(app), "ines@example.org")
    return {"lines": log.getvalue().splitlines()}


def _sign_ins_without_redis(database_url: str) -> dict:
    log = io.StringIO()
    logging.getLogger("flask-limiter").addHandler(logging.StreamHandler(log))
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    )
    with app.app_context():
        account()
        db.session.commit()
    failures = [sign_in(Browser(app), "ines@example.org").status_code for _ in range(11)]
    client = app.test_client()
    return {
        "failures": failures,
        "another account": sign_in(Browser(app), "bo@example.org").status_code,
        "unknown API path": client.get("/api/v1/nothing-here").status_code,
        "wrong token": client.get(
            "/api/v1/pilots", headers={"Authorization": "Bearer wrong"}
        ).status_code,
        "log": log.getvalue(),
    }
