"""What no column can hold, typed into any web form, is refused next to its field and nothing
is stored: control characters in text (PostgreSQL refuses NUL outright), and whole numbers
past the database's integer columns (2**31 - 1 on PostgreSQL, 2**63 - 1 for SQLite's driver).

Each request is the access matrix's valid one (tests/security/calls.py) with one field
changed, so without the refusal it would be saved.
"""

from __future__ import annotations

import inspect
from html import unescape

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, StringField
from wtforms.fields.core import UnboundField

from testbed.api import forms as api
from testbed.auth import forms as auth
from testbed.extensions import db
from testbed.finance import forms as finance
from testbed.forms import WebForm
from testbed.pilots import forms as pilots
from testbed.suggestions import forms as suggestions
from testbed.suggestions.models import Suggestion
from tests.security.calls import Call, deliver, prepare

FORM_MODULES = (api, auth, finance, pilots, suggestions)
CUSTOM_METRIC = {"metric": "custom", "metric_key": "calls", "metric_name": "Calls"}
NEW_PARTNER = {"partner": "0", "new_partner_name": "Dune Clinic"}
# Who sends each form, the form, and its text fields, each with what else the request needs so that
# the field is used: a new partner's fields count only when a new partner is chosen.
# fmt: off
TEXT_FIELDS: dict[tuple[str, str], tuple[str, type, dict[str, dict]]] = {
    ("auth.login", "POST"): ("anonymous", auth.LoginForm, {"email": {}, "password": {}}),
    ("auth.change_password", "POST"): ("innovation", auth.ChangePasswordForm,
        {"current": {}, "password": {}, "confirm": {}}),
    ("pilots.new_pilot", "POST"): ("innovation", pilots.PilotForm, {
        "name": {}, "slug": {}, "summary": {}, "new_partner_name": NEW_PARTNER,
        "new_partner_segment": NEW_PARTNER, "key_account_reason": NEW_PARTNER}),
    ("pilots.edit_pilot", "POST"): ("innovation", pilots.PilotForm, {
        "name": {}, "summary": {}, "new_partner_name": NEW_PARTNER,
        "new_partner_segment": NEW_PARTNER, "key_account_reason": {}}),
    ("pilots.new_hypothesis", "POST"): ("innovation", pilots.HypothesisForm, {
        "key": {}, "statement": {}, "quantiles": {}, "metric_key": CUSTOM_METRIC,
        "metric_name": CUSTOM_METRIC, "metric_unit": CUSTOM_METRIC}),
    ("pilots.edit_hypothesis", "POST"): ("innovation", pilots.HypothesisForm,
        {"statement": {}, "reason": {}}),
    ("pilots.new_iteration", "POST"): ("innovation", pilots.IterationForm,
        {"title": {}, "changes": {}, "reason": {}}),
    ("suggestions.add", "POST"): ("department_head", suggestions.SuggestionForm, {"text": {}}),
    ("suggestions.comment", "POST"): ("department_head", suggestions.CommentForm, {"text": {}}),
    ("suggestions.decide", "POST"): ("innovation", suggestions.DecisionForm,
        {"reason": {"status": "declined"}}),
    ("finance.edit_plan", "POST"): ("finance", finance.PlanForm, {"currency": {}}),
    ("finance.add_cost", "POST"): ("finance", finance.CostForm, {"item": {}}),
    ("finance.edit_cost", "POST"): ("finance", finance.CostForm, {"item": {}}),
    ("finance.add_benefit", "POST"): ("finance", finance.BenefitForm, {"description": {}}),
    ("finance.edit_benefit", "POST"): ("finance", finance.BenefitForm, {"description": {}}),
    ("finance.programmes", "POST"): ("finance", finance.ProgrammeForm,
        {"name": {}, "description": {}}),
    ("finance.edit_programme", "POST"): ("finance", finance.ProgrammeForm,
        {"name": {}, "description": {}}),
    ("finance.add_poor_service_line", "POST"): ("finance", finance.PoorServiceLineForm, {
        "key": {}, "segment": {}, "name": {}, "currency": {}, "source": {}, "period": {},
        "description": {}}),
    ("finance.edit_poor_service_line", "POST"): ("finance", finance.PoorServiceLineForm, {
        "name": {}, "source": {}, "description": {}}),
    ("finance.add_claim", "POST"): ("finance", finance.ClaimForm, {"description": {}}),
    ("finance.edit_claim", "POST"): ("finance", finance.ClaimForm, {"description": {}}),
    ("admin.users", "POST"): ("admin", auth.UserForm, {"name": {}, "email": {}, "password": {}}),
    ("admin.user", "POST"): ("admin", auth.ChangeUserForm, {"name": {}}),
    ("admin.reset_password", "POST"): ("admin", auth.PasswordForm, {"password": {}, "confirm": {}}),
    ("admin.departments", "POST"): ("admin", auth.DepartmentForm, {"name": {}}),
    ("admin.department", "POST"): ("admin", auth.DepartmentForm, {"name": {}}),
    ("api_pages.create_token", "POST"): ("innovation", api.TokenForm, {"name": {}}),
}
# fmt: on
CASES = [(key, name) for key, (_, _, fields) in TEXT_FIELDS.items() for name in fields]
# A value each field accepts, for fields the valid request leaves out.
PLAIN = {
    "email": "someone.new@example.org",
    "password": "another long password",
    "confirm": "another long password",
    "current": "a long password",
    "currency": "EUR",
    "slug": "dune-reminders",
    "key": "H7",
    "quantiles": "0.5",
}
NUL_MESSAGE = "Remove the control character U+0000"


def text_columns_snapshot() -> dict[str, list[tuple]]:
    """Every row's text columns, table by table: what a saved text would change."""
    snapshot = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if _is_text(c)]
        if columns:
            rows = db.session.execute(select(*columns)).all()
            snapshot[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return snapshot


def _is_text(column) -> bool:
    try:
        return column.type.python_type is str
    except NotImplementedError:
        return False


def field_section(html: str, name: str) -> str:
    """The page from the field's control to the next control: its label, hint and errors."""
    start = html.index(f'name="{name}"')
    end = html.find('name="', start + 1)
    return unescape(html[start : end if end != -1 else len(html)])


@pytest.mark.parametrize(("key", "field"), CASES, ids=[f"{k[0]}-{f}" for k, f in CASES])
def test_a_nul_in_any_text_field_is_refused_next_to_it_and_nothing_is_stored(world, key, field):
    role, _, fields = TEXT_FIELDS[key]
    client, call = prepare(world, key, role, world.people.get(role))
    data = {**(call.data or {}), **fields[field]}
    data[field] = "ab\x00" + (data.get(field) or PLAIN.get(field, "cd"))
    before = text_columns_snapshot()
    response = deliver(client, key[1], Call(call.path, data=data))
    db.session.rollback()
    assert response.status_code in (200, 422), response.headers.get("Location")
    html = response.get_data(as_text=True)
    assert f"{NUL_MESSAGE} (character 3)" in field_section(html, field)
    assert text_columns_snapshot() == before


@pytest.mark.parametrize(
    ("key", "field", "control"),
    [
        (("suggestions.add", "POST"), "text", "\x1b"),
        (("admin.departments", "POST"), "name", "\t"),
        (("admin.departments", "POST"), "name", "\n"),
        (("finance.add_cost", "POST"), "item", "\x08"),
    ],
)
def test_other_control_characters_are_refused_too(world, key, field, control):
    role, _, _ = TEXT_FIELDS[key]
    client, call = prepare(world, key, role, world.people.get(role))
    data = {**(call.data or {}), field: f"Two{control}words"}
    before = text_columns_snapshot()
    response = deliver(client, key[1], Call(call.path, data=data))
    db.session.rollback()
    assert response.status_code in (200, 422)
    message = f"Remove the control character U+{ord(control):04X} (character 4)"
    assert message in field_section(response.get_data(as_text=True), field)
    assert text_columns_snapshot() == before


def test_text_of_several_lines_keeps_its_tabs_and_line_breaks(world):
    key = ("suggestions.add", "POST")
    client, call = prepare(world, key, "department_head", world.people["department_head"])
    text = "First line\r\n\tindented second line\nthird"
    response = deliver(client, "POST", Call(call.path, data={**call.data, "text": text}))
    db.session.rollback()
    assert response.status_code == 302
    stored = db.session.scalar(select(Suggestion).order_by(Suggestion.id.desc()).limit(1))
    assert stored.text.replace("\r\n", "\n") == text.replace("\r\n", "\n")


# ---------------------------------------------------------------- whole numbers

OUT_OF_RANGE = (2**31, 2**63, 10**23, -(2**31))
NUMBER_FIELDS = [
    (("pilots.new_iteration", "POST"), "number", {}),
    (("pilots.new_hypothesis", "POST"), "planned_sample_size", {}),
    (
        ("pilots.new_hypothesis", "POST"),
        "metric_scale_max",
        {**CUSTOM_METRIC, "metric_scale_min": "0"},
    ),
    (
        ("pilots.new_hypothesis", "POST"),
        "metric_scale_min",
        {**CUSTOM_METRIC, "metric_scale_max": "10"},
    ),
]


@pytest.mark.parametrize("value", OUT_OF_RANGE, ids=["2^31", "2^63", "10^23", "-2^31"])
@pytest.mark.parametrize(
    ("key", "field", "extra"), NUMBER_FIELDS, ids=[f for _, f, _ in NUMBER_FIELDS]
)
def test_a_whole_number_past_the_integer_columns_is_refused_next_to_its_field(
    world, key, field, extra, value
):
    client, call = prepare(world, key, "innovation", world.people["innovation"])
    data = {**call.data, **extra, field: str(value)}
    before = text_columns_snapshot()
    response = deliver(client, key[1], Call(call.path, data=data))
    db.session.rollback()
    assert response.status_code in (200, 422)
    section = field_section(response.get_data(as_text=True), field)
    assert "Enter a whole number from -2,147,483,647 to 2,147,483,647" in section
    assert text_columns_snapshot() == before


# ---------------------------------------------------------------- every form


def form_classes() -> list[type[FlaskForm]]:
    return [
        cls
        for module in FORM_MODULES
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__
    ]


def test_every_form_of_the_app_has_the_checks_of_the_web_form():
    assert form_classes()
    assert [cls.__name__ for cls in form_classes() if not issubclass(cls, WebForm)] == []


def test_every_text_field_of_every_form_is_tried_with_a_nul():
    """A form sent on no page of its own (a base class) counts as tried through those that are."""
    tried: dict[type, set[str]] = {}
    for _, form, fields in TEXT_FIELDS.values():
        tried.setdefault(form, set()).update(fields)
    untried = {}
    for cls in form_classes():
        covered = set().union(*(names for form, names in tried.items() if issubclass(form, cls)))
        if text_fields(cls) - covered:
            untried[cls.__name__] = sorted(text_fields(cls) - covered)
    assert untried == {}


def text_fields(cls: type[FlaskForm]) -> set[str]:
    """Fields people type text into (hidden ones carry only what the page put there)."""
    return {
        name
        for name, member in inspect.getmembers(cls)
        if isinstance(member, UnboundField)
        and issubclass(member.field_class, StringField)
        and not issubclass(member.field_class, HiddenField)
    }
