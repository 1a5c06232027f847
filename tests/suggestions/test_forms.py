"""Suggestion forms: defaults, and errors attached to the field a person must fix."""

from __future__ import annotations

import pytest

from testbed.auth.models import Department
from testbed.extensions import db
from testbed.suggestions.forms import (
    NO_DEPARTMENT,
    CommentForm,
    DecisionForm,
    SuggestionForm,
    VoteForm,
)


@pytest.fixture
def departments(app):
    sales, clinical = Department(name="Sales"), Department(name="Clinical")
    db.session.add_all([sales, clinical])
    db.session.flush()
    return [clinical, sales]


def posted(app, data: dict | None):
    """A request context: a POST of ``data``, or a GET when ``data`` is None."""
    if data is None:
        return app.test_request_context("/")
    return app.test_request_context("/", method="POST", data=data)


def test_the_department_defaults_to_the_authors_own(app, departments):
    clinical, sales = departments
    with posted(app, None):
        form = SuggestionForm(departments, department=sales.id)
        assert form.department.data == sales.id
        assert [label for _, label in form.department.choices] == [
            "No department",
            "Clinical",
            "Sales",
        ]


def test_a_suggestion_posted_without_a_department_keeps_the_default(app, departments):
    sales = departments[1]
    with posted(app, {"text": "Shorter forms"}):
        form = SuggestionForm(departments, department=sales.id)
        assert form.validate()
        assert form.chosen_department() == sales


def test_no_department_is_a_valid_choice(app, departments):
    with posted(app, {"text": "Shorter forms", "department": str(NO_DEPARTMENT)}):
        form = SuggestionForm(departments)
        assert form.validate()
        assert form.chosen_department() is None


def test_a_suggestion_needs_text(app, departments):
    with posted(app, {"text": "  ", "department": "0"}):
        form = SuggestionForm(departments)
        assert not form.validate()
        assert form.errors == {"text": ["Write the suggestion first."]}


def test_an_unknown_department_is_refused(app, departments):
    with posted(app, {"text": "Idea", "department": "999"}):
        form = SuggestionForm(departments)
        assert not form.validate()
        assert form.errors == {"department": ["Choose a department from the list."]}


def test_a_comment_needs_text(app):
    with posted(app, {"text": ""}):
        form = CommentForm()
        assert not form.validate()
        assert form.errors == {"text": ["Write a comment first."]}


@pytest.mark.parametrize(
    ("back", "valid"), [("list", True), ("suggestion", True), ("/evil", False)]
)
def test_a_vote_returns_only_to_a_known_page(app, back, valid):
    with posted(app, {"back": back}):
        assert VoteForm().validate() is valid


def test_a_vote_without_a_page_returns_to_the_suggestion(app):
    with posted(app, {}):
        form = VoteForm()
        assert form.validate()
        assert form.back.data == "suggestion"


def test_the_decision_offers_only_the_allowed_moves(app, pilot):
    with posted(app, None):
        form = DecisionForm("accepted", pilot.iterations)
        assert form.status.choices == [("incorporated", "Incorporated"), ("declined", "Declined")]
        assert [value for value, _ in form.iteration.choices] == [0, pilot.iterations[0].id]


@pytest.mark.parametrize(
    ("current", "data", "errors"),
    [
        ("new", {}, {"status": ["Choose where it goes."]}),
        ("new", {"status": "incorporated"}, {"status": ["Choose where it goes."]}),
        (
            "accepted",
            {"status": "incorporated"},
            {"iteration": ["Choose the iteration of this pilot that adopted it."]},
        ),
        ("accepted", {"status": "incorporated", "iteration": "999"}, None),
        ("new", {"status": "declined", "reason": "  "}, {"reason": ["Say why it is declined."]}),
    ],
)
def test_the_decision_puts_each_error_on_its_field(app, pilot, current, data, errors):
    with posted(app, data):
        form = DecisionForm(current, pilot.iterations)
        assert not form.validate()
        if errors is None:
            assert form.errors["iteration"][0] == "Choose an iteration of this pilot."
        else:
            assert form.errors == errors


@pytest.mark.parametrize(
    ("current", "data"),
    [
        ("new", {"status": "under_review"}),
        ("new", {"status": "declined", "reason": "Already tried in 2023"}),
        ("accepted", {"status": "incorporated", "iteration": "ITERATION"}),
    ],
)
def test_a_complete_decision_is_valid(app, pilot, current, data):
    data = {k: str(pilot.iterations[0].id) if v == "ITERATION" else v for k, v in data.items()}
    with posted(app, data):
        form = DecisionForm(current, pilot.iterations)
        assert form.validate(), form.errors
        expected = pilot.iterations[0] if data["status"] == "incorporated" else None
        assert form.chosen_iteration() == expected
