"""French and English: which language a request is answered in, and figures written its way.

The language is, in order: the one a signed-in person chose (kept on their account),
the one chosen with the footer's switch (kept in a cookie), the browser's
Accept-Language, English. The API is answered in the Accept-Language's language
only: its clients are programs, which have neither account pages nor cookies (its
documentation page is a page like the others).

Figures are computed once, the English way ("1,234.5", "12.5%"), and written in the
request's language by ``figure``: in English it changes nothing, so English pages
stay exactly as they were.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from babel.numbers import get_currency_symbol
from flask import Blueprint, Flask, has_request_context, redirect, request
from flask_babel import Babel, get_locale, refresh
from flask_login import current_user

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"
COOKIE = "testbed_language"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

# The English way → each other language's: group and decimal separators, and the
# space French puts before a per cent sign and a currency (no-break, so "12 %" never
# breaks across lines).
NARROW_NBSP, NBSP = "\u202f", "\u00a0"
SEPARATORS = {"fr": str.maketrans({",": NARROW_NBSP, ".": ","})}
BEFORE_PERCENT = re.compile(r"(?<=\d) ?%")
DATE_FORMATS = {"en": ("%Y-%m-%d", "%Y-%m-%d %H:%M"), "fr": ("%d/%m/%Y", "%d/%m/%Y %H:%M")}

babel = Babel()
blueprint = Blueprint("language", __name__)


def register_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=choose_language)
    app.register_blueprint(blueprint)
    app.jinja_env.globals.update(
        languages=LANGUAGES,
        language=language,
        figure=figure,
        currency_sign=currency_sign,
        unit_space=unit_space,
    )
    app.jinja_env.filters.update(day=day, moment=moment)
    # Flask-Babel keeps the language in ``g``; a request made inside an application context
    # that outlives it (a test's, a script's) must not inherit the one before's.
    app.before_request(refresh)
    app.after_request(name_the_language)


def choose_language() -> str | None:
    if not has_request_context():
        return None  # the default: English
    if not is_api_request():
        chosen = account_language() or request.cookies.get(COOKIE)
        if chosen in LANGUAGES:
            return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def is_api_request() -> bool:
    """A request to the JSON API (not its documentation page, which is for people)."""
    if request.url_rule is None:
        return request.path.startswith("/api/v1/")
    return request.blueprint == "api"


def account_language() -> str | None:
    user = current_user
    return getattr(user, "language", None) if user and user.is_authenticated else None


def language() -> str:
    """The current request's language code; English outside a request (the CLI)."""
    locale = get_locale()
    return str(locale) if locale else DEFAULT_LANGUAGE


def name_the_language(response):
    response.headers.setdefault("Content-Language", language())
    response.vary.add("Accept-Language")
    return response


@blueprint.post("/language")
def choose():
    """The footer's switch: remembered in a cookie, and on the account of who is signed in."""
    from testbed.extensions import db

    chosen = request.form.get("language", "")
    back = request.form.get("next", "")
    # Only a path on this site: never an address that would send the person elsewhere.
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = "/"
    response = redirect(back)
    if chosen not in LANGUAGES:
        return response
    if current_user.is_authenticated:
        current_user.language = chosen
        db.session.commit()
    response.set_cookie(
        COOKIE,
        chosen,
        max_age=365 * 24 * 3600,
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


def figure(text: str) -> str:
    """A figure written the English way, written the current language's way."""
    table = SEPARATORS.get(language())
    if table is None:
        return text
    return BEFORE_PERCENT.sub(NBSP + "%", str(text).translate(table))


def plural_count(english_figure: str) -> int:
    """The number that picks the plural of a unit after a figure that may not be whole.

    English says "1 point" but "0.5 points" (singular for one only); French says "1,5 point"
    but "2 points" (singular below two). One number serves both: 1 for a figure of one, 0
    below two (English's plural, French's singular), 2 from two on.
    """
    try:
        value = abs(float(english_figure.replace(",", "").replace("−", "-")))
    except ValueError:
        return 2
    if value == 1:
        return 1
    return 0 if value < 2 else 2


def currency_sign(code: str | None) -> str:
    """The currency as the language writes it: "EUR" in English (as finance files do), "€" in
    French."""
    if not code:
        return ""
    current = language()
    return code if current == DEFAULT_LANGUAGE else get_currency_symbol(code, current)


def unit_space() -> str:
    """The space between a figure and its unit or currency: a no-break one in French."""
    return " " if language() == DEFAULT_LANGUAGE else NBSP


def day(value: date | datetime | None) -> str:
    return "" if value is None else value.strftime(DATE_FORMATS[language()][0])


def moment(value: datetime | None) -> str:
    return "" if value is None else value.strftime(DATE_FORMATS[language()][1])
