"""Flask-WTF reads a JSON body as readily as a posted form. Whatever shape a body sent to a web
form has (a list, a bare string, numbers, nulls, nested objects), the form answers with its
errors, never a server error, and stores nothing; a JSON object of the form's own fields is
read as the posted form would be.

Each request is the access matrix's valid one (tests/security/calls.py), sent as JSON.
"""

from __future__ import annotations

import json

import pytest

from testbed.extensions import db
from testbed.forms import json_fields
from tests.security.calls import Call, deliver, prepare
from tests.security.test_form_input import TEXT_FIELDS, text_columns_snapshot

# Bodies no posted form could send: each would fail inside Werkzeug's MultiDict.
STRANGE_BODIES = {
    "list": [1, 2],
    "string": "name",
    "number": 7,
    "null": None,
    "nested": {"name": {"first": "A"}, "summary": [{"x": 1}], "version": None},
}
FORMS = [key for key in TEXT_FIELDS if key != ("auth.login", "POST")]


@pytest.mark.parametrize("shape", STRANGE_BODIES)
@pytest.mark.parametrize("key", FORMS, ids=[endpoint for endpoint, _ in FORMS])
def test_a_json_body_of_any_shape_gets_the_forms_answer_and_stores_nothing(world, key, shape):
    role, _, _ = TEXT_FIELDS[key]
    client, call = prepare(world, key, role, world.people.get(role))
    before = text_columns_snapshot()
    body = json.dumps(STRANGE_BODIES[shape])
    response = client.post(call.path, data=body, content_type="application/json")
    db.session.rollback()
    # The form's errors (200, 422), or a refusal before the form (400: no version to edit;
    # 409: the version is not the record's): a client's error, never the server's.
    assert response.status_code in (200, 400, 409, 422), (key, shape, response.status_code)
    assert text_columns_snapshot() == before


def test_a_json_object_of_the_forms_fields_is_read_like_the_posted_form(world):
    key = ("suggestions.add", "POST")
    client, call = prepare(world, key, "department_head", world.people["department_head"])
    before = text_columns_snapshot()
    response = deliver(client, "POST", Call(call.path, json={**call.data, "text": "Call back"}))
    db.session.rollback()
    assert response.status_code == 302
    assert text_columns_snapshot() != before


def test_json_fields_keep_what_a_form_field_could_send():
    body = {
        "a": "text",
        "n": 5,
        "x": 2.5,
        "yes": True,
        "no": False,
        "none": None,
        "many": ["1", 2, {"deep": 1}],
        "object": {"k": "v"},
    }
    assert json_fields(body) == [
        ("a", "text"),
        ("n", "5"),
        ("x", "2.5"),
        ("yes", "y"),
        ("many", "1"),
        ("many", "2"),
    ]
    assert json_fields([["a", "b"]]) == []
    assert json_fields("a") == []
