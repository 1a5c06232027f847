"""The finance forms on their own: what they accept, and the messages beside each field."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from testbed.extensions import db
from testbed.finance import services
from testbed.finance.forms import BenefitForm, CostForm, PlanForm, ProgrammeForm


@pytest.fixture
def request_context(app):
    with app.test_request_context(method="POST"):
        yield


def programme_form(**fields) -> ProgrammeForm:
    data = {"name": "Billing upgrade", "roi_percent": "15", "description": ""} | fields
    return ProgrammeForm(formdata=MultiDict(data))


def test_a_programme_roi_is_typed_as_a_percentage(request_context):
    form = programme_form(roi_percent=" 12.5 ")
    assert form.validate(), form.errors
    assert form.roi_percent.data == 12.5


@pytest.mark.parametrize(
    ("roi", "message"),
    [
        ("2,5", "Enter a number such as 4000 or 12.5 (no thousands separators)."),
        ("nan", "Enter a number such as 4000 or 12.5 (no thousands separators)."),
        ("", "This field is required."),
        ("-101", "Enter −100 or more: a programme loses at most what it costs."),
    ],
)
def test_a_programme_roi_that_is_not_a_possible_percentage_is_refused(
    request_context, roi, message
):
    form = programme_form(roi_percent=roi)
    assert not form.validate()
    assert form.roi_percent.errors == [message]


def test_a_programme_name_is_unique_whatever_its_case(request_context):
    programme = services.add_programme(name="Billing upgrade", roi=0.15, actor="f@example.org")
    db.session.commit()

    form = programme_form(name="  BILLING upgrade ")
    assert not form.validate()
    assert form.name.errors == ["A programme of this name exists already."]

    editing = ProgrammeForm(
        formdata=MultiDict({"name": "Billing upgrade", "roi_percent": "20"}),
        programme_id=programme.id,
    )
    assert editing.validate(), editing.errors


def test_a_stored_fraction_is_shown_as_a_clean_percentage(request_context):
    form = ProgrammeForm(formdata=None)
    form.roi_percent.data = 0.18 * 100  # 18.000000000000004
    assert form.roi_percent._value() == "18"


def cost_form(horizon_years: int = 3, **fields) -> CostForm:
    data = {"version": "1", "item": "Licence", "amount": "1200", "year": "1"} | fields
    return CostForm(formdata=MultiDict(data), horizon_years=horizon_years)


def test_a_cost_inside_the_horizon_is_accepted(request_context):
    form = cost_form(year="3", recurring="y")
    assert form.validate(), form.errors
    assert (form.year.data, form.recurring.data, form.amount.data) == (3, True, 1200.0)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"year": "4"},
            "year",
            "Enter a year from 0 to 3 (the horizon); change the horizon in the plan to go further.",
        ),
        (
            {"year": "-1"},
            "year",
            "Enter a year from 0 to 3 (the horizon); change the horizon in the plan to go further.",
        ),
        ({"year": "1.5"}, "year", "Enter a whole number, such as 2."),
        ({"amount": "0"}, "amount", "Enter a number above zero."),
        ({"amount": "-20"}, "amount", "Enter a number above zero."),
        ({"item": ""}, "item", "This field is required."),
    ],
)
def test_a_cost_that_cannot_be_counted_is_refused_next_to_its_field(
    request_context, fields, field, message
):
    form = cost_form(**fields)
    assert not form.validate()
    assert form[field].errors == [message]


def test_the_year_hint_names_the_horizon(request_context):
    assert "The horizon is 5 years." in cost_form(horizon_years=5).year.description


def test_a_plan_keeps_its_horizon_long_enough_for_its_costs(request_context):
    data = {"version": "1", "currency": "usd", "discount_rate": "8", "horizon_years": "2"}
    form = PlanForm(formdata=MultiDict(data), latest_cost_year=3)
    assert not form.validate()
    assert form.horizon_years.errors == [
        "A cost falls in year 3: move it first, or keep a horizon of 3 years or more."
    ]
    assert form.currency.data == "USD"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"currency": "euro"}, "currency", "Use a three-letter currency code such as EUR."),
        ({"discount_rate": "120"}, "discount_rate", "Enter a rate from 0 to 100."),
        ({"horizon_years": "31"}, "horizon_years", "Enter 1 to 30 years."),
    ],
)
def test_a_plan_out_of_range_is_refused(request_context, fields, field, message):
    data = {"version": "1", "currency": "EUR", "discount_rate": "8", "horizon_years": "3"}
    form = PlanForm(formdata=MultiDict(data | fields))
    assert not form.validate()
    assert form[field].errors == [message]


def benefit_form(pilot, benefit_id=None, **fields) -> BenefitForm:
    data = {
        "version": "1",
        "metric": str(pilot.metric("fta").id),
        "value_per_unit": "85",
        "volume_per_year": "12000",
    } | fields
    return BenefitForm(formdata=MultiDict(data), pilot=pilot, benefit_id=benefit_id)


def test_a_benefit_line_offers_the_pilots_metrics(request_context, finance_pilot):
    form = benefit_form(finance_pilot)
    assert [choice.label for choice in form.metric.choices] == [
        "Waiting time (decrease is better)",
        "Failure to attend (decrease is better)",
    ]
    assert form.validate(), form.errors
    assert form.chosen_metric() is finance_pilot.metric("fta")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"volume_per_year": "-5"}, "volume_per_year", "Enter zero or more."),
        ({"value_per_unit": "0"}, "value_per_unit", "Enter a number above zero."),
        ({"metric": "wait"}, "metric", "This metric has a benefit line already: change that one."),
        ({"metric": "9999"}, "metric", "Not a valid choice."),
    ],
)
def test_a_benefit_line_that_would_mislead_is_refused_next_to_its_field(
    request_context, finance_pilot, fields, field, message
):
    if fields.get("metric") == "wait":
        fields["metric"] = str(finance_pilot.metric("wait").id)
    form = benefit_form(finance_pilot, **fields)
    assert not form.validate()
    assert form[field].errors == [message]


def test_a_benefit_line_may_keep_its_own_metric_when_edited(request_context, finance_pilot):
    (benefit,) = services.benefits_of(finance_pilot)
    form = benefit_form(
        finance_pilot, benefit_id=benefit.id, metric=str(finance_pilot.metric("wait").id)
    )
    assert form.validate(), form.errors
