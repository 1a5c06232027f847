"""Which language a page is answered in, the switch that chooses it, and figures and dates
written the language's way (English unchanged)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace

import pytest

from testbed.extensions import db
from testbed.i18n import COOKIE, currency_sign, day, figure, moment
from testbed.results.views import amount

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


@contextmanager
def request_in(app, headers=None):
    """A request of its own: the fixture's application context (and its ``g``) set aside."""
    with app.app_context(), app.test_request_context(headers=headers or {}):
        yield


def language_of(response) -> str:
    return response.headers["Content-Language"]


def test_the_browsers_language_decides_until_someone_chooses(client):
    assert language_of(client.get("/login")) == "en"
    assert language_of(client.get("/login", headers=FRENCH)) == "fr"
    # A language the app does not speak falls back to English.
    assert language_of(client.get("/login", headers={"Accept-Language": "de"})) == "en"
    assert "Accept-Language" in client.get("/login").headers["Vary"]


def test_the_footer_switch_is_remembered_for_a_stranger_in_a_cookie(client):
    response = client.post("/language", data={"language": "fr", "next": "/login?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?x=1"
    assert client.get_cookie(COOKIE).value == "fr"
    # The choice beats the browser's language.
    page = client.get("/login", headers={"Accept-Language": "en"})
    assert language_of(page) == "fr"
    assert '<html lang="fr">' in page.get_data(as_text=True)


def test_the_switch_is_kept_on_the_account_of_who_is_signed_in(client, login):
    user = login("finance")
    client.post("/language", data={"language": "fr", "next": "/"})
    db.session.refresh(user)
    assert user.language == "fr"
    # On another browser, with no cookie and an English browser, the account decides.
    other = client.application.test_client()
    other.post("/login", data={"email": user.email, "password": "a long password"})
    assert language_of(other.get("/", headers={"Accept-Language": "en"})) == "fr"


@pytest.mark.parametrize("back", ["https://elsewhere.example/", "//elsewhere.example/", "/\\x"])
def test_the_switch_only_sends_back_to_a_page_of_this_site(client, back):
    response = client.post("/language", data={"language": "fr", "next": back})
    assert response.headers["Location"] == "/"


def test_an_unknown_language_changes_nothing(client):
    client.post("/language", data={"language": "de", "next": "/login"})
    assert client.get_cookie(COOKIE) is None
    assert language_of(client.get("/login")) == "en"


def test_the_api_follows_the_accept_language_header_only(client):
    client.post("/language", data={"language": "fr", "next": "/"})
    assert language_of(client.get("/api/v1/pilots")) == "en"
    assert language_of(client.get("/api/v1/pilots", headers=FRENCH)) == "fr"


def test_the_apis_human_messages_follow_accept_language_and_its_keys_stay_english(client):
    english = client.get("/api/v1/pilots")
    french = client.get("/api/v1/pilots", headers=FRENCH)
    assert english.status_code == french.status_code == 401
    assert set(french.get_json()) == set(english.get_json())  # the same keys
    assert english.get_json()["message"].startswith("send a personal API token")
    assert french.get_json()["message"] != english.get_json()["message"]
    assert "jeton" in french.get_json()["message"]
    missing = client.get("/api/v1/no-such-thing", headers=FRENCH).get_json()["message"]
    assert "/api/v1/openapi.json" in missing and "nothing here" not in missing


def test_the_footer_offers_each_language_in_its_own_name(client):
    page = client.get("/login", headers=FRENCH).get_data(as_text=True)
    assert 'value="en" lang="en"' in page and ">English</button>" in page
    # The current language is shown as chosen and cannot be chosen again.
    assert 'value="fr" lang="fr" class="link" aria-current="true" disabled' in page


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("1,234.5", "1\u202f234,5"),
        ("−0.25", "−0,25"),
        ("12.5%", "12,5\u00a0%"),
        ("12.5 %", "12,5\u00a0%"),
        ("> 99.9%", "> 99,9\u00a0%"),
        ("1,234,567", "1\u202f234\u202f567"),
    ],
)
def test_figures_are_written_the_languages_way(app, english, french):
    with request_in(app, {"Accept-Language": "en"}):
        assert figure(english) == english
    with request_in(app, FRENCH):
        assert figure(english) == french


def test_currencies_and_dates_follow_the_language(app):
    at = datetime(2026, 3, 7, 9, 5)
    with request_in(app):
        assert (currency_sign("EUR"), day(at), moment(at)) == (
            "EUR",
            "2026-03-07",
            "2026-03-07 09:05",
        )
    with request_in(app, FRENCH):
        assert (currency_sign("EUR"), day(at), moment(at)) == (
            "€",
            "07/03/2026",
            "07/03/2026 09:05",
        )
        assert currency_sign("USD") == "$US"


def test_outside_a_request_everything_is_english(app):
    with app.app_context():
        assert figure("1,234.5") == "1,234.5"


@pytest.mark.parametrize(
    ("share", "english", "french"),
    [
        (0.01, "+1 point", "+1 point"),
        (-0.01, "−1 point", "−1 point"),
        (0.005, "+0.5 points", "+0,5 point"),
        (0.015, "+1.5 points", "+1,5 point"),
        (0.02, "+2 points", "+2 points"),
        (0.0, "0 points", "0 point"),
    ],
)
def test_percentage_points_take_each_languages_plural(app, share, english, french):
    # English is singular for one only, French below two.
    proportion = SimpleNamespace(kind="proportion", unit="")
    with request_in(app, {"Accept-Language": "en"}):
        assert amount(share, proportion) == english
    with request_in(app, FRENCH):
        assert amount(share, proportion) == french
