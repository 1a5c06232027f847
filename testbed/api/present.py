"""Stored objects as response models: what a client sees of each."""

from __future__ import annotations

from flask import url_for

from testbed.api import schemas
from testbed.api.models import ApiToken
from testbed.auth.access import PERMISSIONS, can
from testbed.auth.models import User
from testbed.pilots.models import Hypothesis, Iteration, Metric, Pilot
from testbed.store.models import ImportBatch
from testbed.suggestions.models import Suggestion


def pilot_links(pilot: Pilot) -> dict[str, str]:
    links = {
        "self": url_for("api.get_pilot", slug=pilot.slug),
        "metrics": url_for("api.list_metrics", slug=pilot.slug),
        "hypotheses": url_for("api.list_hypotheses", slug=pilot.slug),
        "iterations": url_for("api.list_iterations", slug=pilot.slug),
        "suggestions": url_for("api.list_suggestions", slug=pilot.slug),
        "observations": url_for("api.push_observations", slug=pilot.slug),
        "batches": url_for("api.list_batches", slug=pilot.slug),
        "results": url_for("api.get_results", slug=pilot.slug),
        "returns": url_for("api.get_returns", slug=pilot.slug),
        "page": url_for("pilots.pilot", slug=pilot.slug),
    }
    return links


def pilot(pilot: Pilot) -> schemas.Pilot:
    partner = pilot.partner
    return schemas.Pilot.model_validate(
        {
            "id": pilot.id,
            "slug": pilot.slug,
            "name": pilot.name,
            "status": pilot.status,
            "partner": {
                "name": partner.name,
                "segment": partner.segment,
                "size": partner.size,
                "key_account": partner.key_account,
                "key_account_reason": partner.key_account_reason,
            },
            "start_date": pilot.start_date,
            "end_date": pilot.end_date,
            "summary": pilot.summary,
            "pilot_share": pilot.pilot_share,
            "departments": [d.name for d in pilot.departments],
            "version": pilot.version,
            "created_at": pilot.created_at,
            "updated_at": pilot.updated_at,
            "links": pilot_links(pilot),
        }
    )


def metric(metric: Metric) -> schemas.Metric:
    return schemas.Metric.model_validate(
        {
            name: getattr(metric, name)
            for name in (
                "id",
                "key",
                "name",
                "kind",
                "direction",
                "unit",
                "indicator",
                "perspective",
                "scale_min",
                "scale_max",
            )
        }
    )


def hypothesis(hypothesis: Hypothesis) -> schemas.Hypothesis:
    return schemas.Hypothesis.model_validate(
        {
            "id": hypothesis.id,
            "key": hypothesis.key,
            "statement": hypothesis.statement,
            "metric": hypothesis.metric.key,
            "predictor": hypothesis.predictor.key if hypothesis.predictor else None,
            "role": hypothesis.role,
            "design": hypothesis.design,
            "method": hypothesis.method,
            "alpha": hypothesis.alpha,
            "minimum_effect": hypothesis.minimum_effect,
            "planned_sample_size": hypothesis.planned_sample_size,
            "quantiles": hypothesis.quantiles,
            "locked_at": hypothesis.locked_at,
            "registration": hypothesis.registration,
            "amendments": [
                {
                    "at": amendment.at,
                    "actor": amendment.actor,
                    "reason": amendment.reason,
                    "changes": amendment.changes.splitlines(),
                }
                for amendment in hypothesis.amendments
            ],
        }
    )


def iteration(iteration: Iteration, adopted: list[Suggestion]) -> schemas.Iteration:
    return schemas.Iteration.model_validate(
        {
            "id": iteration.id,
            "number": iteration.number,
            "title": iteration.title,
            "start_date": iteration.start_date,
            "end_date": iteration.end_date,
            "changes": iteration.changes,
            "reason": iteration.reason,
            "adopted_suggestions": [s.id for s in adopted],
        }
    )


def suggestion(suggestion: Suggestion) -> schemas.Suggestion:
    return schemas.Suggestion.model_validate(
        {
            "id": suggestion.id,
            "text": suggestion.text,
            "status": suggestion.status,
            "author": suggestion.author,
            "department": suggestion.department.name if suggestion.department else None,
            "proposed_on": suggestion.proposed,
            "iteration": suggestion.iteration.number if suggestion.iteration else None,
            "reason": suggestion.reason,
            "steps": [
                {
                    "from_status": step.from_status,
                    "status": step.status,
                    "at": step.at,
                    "actor": step.actor,
                    "reason": step.reason,
                    "iteration": step.iteration.number if step.iteration else None,
                }
                for step in suggestion.steps
            ],
        }
    )


def batch(batch: ImportBatch) -> schemas.Batch:
    return schemas.Batch.model_validate(
        {
            name: getattr(batch, name)
            for name in (
                "id",
                "origin",
                "source",
                "rows",
                "digest",
                "idempotency_key",
                "created_at",
            )
        }
    )


def report(report: dict) -> schemas.Report:
    fields = ("pilot", "correction", "results", "sample_ratio", "decision")
    return schemas.Report.model_validate({name: report[name] for name in fields})


def returns(pilot: Pilot, returns: dict | None) -> schemas.PilotReturns:
    return schemas.PilotReturns.model_validate(
        {"pilot": pilot.slug, "name": pilot.name, "status": pilot.status, "returns": returns}
    )


def me(user: User, token: ApiToken) -> schemas.Me:
    return schemas.Me.model_validate(
        {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "department": user.department.name if user.department else None,
            "permissions": [name for name in PERMISSIONS if can(name, user)],
            "token": {
                "id": token.id,
                "name": token.name,
                "prefix": token.prefix,
                "created_at": token.created_at,
                "last_used_at": token.last_used_at,
            },
        }
    )


def poor_service(model: dict) -> schemas.PoorService:
    """The cost-of-poor-service model as the API shows it."""
    return schemas.PoorService(
        currency=model["currency"],
        cost=_estimate(model["cost"]),
        claimed=_estimate(model["claimed"]),
        segments=[
            schemas.PoorServiceSegment(
                segment=row["segment"],
                cost=_estimate(row["cost"]),
                claimed=_estimate(row["claimed"]),
                lines=[_poor_service_line(entry) for entry in row["lines"]],
            )
            for row in model["segments"]
        ],
    )


def _poor_service_line(entry: dict) -> schemas.PoorServiceLine:
    line = entry["line"]
    return schemas.PoorServiceLine(
        key=line.key,
        segment=line.segment,
        kind=line.kind,
        name=line.name,
        currency=line.currency,
        volume=line.volume,
        volume_range=list(line.volume_range) if line.volume_range else None,
        unit_cost=line.unit_cost,
        unit_cost_range=list(line.unit_cost_range) if line.unit_cost_range else None,
        source=line.source,
        period=line.period,
        description=line.description,
        cost=_estimate(entry["cost"]),
        claims=[
            schemas.PoorServiceClaim(
                pilot=claim["pilot"].slug,
                metric=claim["metric"].key,
                share=claim["claim"].share,
                hypothesis=claim["counted"]["hypothesis"] if claim["counted"] else None,
                relative_effect=claim["counted"]["effect"] if claim["counted"] else None,
                relative_effect_se=claim["counted"]["se"] if claim["counted"] else None,
                yearly=_estimate(claim["yearly"]),
            )
            for claim in entry["claims"]
        ],
    )


def _estimate(value) -> schemas.Estimate | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        value = value.as_dict()
    return schemas.Estimate(**value)
