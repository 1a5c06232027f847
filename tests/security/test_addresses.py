"""A part of an address that the database cannot look up is simply not found: never a failed
query (500).

Werkzeug's ``int`` takes any number of digits: past 2**63 SQLite's driver cannot bind the
value, and past 2**31 - 1 PostgreSQL's integer columns cannot hold it. Its default converter
takes any character but ``/``, and PostgreSQL refuses a NUL in text. Each route is walked as an
admin, who may reach all of them, with the body of the access matrix's valid request.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter, UnicodeConverter

from testbed.extensions import db
from tests.security.calls import deliver, prepare
from tests.security.test_access_matrix import IGNORED_METHODS
from tests.security.world import World, row_counts

# Just past PostgreSQL's integer, just past SQLite's 64-bit integer, and far past both; the
# largest id that fits is looked up and not found.
NUMBERS = (2**31, 2**63, 10**23, 0, 2**31 - 1)
NUMBER_IDS = ["2^31", "2^63", "10^23", "zero", "largest"]
CONTROLS = ("%00", "a%00b", "a%1Fb", "a%09b")
VARIABLE = re.compile(r"<(?:[^:>]+:)?(\w+)>")


def routes_with(app, converter: type) -> list[tuple[str, str, object, str]]:
    """(endpoint, method, rule, variable) for each variable read with ``converter``."""
    found = []
    for rule in app.url_map.iter_rules():
        for name, used in rule._converters.items():
            if isinstance(used, converter):
                for method in sorted(rule.methods - IGNORED_METHODS):
                    found.append((rule.endpoint, method, rule, name))
    return sorted(found, key=lambda route: (route[0], route[1], route[3]))


def walk(w: World, converter: type, value: str) -> dict[tuple[str, str], int]:
    """Each route with ``value`` for one variable, the others as in its valid request."""
    answers = {}
    adapter = w.app.url_map.bind("localhost")
    for endpoint, method, rule, name in routes_with(w.app, converter):
        client, call = prepare(w, (endpoint, method), "admin", w.people["admin"])
        path, question, query = call.path.partition("?")
        _, values = adapter.match(path, method=method)
        values = {key: str(v) for key, v in values.items()} | {name: value}
        call.path = address(rule.rule, values) + question + query
        before = row_counts()
        answers[(method, call.path)] = deliver(client, method, call).status_code
        db.session.rollback()
        assert row_counts() == before, call.path
    return answers


def address(rule: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda match: values[match.group(1)], rule)


def test_the_walk_finds_the_routes_the_review_named(app):
    endpoints = {endpoint for endpoint, *_ in routes_with(app, IntegerConverter)}
    assert {
        "suggestions.suggestion",
        "admin.user",
        "admin.deactivate",
        "suggestions.department",
        "finance.edit_programme",
        "finance.edit_cost",
        "finance.edit_benefit",
        "suggestions.vote",
        "api_pages.revoke_token",
        "api.get_metric",
    } <= endpoints
    assert {"pilots.pilot", "pilots.edit_hypothesis", "results.chart"} <= {
        endpoint for endpoint, *_ in routes_with(app, UnicodeConverter)
    }


@pytest.mark.parametrize("number", NUMBERS, ids=NUMBER_IDS)
def test_every_address_with_an_id_the_database_cannot_hold_is_not_found(world, number):
    answers = walk(world, IntegerConverter, str(number))
    assert {route: code for route, code in answers.items() if code != 404} == {}


@pytest.mark.parametrize("text", CONTROLS)
def test_every_address_with_a_control_character_is_not_found(world, text):
    answers = walk(world, UnicodeConverter, text)
    assert {route: code for route, code in answers.items() if code != 404} == {}
