"""Pages' parts kept in memory: bounded, least recently used first out, one set per application."""

from __future__ import annotations

from markupsafe import Markup

from testbed import create_app
from testbed.fragments import Recent, cache, cached_html


def test_the_least_recently_used_value_goes_first():
    kept = Recent(2)
    made = []

    def make(value):
        return lambda: made.append(value) or value

    assert kept.get("a", make("A")) == "A"
    assert kept.get("b", make("B")) == "B"
    assert kept.get("a", make("again")) == "A"  # "a" is now the most recently used
    kept.get("c", make("C"))  # so "b" goes
    assert len(kept) == 2
    assert kept.get("a", make("again")) == "A"
    assert kept.get("b", make("B, anew")) == "B, anew"
    assert made == ["A", "B", "C", "B, anew"]


def test_html_is_rendered_once_per_key_and_comes_back_as_markup(app):
    rendered = []

    def render(text):
        return lambda: rendered.append(text) or text

    page = "<p>Waiting time: 12 minutes &amp; falling</p>" * 200
    first = cached_html("parts", 8, ("pilot", 1), render(page))
    second = cached_html("parts", 8, ("pilot", 1), render("<p>other</p>"))
    assert isinstance(first, Markup) and first == second == page
    assert cached_html("parts", 8, ("pilot", 2), render("<p>other</p>")) == "<p>other</p>"
    assert rendered == [page, "<p>other</p>"]


def test_each_application_keeps_its_own(app):
    cached_html("parts", 8, "key", lambda: "<p>first application</p>")
    other = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    with other.app_context():
        assert len(cache("parts", 8)) == 0
        assert cached_html("parts", 8, "key", lambda: "<p>second</p>") == "<p>second</p>"
    assert cached_html("parts", 8, "key", lambda: "<p>second</p>") == "<p>first application</p>"
