"""``testbed export``: write a pilot back as a folder that ``testbed load`` reads."""

from __future__ import annotations

import csv
from pathlib import Path

import tomli_w
from sqlalchemy import select

from analysis.sufficient import Moments
from testbed.auth.models import User
from testbed.extensions import db
from testbed.files.tables import OBSERVATION_COLUMNS
from testbed.finance.models import Benefit, CostItem, FinancePlan, PoorServiceClaim, Programme
from testbed.pilots.models import Pilot
from testbed.scorecard.services import pilot_indicator_keys
from testbed.store.models import CARRIED_ORIGINS, Aggregate, ImportBatch, Observation
from testbed.suggestions.models import Suggestion, SuggestionComment, SuggestionVote


def export_pilot(pilot: Pilot, folder: Path) -> None:
    """Write ``pilot.toml``, ``observations.csv`` and, if any, ``summary.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pilot.toml").write_text(tomli_w.dumps(definition(pilot)), encoding="utf-8")
    _write_observations(pilot, folder / "observations.csv")
    _write_summaries(pilot, folder / "summary.csv")


def definition(pilot: Pilot) -> dict:
    data = {"slug": pilot.slug, "name": pilot.name, "status": pilot.status}
    _put(data, start_date=pilot.start_date, end_date=pilot.end_date)
    data["summary"] = pilot.summary
    data["departments"] = [d.name for d in pilot.departments]
    indicators = pilot_indicator_keys(pilot)
    if indicators:
        data["indicators"] = indicators
    _put(data, pilot_share=pilot.pilot_share)
    carried = _carried_batches(pilot)
    if carried:
        data["carries_batches"] = carried
    partner = pilot.partner
    data["partner"] = {
        "name": partner.name,
        "segment": partner.segment,
        "size": partner.size,
        "key_account": partner.key_account,
        "key_account_reason": partner.key_account_reason,
    }
    data["metrics"] = [_metric(m) for m in pilot.metrics]
    data["hypotheses"] = [_hypothesis(h) for h in pilot.hypotheses]
    data["iterations"] = [_iteration(i) for i in pilot.iterations]
    data["suggestions"] = [_suggestion(s) for s in _suggestions(pilot)]
    finance = _finance(pilot)
    if finance:
        data["finance"] = finance
    return data


def _carried_batches(pilot: Pilot) -> list[str]:
    """Digests of the uploads and API pushes whose rows the exported files will carry."""
    return list(
        db.session.scalars(
            select(ImportBatch.digest)
            .where(ImportBatch.pilot_id == pilot.id, ImportBatch.origin.in_(CARRIED_ORIGINS))
            .order_by(ImportBatch.id)
        )
    )


def _put(data: dict, **values) -> None:
    """TOML has no null: leave out what is missing."""
    data.update({k: v for k, v in values.items() if v is not None})


def _metric(metric) -> dict:
    data = {
        "key": metric.key,
        "name": metric.name,
        "kind": metric.kind,
        "direction": metric.direction,
        "unit": metric.unit,
        "indicator": metric.indicator,
        "perspective": metric.perspective,
    }
    if metric.scale:
        data["scale"] = list(metric.scale)
    return data


def _hypothesis(hypothesis) -> dict:
    data = {
        "key": hypothesis.key,
        "statement": hypothesis.statement,
        "metric": hypothesis.metric.key,
        "role": hypothesis.role,
        "design": hypothesis.design,
        "method": hypothesis.method,
        "alpha": hypothesis.alpha,
    }
    _put(
        data,
        minimum_effect=hypothesis.minimum_effect,
        planned_sample_size=hypothesis.planned_sample_size,
        predictor=hypothesis.predictor.key if hypothesis.predictor else None,
        quantiles=hypothesis.quantiles,
        # A confirmatory one needs no word: loaded afresh with its data, it is one again.
        registration="exploratory" if hypothesis.registration == "exploratory" else None,
        locked_at=hypothesis.locked_at,
    )
    amendments = [_amendment(a) for a in hypothesis.amendments]
    if amendments:
        data["amendments"] = amendments
    return data


def _amendment(amendment) -> dict:
    data = {"at": amendment.at, "actor": amendment.actor}
    _put(data, by=_email(amendment.user_id))
    data["reason"] = amendment.reason
    data["changes"] = amendment.changes.splitlines()
    return data


def _email(user_id: int | None) -> str | None:
    """People are named in a folder by the e-mail address of their account."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user.email if user else None


def _iteration(iteration) -> dict:
    data = {"number": iteration.number}
    _put(data, start_date=iteration.start_date, end_date=iteration.end_date)
    data.update(title=iteration.title, changes=iteration.changes, reason=iteration.reason)
    return data


def _suggestions(pilot: Pilot) -> list[Suggestion]:
    return list(
        db.session.scalars(
            select(Suggestion).where(Suggestion.pilot_id == pilot.id).order_by(Suggestion.id)
        )
    )


def _suggestion(suggestion: Suggestion) -> dict:
    data = {
        "author": suggestion.author,
        "department": suggestion.department.name if suggestion.department else "",
        "text": suggestion.text,
        "status": suggestion.status,
    }
    _put(data, iteration=suggestion.iteration.number if suggestion.iteration else None)
    data["reason"] = suggestion.reason
    _put(data, date=suggestion.proposed_on)
    records = {
        "steps": [_step(step) for step in suggestion.steps],
        "comments": [
            {"by": c.user.email, "at": c.created_at, "text": c.text}
            for c in _in_order(SuggestionComment, suggestion)
        ],
        "votes": [
            {"by": v.user.email, "at": v.created_at} for v in _in_order(SuggestionVote, suggestion)
        ],
    }
    data.update({name: items for name, items in records.items() if items})
    return data


def _step(step) -> dict:
    data = {"from": step.from_status, "status": step.status}
    _put(data, iteration=step.iteration.number if step.iteration else None)
    data.update(reason=step.reason, actor=step.actor)
    _put(data, by=_email(step.user_id))
    data["at"] = step.at
    return data


def _in_order(model, suggestion: Suggestion) -> list:
    """Comments or votes as the suggestion's page lists them: oldest first."""
    return list(
        db.session.scalars(
            select(model)
            .where(model.suggestion_id == suggestion.id)
            .order_by(model.created_at, model.id)
        )
    )


def _finance(pilot: Pilot) -> dict | None:
    plan = db.session.get(FinancePlan, pilot.id)
    if plan is None:
        return None
    costs = db.session.scalars(
        select(CostItem).where(CostItem.pilot_id == pilot.id).order_by(CostItem.id)
    )
    benefits = db.session.scalars(
        select(Benefit).where(Benefit.pilot_id == pilot.id).order_by(Benefit.id)
    )
    claims = db.session.scalars(
        select(PoorServiceClaim)
        .where(PoorServiceClaim.pilot_id == pilot.id)
        .order_by(PoorServiceClaim.id)
    )
    finance = {
        "currency": plan.currency,
        "discount_rate": plan.discount_rate,
        "horizon_years": plan.horizon_years,
        "costs": [
            {"item": c.item, "amount": c.amount, "year": c.year, "recurring": c.recurring}
            for c in costs
        ],
        "benefits": [
            {
                "metric": b.metric.key,
                "value_per_unit": b.value_per_unit,
                "volume_per_year": b.volume_per_year,
                "description": b.description,
            }
            for b in benefits
        ],
        "programmes": [
            {"name": p.name, "roi": p.roi, "description": p.description}
            for p in db.session.scalars(select(Programme).order_by(Programme.name))
        ],
    }
    poor_service = [
        {
            "line": c.line.key,
            "metric": c.metric.key,
            "share": c.share,
            "description": c.description,
        }
        for c in claims
    ]
    if poor_service:
        finance["poor_service"] = poor_service
    return finance


def _write_observations(pilot: Pilot, path: Path) -> None:
    keys = {m.id: m.key for m in pilot.metrics}
    query = (
        select(Observation)
        .join(ImportBatch)
        # Data read from a data source live there: the next refresh reads them again.
        .where(ImportBatch.pilot_id == pilot.id, ImportBatch.origin != "source")
        .order_by(Observation.id)
        .execution_options(yield_per=10_000)
    )
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(OBSERVATION_COLUMNS)
        for row in db.session.scalars(query):
            writer.writerow(
                [
                    keys[row.metric_id],
                    row.group,
                    _number(row.value),
                    _number(row.denominator),
                    row.period,
                    row.unit or "",
                    row.day.isoformat() if row.day else "",
                    "" if row.iteration is None else row.iteration,
                    _number(row.covariate),
                ]
            )


def _write_summaries(pilot: Pilot, path: Path) -> None:
    """Summaries live only as sums with no rows behind them: write them back as such."""
    keys = {m.id: m for m in pilot.metrics}
    has_rows = select(Observation.id).where(
        Observation.batch_id == Aggregate.batch_id, Observation.metric_id == Aggregate.metric_id
    )
    cells = db.session.scalars(
        select(Aggregate)
        .join(ImportBatch)
        .where(ImportBatch.pilot_id == pilot.id, ImportBatch.origin != "source", ~has_rows.exists())
        .order_by(Aggregate.id)
    ).all()
    if not cells:
        path.unlink(missing_ok=True)
        return
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["metric", "group", "n", "mean", "sd", "period"])
        for cell in cells:
            metric = keys[cell.metric_id]
            moments = Moments(cell.n, cell.sum, cell.sum_sq, metric.shift_value or 0.0)
            sd = moments.sd if cell.n > 1 else 0.0
            writer.writerow(
                [metric.key, cell.group, cell.n, repr(moments.mean), repr(sd), cell.period]
            )


def _number(value) -> str:
    # repr keeps every digit, so a round trip stores exactly the same values.
    if value is None:
        return ""
    return repr(int(value)) if float(value).is_integer() else repr(value)
