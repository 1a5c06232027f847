"""Pilot services called directly: every rule, the audit trail, and nothing half saved."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from testbed.audit import AuditEvent
from testbed.auth.services import department_named
from testbed.extensions import db
from testbed.pilots import services
from testbed.pilots.library import MetricDefinition, library_metric
from testbed.pilots.models import Hypothesis, Iteration, Metric, Partner, Pilot
from testbed.pilots.services import (
    HypothesisFields,
    InvalidField,
    IterationFields,
    NewPartner,
    PilotFields,
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def events(action: str, entity: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.entity == entity)
    return list(db.session.scalars(query))


def attempt(change):
    """Run a service change the way a view does: commit, or roll back on a broken rule."""
    try:
        result = change()
        db.session.commit()
        return result
    except ValueError:
        db.session.rollback()
        raise


def new_fields(**overrides) -> PilotFields:
    fields = {"name": "Phone reminders", "partner": NewPartner("Small Clinic"), "status": "draft"}
    return PilotFields(**{**fields, **overrides})


# Slugs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Phone reminders", "phone-reminders"),
        ("Café  reminders!", "cafe-reminders"),
        ("  --Ünïcode--  ", "unicode"),
        ("???", "pilot"),
        ("x" * 120, "x" * 80),
    ],
)
def test_a_slug_is_derived_from_the_name(name, slug):
    assert services.slug_for(name) == slug


def test_a_derived_slug_is_numbered_when_taken(app, innovator):
    first = attempt(lambda: services.create_pilot(new_fields(), by=innovator))
    second = attempt(
        lambda: services.create_pilot(
            new_fields(partner=first.partner, status="active"), by=innovator
        )
    )
    assert (first.slug, second.slug) == ("phone-reminders", "phone-reminders-2")


def test_the_address_of_the_new_pilot_form_is_never_a_slug(app):
    assert services.slug_taken("new")
    assert services.unique_slug("New") == "new-2"


def test_an_explicit_slug_must_be_free(app, innovator, fresh_pilot):
    with pytest.raises(InvalidField) as caught:
        attempt(lambda: services.create_pilot(new_fields(slug="fresh"), by=innovator))
    assert caught.value.field == "slug"
    assert count(Pilot) == 1


# Creating and editing pilots -------------------------------------------------------


def test_create_a_pilot_with_a_new_partner_and_record_both(app, innovator):
    operations = department_named("Operations")
    pilot = attempt(
        lambda: services.create_pilot(
            new_fields(
                partner=NewPartner("Harbour Dental", segment="healthcare", size="small"),
                start_date=date(2025, 1, 6),
                departments=(operations,),
                summary="  Do phone calls help?  ",
            ),
            by=innovator,
        )
    )
    assert pilot.slug == "phone-reminders"
    assert (pilot.partner.name, pilot.partner.segment) == ("Harbour Dental", "healthcare")
    assert pilot.summary == "Do phone calls help?"
    assert [d.name for d in pilot.departments] == ["Operations"]
    (created,) = events("created", "pilot")
    assert created.pilot_id == pilot.id and created.user_id == innovator.id
    (partner_event,) = events("created", "partner")
    assert partner_event.pilot_id == pilot.id
    assert "Harbour Dental" in partner_event.summary


def test_a_new_pilot_starts_as_draft_or_active(app, innovator):
    with pytest.raises(InvalidField) as caught:
        attempt(lambda: services.create_pilot(new_fields(status="concluded"), by=innovator))
    assert caught.value.field == "status"
    assert count(Pilot) == 0


def test_a_key_account_needs_a_reason_and_nothing_is_saved_without_it(app, innovator):
    key = NewPartner("Big Telco", key_account=True)
    with pytest.raises(InvalidField) as caught:
        attempt(lambda: services.create_pilot(new_fields(partner=key), by=innovator))
    assert caught.value.field == "key_account_reason"
    assert "alarm sales" in caught.value.message
    assert (count(Pilot), count(Partner), count(AuditEvent)) == (0, 0, 0)


def test_the_key_account_reason_is_kept_on_the_partner(app, innovator):
    key = NewPartner("Big Telco", key_account=True)
    reason = "Sales agreed: their new branch office is small."
    pilot = attempt(
        lambda: services.create_pilot(
            new_fields(partner=key, key_account_reason=reason), by=innovator
        )
    )
    assert pilot.partner.key_account_reason == reason
    assert reason in events("created", "pilot")[0].summary


def test_a_new_partner_needs_a_free_name(app, innovator, fresh_pilot):
    for name, message in (("  ", "name the new partner"), ("small clinic", "exists")):
        with pytest.raises(InvalidField) as caught:
            attempt(
                lambda name=name: services.create_pilot(
                    new_fields(partner=NewPartner(name)), by=innovator
                )
            )
        assert caught.value.field == "new_partner_name"
        assert message in caught.value.message
    assert count(Partner) == 1


def test_a_partner_name_is_taken_whatever_its_case_in_any_alphabet(app, innovator):
    services.create_pilot(new_fields(partner=NewPartner("Ärztehaus Nord")), by=innovator)
    db.session.commit()
    with pytest.raises(InvalidField) as caught:
        attempt(
            lambda: services.create_pilot(
                new_fields(name="Second pilot", partner=NewPartner("ÄRZTEHAUS NORD")),
                by=innovator,
            )
        )
    assert caught.value.field == "new_partner_name"
    assert services.partner_named("ärztehaus nord").name == "Ärztehaus Nord"


def test_the_end_date_must_not_come_before_the_start(app, innovator):
    fields = new_fields(start_date=date(2025, 3, 1), end_date=date(2025, 2, 1))
    with pytest.raises(InvalidField) as caught:
        attempt(lambda: services.create_pilot(fields, by=innovator))
    assert caught.value.field == "end_date"
    assert count(Pilot) == 0


def edit_fields(pilot: Pilot, **overrides) -> PilotFields:
    fields = {
        "name": pilot.name,
        "partner": pilot.partner,
        "status": pilot.status,
        "start_date": pilot.start_date,
        "end_date": pilot.end_date,
        "summary": pilot.summary,
        "departments": tuple(pilot.departments),
    }
    return PilotFields(**{**fields, **overrides})


def test_an_edit_returns_and_records_what_changed_and_raises_the_version(
    app, innovator, fresh_pilot
):
    version = fresh_pilot.version
    changes = attempt(
        lambda: services.update_pilot(
            fresh_pilot,
            edit_fields(fresh_pilot, name="Calmer reminders", status="paused"),
            by=innovator,
        )
    )
    assert changes == ["name: Fresh pilot → Calmer reminders", "status: active → paused"]
    assert fresh_pilot.version > version
    (updated,) = events("updated", "pilot")
    assert updated.summary == "; ".join(changes)


def test_an_edit_that_changes_nothing_records_nothing(app, innovator, fresh_pilot):
    version = fresh_pilot.version
    assert (
        attempt(lambda: services.update_pilot(fresh_pilot, edit_fields(fresh_pilot), by=innovator))
        == []
    )
    assert fresh_pilot.version == version
    assert events("updated", "pilot") == []


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("draft", "active", True),
        ("draft", "concluded", False),
        ("active", "paused", True),
        ("paused", "active", True),
        ("active", "concluded", True),
        ("concluded", "scaled", True),
        ("concluded", "active", False),
        ("scaled", "abandoned", False),
        ("abandoned", "active", False),
    ],
)
def test_only_sensible_status_changes_are_allowed(
    app, innovator, fresh_pilot, start, target, allowed
):
    fresh_pilot.status = start
    db.session.commit()
    change = lambda: services.update_pilot(  # noqa: E731
        fresh_pilot, edit_fields(fresh_pilot, status=target), by=innovator
    )
    if allowed:
        attempt(change)
        assert fresh_pilot.status == target
    else:
        with pytest.raises(InvalidField) as caught:
            attempt(change)
        assert caught.value.field == "status"
        assert db.session.get(Pilot, fresh_pilot.id).status == start


# The portfolio ---------------------------------------------------------------------


def test_the_portfolio_filters_by_status_department_and_partner(app, loaded_pilot, fresh_pilot):
    def slugs(**filters):
        return [row["pilot"].slug for row in services.portfolio_rows(**filters)]

    finance = department_named("Finance")
    assert slugs() == ["fresh", "reminders"]
    assert slugs(status="active") == ["fresh", "reminders"]
    assert slugs(status="draft") == []
    assert slugs(department_id=finance.id) == ["reminders"]
    assert slugs(partner_id=fresh_pilot.partner_id) == ["fresh"]


def test_a_portfolio_row_carries_the_primary_verdict_and_its_strength(app, loaded_pilot):
    (row,) = services.portfolio_rows()
    assert row["primary"].key == "H1"
    assert row["result"]["hypothesis"] == "H1"
    assert row["result"]["verdict"]
    assert row["strength"] in services.STRENGTHS
    assert row["suggestions"] == 0
    assert row["iteration"].number == 1


def result(**fields) -> dict:
    return {"method": "fixed", "alpha": 0.05, "error": None, "p_value": None, **fields}


@pytest.mark.parametrize(
    ("outcome", "strength"),
    [
        (None, "untested"),
        (result(error="the pilot group has no observations"), "untested"),
        (result(p_value=None), "untested"),
        (result(p_value=0.001, p_value_adjusted=0.004), "strong"),
        (result(p_value=0.001, p_value_adjusted=0.02), "moderate"),
        (result(p_value=0.003, alpha=0.005), "strong"),
        (result(p_value=0.008, alpha=0.005), "weak"),
        (result(p_value=0.2), "weak"),
        (result(method="bayesian", chance_to_beat_baseline=0.995), "strong"),
        (result(method="bayesian", chance_to_beat_baseline=0.004), "strong"),
        (result(method="bayesian", chance_to_beat_baseline=0.96), "moderate"),
        (result(method="bayesian", chance_to_beat_baseline=0.7), "weak"),
    ],
)
def test_evidence_strength_follows_the_legend(outcome, strength):
    assert services.evidence_strength(outcome) == strength


# Hypotheses ------------------------------------------------------------------------


def hypothesis_fields(pilot: Pilot, **overrides) -> HypothesisFields:
    fields = {
        "statement": "Reminders lower no-shows.",
        "metric": pilot.metric("fta"),
        "role": "primary",
    }
    return HypothesisFields(**{**fields, **overrides})


def test_register_a_hypothesis_on_a_library_metric_adds_the_metric(app, innovator, fresh_pilot):
    csat = library_metric("csat")
    hypothesis = attempt(
        lambda: services.register_hypothesis(
            fresh_pilot, "H1", hypothesis_fields(fresh_pilot, metric=csat), by=innovator
        )
    )
    metric = fresh_pilot.metric("csat")
    assert hypothesis.metric is metric
    assert (metric.kind, metric.direction, metric.perspective) == (
        "proportion",
        "increase",
        "customer",
    )
    assert hypothesis.locked_at is None
    assert [e.summary.split(":")[0] for e in events("added", "metric")] == ["csat"]
    assert len(events("registered", "hypothesis")) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"design": "threshold"}, "design", "needs a predictor"),
        ({"design": "did", "method": "bayesian"}, "method", "fixed test only"),
        ({"role": "guardrail", "design": "its"}, "design", "guardrail compares two groups"),
        ({"planned_sample_size": 0}, "planned_sample_size", "at least 1"),
        ({"role": "guardrail", "minimum_effect": -0.1}, "minimum_effect", "must not be negative"),
        ({"statement": "   "}, "statement", "state what you expect"),
    ],
)
def test_the_loader_rules_apply_to_registered_hypotheses(
    app, innovator, fresh_pilot, overrides, field, message
):
    fields = hypothesis_fields(fresh_pilot, **overrides)
    with pytest.raises(InvalidField) as caught:
        attempt(lambda: services.register_hypothesis(fresh_pilot, "H1", fields, by=innovator))
    assert caught.value.field == field
    assert message in caught.value.message
    assert count(Hypothesis) == 0


def test_a_custom_metric_cannot_take_an_existing_key(app, innovator, fresh_pilot):
    custom = MetricDefinition(
        area="",
        key="wait",
        name="Another wait",
        kind="mean",
        direction="decrease",
        unit="",
        indicator="lagging",
        perspective="customer",
    )
    with pytest.raises(InvalidField) as caught:
        attempt(
            lambda: services.register_hypothesis(
                fresh_pilot, "H1", hypothesis_fields(fresh_pilot, metric=custom), by=innovator
            )
        )
    assert caught.value.field == "metric_key"
    assert count(Metric) == 2


def test_keys_are_unique_within_a_pilot(app, innovator, fresh_pilot):
    attempt(
        lambda: services.register_hypothesis(
            fresh_pilot, "H1", hypothesis_fields(fresh_pilot), by=innovator
        )
    )
    with pytest.raises(InvalidField) as caught:
        attempt(
            lambda: services.register_hypothesis(
                fresh_pilot, "H1", hypothesis_fields(fresh_pilot), by=innovator
            )
        )
    assert caught.value.field == "key"
    assert services.next_hypothesis_key(fresh_pilot) == "H2"


def test_a_hypothesis_on_a_metric_with_data_is_locked_at_once(app, innovator, loaded_pilot):
    fields = hypothesis_fields(loaded_pilot, metric=loaded_pilot.metric("wait"), role="secondary")
    hypothesis = attempt(
        lambda: services.register_hypothesis(loaded_pilot, "H2", fields, by=innovator)
    )
    assert hypothesis.locked_at is not None


def test_an_open_hypothesis_changes_without_an_amendment(app, innovator, fresh_pilot):
    hypothesis = attempt(
        lambda: services.register_hypothesis(
            fresh_pilot, "H1", hypothesis_fields(fresh_pilot), by=innovator
        )
    )
    changes = attempt(
        lambda: services.update_hypothesis(
            hypothesis,
            hypothesis_fields(fresh_pilot, alpha=0.01, quantiles=[0.5, 0.9]),
            by=innovator,
        )
    )
    assert changes == ["alpha: 0.05 → 0.01", "quantiles: – → 0.5, 0.9"]
    assert hypothesis.amendments == []
    assert len(events("updated", "hypothesis")) == 1


def test_a_locked_hypothesis_changes_only_with_a_reason_kept_as_an_amendment(
    app, innovator, loaded_pilot
):
    hypothesis = loaded_pilot.hypotheses[0]
    assert hypothesis.locked_at is not None
    changed = hypothesis_fields(loaded_pilot, alpha=0.01, statement=hypothesis.statement)
    with pytest.raises(InvalidField) as caught:
        attempt(lambda: services.update_hypothesis(hypothesis, changed, by=innovator, reason=" "))
    assert caught.value.field == "reason"
    assert db.session.get(Hypothesis, hypothesis.id).alpha == 0.05

    attempt(
        lambda: services.update_hypothesis(
            hypothesis, changed, by=innovator, reason="Finance asked"
        )
    )
    later = hypothesis_fields(
        loaded_pilot, alpha=0.01, statement=hypothesis.statement, metric=loaded_pilot.metric("wait")
    )
    attempt(
        lambda: services.update_hypothesis(hypothesis, later, by=innovator, reason="Wrong metric")
    )
    db.session.expire_all()
    amendments = db.session.get(Hypothesis, hypothesis.id).amendments
    assert [(a.reason, a.changes, a.actor) for a in amendments] == [
        ("Finance asked", "alpha: 0.05 → 0.01", "Ines"),
        # Moved onto a metric whose data it has seen, it is stated after them.
        ("Wrong metric", "metric: fta → wait\nregistration: confirmatory → exploratory", "Ines"),
    ]
    assert [e.action for e in events("amended", "hypothesis")] == ["amended", "amended"]


# Iterations ------------------------------------------------------------------------


def iteration_fields(**overrides) -> IterationFields:
    return IterationFields(**{"number": 2, "title": "Phone call for repeat no-shows", **overrides})


def test_an_iteration_incorporates_the_suggestions_it_adopts(
    app, innovator, loaded_pilot, suggestion
):
    adopted = suggestion(loaded_pilot)
    version = loaded_pilot.version
    iteration = attempt(
        lambda: services.log_iteration(loaded_pilot, iteration_fields(), [adopted], by=innovator)
    )
    assert (adopted.status, adopted.iteration) == ("incorporated", iteration)
    assert loaded_pilot.version > version
    assert services.adopted_suggestions(loaded_pilot) == {iteration.id: [adopted]}
    assert len(events("logged", "iteration")) == 1
    assert len(events("moved", "suggestion")) == 1


def test_adopting_a_suggestion_of_another_pilot_writes_nothing(
    app, innovator, loaded_pilot, fresh_pilot, suggestion
):
    own, foreign = suggestion(loaded_pilot), suggestion(fresh_pilot)
    before = (count(Iteration), count(AuditEvent))
    with pytest.raises(InvalidField) as caught:
        attempt(
            lambda: services.log_iteration(
                loaded_pilot, iteration_fields(), [own, foreign], by=innovator
            )
        )
    assert caught.value.field == "suggestions"
    assert (count(Iteration), count(AuditEvent)) == before
    db.session.expire_all()
    assert (own.status, foreign.status) == ("accepted", "accepted")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"number": 1}, "number"),
        ({"number": 0}, "number"),
        ({"title": " "}, "title"),
        ({"start_date": date(2025, 5, 1), "end_date": date(2025, 4, 1)}, "end_date"),
    ],
)
def test_an_iteration_needs_a_free_number_a_title_and_ordered_dates(
    app, innovator, loaded_pilot, overrides, field
):
    with pytest.raises(InvalidField) as caught:
        attempt(
            lambda: services.log_iteration(
                loaded_pilot, iteration_fields(**overrides), [], by=innovator
            )
        )
    assert caught.value.field == field
    assert count(Iteration) == 1


def test_only_accepted_suggestions_can_be_adopted(app, innovator, loaded_pilot, suggestion):
    new = suggestion(loaded_pilot, status="new")
    with pytest.raises(InvalidField) as caught:
        attempt(
            lambda: services.log_iteration(loaded_pilot, iteration_fields(), [new], by=innovator)
        )
    assert "only accepted" in caught.value.message
    assert count(Iteration) == 1
    assert services.next_iteration_number(loaded_pilot) == 2
