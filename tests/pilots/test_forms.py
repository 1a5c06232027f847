"""The pilot forms on their own: each rule puts its message next to the field at fault."""

from __future__ import annotations

import pytest
from flask import request

from testbed.auth.services import department_named
from testbed.extensions import db
from testbed.pilots.forms import HypothesisForm, IterationForm, PilotForm, PortfolioFilter
from testbed.pilots.models import Partner
from testbed.pilots.services import NewPartner


def posted(app, form_class, data: dict, *args):
    """Build ``form_class`` from a POST of ``data`` and validate it."""
    with app.test_request_context(method="POST", data=data):
        form = form_class(*args)
        form.valid = form.validate()
        return form


def pilot_data(**overrides) -> dict:
    data = {
        "name": "Phone reminders",
        "partner": "0",
        "new_partner_name": "Small Clinic",
        "new_partner_size": "small",
        "status": "draft",
    }
    return {k: v for k, v in {**data, **overrides}.items() if v is not None}


def test_a_complete_new_pilot_is_valid_and_describes_its_new_partner(app):
    operations = department_named("Operations")
    db.session.commit()
    form = posted(app, PilotForm, pilot_data(departments=[str(operations.id)]))
    assert form.valid, form.errors
    fields = form.fields()
    assert fields.partner == NewPartner("Small Clinic", "", "small", False)
    assert fields.departments == (operations,)
    assert fields.slug == ""


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "give the pilot a name"),
        ({"slug": "no spaces"}, "slug", "letters, digits"),
        ({"slug": "fresh"}, "slug", "another pilot has the address"),
        ({"slug": "new"}, "slug", "another pilot has the address"),
        ({"new_partner_name": ""}, "new_partner_name", "name the new partner"),
        ({"new_partner_name": "small clinic"}, "new_partner_name", "exists already"),
        ({"start_date": "2025-03-01", "end_date": "2025-02-01"}, "end_date", "before the start"),
        ({"start_date": "soon"}, "start_date", "Not a valid date"),
        ({"status": "concluded"}, "status", "Not a valid choice"),
    ],
)
def test_pilot_form_rules(app, fresh_pilot, overrides, field, message):
    form = posted(app, PilotForm, pilot_data(**overrides))
    assert not form.valid
    assert any(message in error for error in form[field].errors), form.errors


def test_choosing_a_key_account_asks_for_a_reason(app):
    key = Partner(name="Big Telco", key_account=True)
    db.session.add(key)
    db.session.commit()
    form = posted(app, PilotForm, pilot_data(partner=str(key.id)))
    assert not form.valid
    assert form.key_account_chosen
    assert "alarm sales" in form.key_account_reason.errors[0]
    with_reason = posted(app, PilotForm, pilot_data(partner=str(key.id), key_account_reason="ok"))
    assert with_reason.valid, with_reason.errors


def test_a_new_partner_flagged_as_key_account_asks_for_a_reason(app):
    form = posted(app, PilotForm, pilot_data(new_partner_key_account="y"))
    assert form.key_account_chosen
    assert form.key_account_reason.errors


def test_the_reason_given_before_is_offered_for_confirmation(app):
    key = Partner(name="Big Telco", key_account=True, key_account_reason="Sales agreed in May")
    db.session.add(key)
    db.session.commit()
    form = posted(app, PilotForm, pilot_data(partner=str(key.id)))
    assert not form.valid
    assert form.key_account_reason.data == "Sales agreed in May"


def test_an_edit_offers_only_the_next_sensible_statuses_and_no_slug(app, fresh_pilot):
    with app.test_request_context():
        form = PilotForm(fresh_pilot)
        assert [c.value for c in form.status.choices] == [
            "active",
            "paused",
            "concluded",
            "abandoned",
        ]
        assert "slug" not in form
        assert form.version.data == fresh_pilot.version
        assert form.departments.data == [d.id for d in fresh_pilot.departments]


def hypothesis_data(**overrides) -> dict:
    data = {
        "version": "1",
        "key": "H1",
        "statement": "Reminders lower no-shows.",
        "metric": "pilot:fta",
        "role": "primary",
        "design": "concurrent",
        "method": "fixed",
        "alpha": "0.05",
        "predictor": "",
        "metric_kind": "mean",
        "metric_direction": "decrease",
        "metric_indicator": "lagging",
        "metric_perspective": "customer",
    }
    return {k: v for k, v in {**data, **overrides}.items() if v is not None}


def test_a_hypothesis_on_a_library_metric_is_valid(app, fresh_pilot):
    form = posted(app, HypothesisForm, hypothesis_data(metric="library:csat"), fresh_pilot)
    assert form.valid, form.errors
    assert form.fields().metric.key == "csat"


def test_the_library_offers_only_metrics_the_pilot_lacks(app, fresh_pilot):
    with app.test_request_context():
        values = [c.value for c in HypothesisForm(fresh_pilot).metric.choices]
    assert "pilot:fta" in values and "library:csat" in values and "custom" in values
    assert "library:fta" not in values


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"statement": ""}, "statement", "state what you expect"),
        ({"metric": ""}, "metric", "pick the metric"),
        ({"key": "H 1"}, "key", "letters, digits"),
        ({"alpha": "1.5"}, "alpha", "between 0 and 1"),
        ({"alpha": ""}, "alpha", "give a level"),
        ({"planned_sample_size": "0"}, "planned_sample_size", "at least 1"),
        ({"quantiles": "0.5, 1.2"}, "quantiles", "between 0 and 1"),
        ({"quantiles": "median"}, "quantiles", "between 0 and 1"),
        ({"design": "threshold"}, "design", "needs a predictor"),
        ({"design": "its", "method": "sequential"}, "method", "fixed test only"),
        ({"role": "guardrail", "design": "did"}, "design", "guardrail compares two groups"),
        ({"role": "guardrail", "minimum_effect": "-1"}, "minimum_effect", "not be negative"),
        ({"metric": "custom"}, "metric_key", "give the new metric a key"),
        ({"metric": "custom", "metric_key": "wait"}, "metric_key", "taken"),
        ({"metric": "custom", "metric_key": "nps"}, "metric_key", "taken"),
        ({"metric": "custom", "metric_key": "mood"}, "metric_name", "name the new metric"),
        (
            {
                "metric": "custom",
                "metric_key": "mood",
                "metric_name": "Mood",
                "metric_scale_min": "5",
            },
            "metric_scale_max",
            "both ends",
        ),
    ],
)
def test_hypothesis_form_rules(app, fresh_pilot, overrides, field, message):
    form = posted(app, HypothesisForm, hypothesis_data(**overrides), fresh_pilot)
    assert not form.valid
    assert any(message in error for error in form[field].errors), form.errors


def test_a_threshold_with_a_library_predictor_is_valid(app, fresh_pilot):
    data = hypothesis_data(metric="pilot:wait", design="threshold", predictor="library:occupancy")
    form = posted(app, HypothesisForm, data, fresh_pilot)
    assert form.valid, form.errors
    fields = form.fields()
    assert (fields.metric.key, fields.predictor.key) == ("wait", "occupancy")


def test_a_custom_metric_is_described_by_its_fields(app, fresh_pilot):
    data = hypothesis_data(
        metric="custom",
        metric_key="mood",
        metric_name="Patient mood",
        metric_kind="mean",
        metric_direction="increase",
        metric_scale_min="1",
        metric_scale_max="5",
        quantiles="0.5; 0.9",
    )
    form = posted(app, HypothesisForm, data, fresh_pilot)
    assert form.valid, form.errors
    fields = form.fields()
    assert (fields.metric.key, fields.metric.scale, fields.quantiles) == (
        "mood",
        (1, 5),
        [0.5, 0.9],
    )


def test_a_locked_hypothesis_asks_for_a_reason(app, loaded_pilot):
    hypothesis = loaded_pilot.hypotheses[0]
    form = posted(app, HypothesisForm, hypothesis_data(key=None), loaded_pilot, hypothesis)
    assert not form.valid
    assert "say why" in form.reason.errors[0]
    assert "key" not in form


def test_an_open_hypothesis_has_no_reason_field(app, fresh_pilot):
    with app.test_request_context():
        assert "reason" not in HypothesisForm(fresh_pilot)


def iteration_data(**overrides) -> dict:
    data = {"version": "1", "number": "2", "title": "Phone calls"}
    return {k: v for k, v in {**data, **overrides}.items() if v is not None}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"number": "1"}, "number", "has an iteration 1 already"),
        ({"number": "0"}, "number", "from 1"),
        ({"title": ""}, "title", "give the iteration a title"),
        ({"start_date": "2025-05-01", "end_date": "2025-04-01"}, "end_date", "before the start"),
    ],
)
def test_iteration_form_rules(app, loaded_pilot, overrides, field, message):
    form = posted(app, IterationForm, iteration_data(**overrides), loaded_pilot)
    assert not form.valid
    assert any(message in error for error in form[field].errors), form.errors


def test_an_iteration_offers_only_this_pilots_accepted_suggestions(
    app, loaded_pilot, fresh_pilot, suggestion
):
    accepted = suggestion(loaded_pilot)
    suggestion(loaded_pilot, status="new", text="Not yet reviewed")
    foreign = suggestion(fresh_pilot)
    with app.test_request_context():
        form = IterationForm(loaded_pilot)
        assert [c.value for c in form.suggestions.choices] == [accepted.id]
        assert form.number.data == 2
    chosen = posted(
        app, IterationForm, iteration_data(suggestions=[str(accepted.id)]), loaded_pilot
    )
    assert chosen.valid and chosen.adopted() == [accepted]
    smuggled = posted(
        app, IterationForm, iteration_data(suggestions=[str(foreign.id)]), loaded_pilot
    )
    assert not smuggled.valid
    assert smuggled.suggestions.errors


def test_the_portfolio_filter_ignores_what_it_does_not_understand(app, fresh_pilot):
    with app.test_request_context("/?status=active&partner=abc"):
        assert PortfolioFilter(request.args).filters() == {}
    with app.test_request_context(f"/?status=active&partner={fresh_pilot.partner_id}"):
        assert PortfolioFilter(request.args).filters() == {
            "status": "active",
            "department_id": None,
            "partner_id": fresh_pilot.partner_id,
        }
