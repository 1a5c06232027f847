"""The administration forms on their own: what they accept and the messages they give."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from testbed.auth.forms import DepartmentForm, PasswordForm, UserForm
from testbed.auth.services import add_department, add_user
from testbed.extensions import db

ADMIN = {"actor": "ada@example.org"}


@pytest.fixture
def request_context(app):
    with app.test_request_context(method="POST"):
        yield


def test_the_user_form_checks_each_field(request_context):
    data = {"email": "not-an-address", "role": "finance", "department": "0", "password": "short"}
    form = UserForm(formdata=MultiDict(data))
    assert not form.validate()
    assert form.email.errors == ["Enter an e-mail address."]
    assert form.password.errors == ["Use 8 to 128 characters."]
    assert form.role.errors == []


def test_the_user_form_refuses_a_taken_email_and_offers_departments(request_context):
    sales = add_department("Sales", **ADMIN)
    add_user(
        email="ines@example.org",
        name="",
        role="innovation",
        department=None,
        password="a long password",
        **ADMIN,
    )
    db.session.commit()
    data = {"email": " INES@example.org", "role": "finance", "password": "long enough"}
    form = UserForm(formdata=MultiDict(data | {"department": str(sales.id)}), departments=[sales])
    assert not form.validate()
    assert form.email.errors == ["An account with this e-mail exists already."]
    choices = [(choice.value, choice.label) for choice in form.department.choices]
    assert choices == [(0, "No department"), (sales.id, "Sales")]
    assert form.chosen_department() is sales


def test_the_user_form_refuses_an_unknown_role(request_context):
    data = {"email": "a@example.org", "role": "owner", "department": "0", "password": "long one"}
    form = UserForm(formdata=MultiDict(data))
    assert not form.validate()
    assert form.role.errors == ["Not a valid choice."]


def test_the_password_form_wants_the_same_password_twice(request_context):
    form = PasswordForm(formdata=MultiDict({"password": "long enough", "confirm": "long enuogh"}))
    assert not form.validate()
    assert form.confirm.errors == ["The two passwords differ."]


def test_the_department_form_refuses_a_taken_name_but_not_its_own(request_context):
    sales = add_department("Sales", **ADMIN)
    db.session.commit()
    taken = DepartmentForm(formdata=MultiDict({"name": "sales "}))
    assert not taken.validate()
    assert taken.name.errors == ["A department of this name exists already."]
    own = DepartmentForm(formdata=MultiDict({"name": "SALES"}), department_id=sales.id)
    assert own.validate(), own.errors
