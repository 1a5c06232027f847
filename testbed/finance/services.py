"""A pilot's returns, derived from its measured effects, and the edits of its financial case."""

from __future__ import annotations

import math

from flask_babel import gettext
from scipy import stats
from sqlalchemy import func, select

from analysis.returns import BenefitLine, Cost, combined_returns_summary
from testbed.audit import record
from testbed.extensions import db
from testbed.finance.models import (
    Benefit,
    CostItem,
    FinancePlan,
    PoorServiceClaim,
    PoorServiceLine,
    Programme,
)
from testbed.finance.poor_service import (
    claim_effect,
    claim_line,
    claims_of,
    interval_level,
    measured_relative,
)
from testbed.i18n import figure
from testbed.pilots.models import Metric, Pilot
from testbed.results.summaries import forget_all

ROLE_PREFERENCE = ("primary", "secondary", "guardrail")
MAX_HORIZON_YEARS = 30


def pilot_returns(
    pilot: Pilot, results: list[dict], programmes: dict[str, float] | None = None
) -> dict | None:
    """ROI, NPV, IRR and payback with intervals, and the chance of beating each programme.

    Each benefit line takes its effect from the hypothesis on the same metric
    (primary first); lines whose metric has no measured effect are left out
    and named in ``notes``. ``programmes`` (name → stated ROI) defaults to the
    stored ones; a caller working through many pilots reads them once.
    """
    plan = db.session.get(FinancePlan, pilot.id)
    if plan is None:
        return None
    notes, lines = [], []
    for benefit in benefits_of(pilot):
        result = measured_effect(benefit.metric.key, results)
        if result is None:
            notes.append(f"no measured effect on '{benefit.metric.key}' yet: benefit left out")
            continue
        lines.append(_benefit_line(benefit, result))
    claims = []
    for claim in claims_of(pilot):
        result = measured_relative(claim.metric.key, results)
        if result is None:
            notes.append(
                f"no measured relative effect on '{claim.metric.key}' yet: "
                f"the claim on '{claim.line.key}' is left out"
            )
            continue
        effect, se = claim_effect(result)
        lines.append(claim_line(claim, effect, se))
        claims.append(
            {
                "claim": claim.id,
                "line": claim.line.key,
                "hypothesis": result["hypothesis"],
                "effect": effect,
                "se": se,
            }
        )
    if programmes is None:
        programmes = programme_rois()
    costs = [Cost(c.amount, c.year, c.recurring) for c in costs_of(pilot)]
    summary = {
        "currency": plan.currency,
        "discount_rate": plan.discount_rate,
        "horizon_years": plan.horizon_years,
        "programmes": programmes,
        "claims": claims,
    }
    if not lines:
        return {**summary, "error": "no benefit has a measured effect yet", "notes": notes}
    try:
        returns = combined_returns_summary(
            lines, costs, plan.horizon_years, plan.discount_rate, programmes, seed=0
        )
    except ValueError as error:
        return {**summary, "error": str(error), "notes": notes}
    return {**summary, **_as_dict(returns), "error": None, "notes": notes + list(returns.notes)}


def benefits_of(pilot: Pilot) -> list[Benefit]:
    return list(
        db.session.scalars(select(Benefit).where(Benefit.pilot_id == pilot.id).order_by(Benefit.id))
    )


def costs_of(pilot: Pilot) -> list[CostItem]:
    return list(
        db.session.scalars(
            select(CostItem)
            .where(CostItem.pilot_id == pilot.id)
            .order_by(CostItem.year, CostItem.id)
        )
    )


def programme_rois() -> dict[str, float]:
    """Every existing programme's stated ROI (a fraction), by name, in order of name."""
    query = select(Programme.name, Programme.roi).order_by(Programme.name)
    return dict(db.session.execute(query).all())


def measured_effect(metric_key: str, results: list[dict]) -> dict | None:
    """The result a benefit on ``metric_key`` takes its effect from: primary first."""
    candidates = [
        r
        for r in results
        if r["metric"] == metric_key
        and r["absolute"]
        and r["absolute"]["ci_low"] is not None
        and r["absolute"]["ci_high"] is not None
    ]
    candidates.sort(key=lambda r: ROLE_PREFERENCE.index(r["role"]))
    return candidates[0] if candidates else None


def _benefit_line(benefit: Benefit, result: dict) -> BenefitLine:
    absolute = result["absolute"]
    # A guardrail's interval is at 1 − 2α, not 1 − α: read its spread at its own level.
    z = stats.norm.ppf(1 - (1 - interval_level(result)) / 2)
    se = (absolute["ci_high"] - absolute["ci_low"]) / (2 * z)
    return BenefitLine(
        effect=(absolute["estimate"], se),
        value_per_unit=benefit.value_per_unit,
        volume_per_year=benefit.volume_per_year,
        direction=benefit.metric.direction,
        name=f"{benefit.metric.key} ({result['hypothesis']})",
    )


def _as_dict(returns) -> dict:
    payback = returns.payback_years
    return {
        "annual_benefit": returns.annual_benefit.as_dict(),
        "roi": returns.roi.as_dict(),
        "npv": returns.npv.as_dict(),
        "irr": returns.irr,
        "payback_years": payback.as_dict() if payback else None,
        "probability_roi_positive": returns.probability_roi_positive,
        "probability_npv_positive": returns.probability_npv_positive,
        "beats": [{"programme": name, "probability": p} for name, p in returns.beats],
        "cashflows": list(returns.cashflows),
    }


# Edits. Each adds and flushes, records an audit event and leaves the commit to the caller;
# a ValueError says what to change.


def save_plan(
    pilot: Pilot,
    *,
    currency: str,
    discount_rate: float,
    horizon_years: int,
    actor: str,
    user_id: int | None = None,
) -> FinancePlan:
    """Start or change the pilot's finance plan: currency, discount rate and horizon."""
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(gettext("the currency must be a three-letter code such as EUR or USD"))
    if not (math.isfinite(discount_rate) and 0 <= discount_rate <= 1):
        raise ValueError(
            gettext(
                "the discount rate must lie between %(low)s and %(high)s",
                low=figure("0%"),
                high=figure("100%"),
            )
        )
    if not 1 <= horizon_years <= MAX_HORIZON_YEARS:
        raise ValueError(gettext("the horizon must be 1 to %(most)s years", most=MAX_HORIZON_YEARS))
    latest = latest_cost_year(pilot)
    if latest is not None and horizon_years < latest:
        raise ValueError(
            gettext(
                "a cost falls in year %(year)s: move it before shortening the horizon "
                "to %(horizon)s years",
                year=latest,
                horizon=horizon_years,
            )
        )
    plan = db.session.get(FinancePlan, pilot.id)
    action = "updated" if plan else "created"
    if plan is None:
        plan = FinancePlan(pilot_id=pilot.id)
        db.session.add(plan)
    plan.currency, plan.discount_rate, plan.horizon_years = currency, discount_rate, horizon_years
    _changed(
        pilot,
        action,
        "finance_plan",
        pilot.id,
        f"{currency}, discount rate {discount_rate:.2%}, horizon {horizon_years} years",
        actor,
        user_id,
    )
    return plan


def latest_cost_year(pilot: Pilot) -> int | None:
    return db.session.scalar(select(func.max(CostItem.year)).where(CostItem.pilot_id == pilot.id))


def add_cost(pilot: Pilot, *, actor: str, user_id: int | None = None, **fields) -> CostItem:
    """Add a cost item (``item``, ``amount``, ``year``, ``recurring``) to the pilot's case."""
    cost = CostItem(pilot_id=pilot.id)
    _set_cost(pilot, cost, **fields)
    db.session.add(cost)
    db.session.flush()
    _changed(pilot, "created", "cost_item", cost.id, _describe_cost(cost), actor, user_id)
    return cost


def update_cost(cost: CostItem, *, actor: str, user_id: int | None = None, **fields) -> None:
    pilot = db.session.get(Pilot, cost.pilot_id)
    _set_cost(pilot, cost, **fields)
    _changed(pilot, "updated", "cost_item", cost.id, _describe_cost(cost), actor, user_id)


def delete_cost(cost: CostItem, *, actor: str, user_id: int | None = None) -> None:
    pilot, summary = db.session.get(Pilot, cost.pilot_id), _describe_cost(cost)
    db.session.delete(cost)
    _changed(pilot, "deleted", "cost_item", cost.id, summary, actor, user_id)


def _set_cost(
    pilot: Pilot, cost: CostItem, *, item: str, amount: float, year: int, recurring: bool
) -> None:
    plan = _plan_or_error(pilot)
    if not item.strip():
        raise ValueError(gettext("say what the cost is for"))
    if not (math.isfinite(amount) and amount > 0):
        raise ValueError(gettext("the amount must be a number above zero"))
    if not 0 <= year <= plan.horizon_years:
        raise ValueError(
            gettext(
                "the year must lie between 0 and the horizon (%(horizon)s)",
                horizon=plan.horizon_years,
            )
        )
    cost.item, cost.amount, cost.year, cost.recurring = item.strip(), amount, year, recurring


def _describe_cost(cost: CostItem) -> str:
    timing = f"every year from year {cost.year}" if cost.recurring else f"in year {cost.year}"
    return f"{cost.item}: {cost.amount:,.2f} {timing}"


def add_benefit(pilot: Pilot, *, actor: str, user_id: int | None = None, **fields) -> Benefit:
    """Add a benefit line (``metric``, ``value_per_unit``, ``volume_per_year``, ``description``)."""
    benefit = Benefit(pilot_id=pilot.id)
    _set_benefit(pilot, benefit, **fields)
    db.session.add(benefit)
    db.session.flush()
    _changed(pilot, "created", "benefit", benefit.id, _describe_benefit(benefit), actor, user_id)
    return benefit


def update_benefit(benefit: Benefit, *, actor: str, user_id: int | None = None, **fields) -> None:
    pilot = db.session.get(Pilot, benefit.pilot_id)
    _set_benefit(pilot, benefit, **fields)
    _changed(pilot, "updated", "benefit", benefit.id, _describe_benefit(benefit), actor, user_id)


def delete_benefit(benefit: Benefit, *, actor: str, user_id: int | None = None) -> None:
    pilot, summary = db.session.get(Pilot, benefit.pilot_id), _describe_benefit(benefit)
    db.session.delete(benefit)
    _changed(pilot, "deleted", "benefit", benefit.id, summary, actor, user_id)


def _set_benefit(
    pilot: Pilot,
    benefit: Benefit,
    *,
    metric: Metric,
    value_per_unit: float,
    volume_per_year: float,
    description: str = "",
) -> None:
    _plan_or_error(pilot)
    if metric is None or metric.pilot_id != pilot.id:
        raise ValueError(gettext("choose one of this pilot's metrics"))
    if benefit_metric_taken(pilot, metric, benefit.id):
        raise ValueError(
            gettext(
                "'%(metric)s' has a benefit line already: change that one instead",
                metric=metric.name,
            )
        )
    if claim_metric_taken(pilot, metric):
        raise ValueError(
            gettext(
                "'%(metric)s' is counted by a claim on the cost of poor service: "
                "a benefit line on it would count the effect twice",
                metric=metric.name,
            )
        )
    if not (math.isfinite(value_per_unit) and value_per_unit > 0):
        raise ValueError(gettext("the value per unit must be a number above zero"))
    if not (math.isfinite(volume_per_year) and volume_per_year >= 0):
        raise ValueError(gettext("the volume per year must be zero or more"))
    benefit.metric = metric
    benefit.value_per_unit, benefit.volume_per_year = value_per_unit, volume_per_year
    benefit.description = description.strip()


def benefit_metric_taken(pilot: Pilot, metric: Metric, except_id: int | None = None) -> bool:
    """Whether another benefit line of the pilot counts ``metric`` (it would count twice)."""
    query = select(Benefit.id).where(Benefit.pilot_id == pilot.id, Benefit.metric_id == metric.id)
    if except_id is not None:
        query = query.where(Benefit.id != except_id)
    return db.session.scalar(query) is not None


def claim_metric_taken(pilot: Pilot, metric: Metric, except_id: int | None = None) -> bool:
    """Whether a claim of the pilot counts ``metric`` already."""
    query = select(PoorServiceClaim.id).where(
        PoorServiceClaim.pilot_id == pilot.id, PoorServiceClaim.metric_id == metric.id
    )
    if except_id is not None:
        query = query.where(PoorServiceClaim.id != except_id)
    return db.session.scalar(query) is not None


def claim_problems(
    pilot: Pilot,
    line: PoorServiceLine | None,
    metric: Metric | None,
    share: float,
    currency: str,
    except_id: int | None = None,
):
    """Yield (field, message) for each rule a claim breaks; forms and loads share them."""
    if line is None:
        yield "line", gettext("choose a line of the cost of poor service")
    if metric is None or metric.pilot_id != pilot.id:
        yield "metric", gettext("choose one of this pilot's metrics")
        return
    if metric.direction != "decrease":
        yield (
            "metric",
            gettext(
                "'%(metric)s' is better when it rises: a claim needs a metric that counts the "
                "failure itself (repeat contacts, complaints, customers leaving), so that its "
                "relative fall is the share of the cost removed",
                metric=metric.name,
            ),
        )
    if claim_metric_taken(pilot, metric, except_id):
        yield (
            "metric",
            gettext("'%(metric)s' is counted by another claim already", metric=metric.name),
        )
    if benefit_metric_taken(pilot, metric):
        yield (
            "metric",
            gettext(
                "'%(metric)s' has a benefit line: a claim on it would count the effect twice",
                metric=metric.name,
            ),
        )
    if line is not None:
        query = select(PoorServiceClaim.id).where(
            PoorServiceClaim.pilot_id == pilot.id, PoorServiceClaim.line_id == line.id
        )
        if except_id is not None:
            query = query.where(PoorServiceClaim.id != except_id)
        if db.session.scalar(query) is not None:
            yield "line", gettext("the pilot claims the line '%(line)s' already", line=line.key)
        if line.currency != currency:
            yield (
                "line",
                gettext(
                    "the line '%(line)s' is in %(line_currency)s and this case in %(currency)s",
                    line=line.key,
                    line_currency=line.currency,
                    currency=currency,
                ),
            )
    if not (math.isfinite(share) and 0 < share <= 1):
        yield "share", gettext("the share of the volume reached must be above 0 and at most 1")


def add_claim(pilot: Pilot, *, actor: str, user_id: int | None = None, **fields):
    """Add a claim (``line``, ``metric``, ``share``, ``description``) on a poor-service line."""
    claim = PoorServiceClaim(pilot_id=pilot.id)
    _set_claim(pilot, claim, **fields)
    db.session.add(claim)
    db.session.flush()
    _changed(
        pilot, "created", "poor_service_claim", claim.id, _describe_claim(claim), actor, user_id
    )
    return claim


def update_claim(claim, *, actor: str, user_id: int | None = None, **fields) -> None:
    pilot = db.session.get(Pilot, claim.pilot_id)
    _set_claim(pilot, claim, **fields)
    _changed(
        pilot, "updated", "poor_service_claim", claim.id, _describe_claim(claim), actor, user_id
    )


def delete_claim(claim, *, actor: str, user_id: int | None = None) -> None:
    pilot, summary = db.session.get(Pilot, claim.pilot_id), _describe_claim(claim)
    db.session.delete(claim)
    _changed(pilot, "deleted", "poor_service_claim", claim.id, summary, actor, user_id)


def _set_claim(pilot, claim, *, line, metric, share: float, description: str = "") -> None:
    plan = _plan_or_error(pilot)
    problem = next(claim_problems(pilot, line, metric, share, plan.currency, claim.id), None)
    if problem is not None:
        raise ValueError(problem[1])
    claim.line, claim.metric, claim.share = line, metric, share
    claim.description = description.strip()


def _describe_claim(claim) -> str:
    return f"{claim.line.key} through {claim.metric.key}, {claim.share:.0%} of its volume reached"


def _describe_benefit(benefit: Benefit) -> str:
    return (
        f"{benefit.metric.key}: {benefit.value_per_unit:,.2f} per unit "
        f"× {benefit.volume_per_year:,.0f} a year"
    )


def _plan_or_error(pilot: Pilot) -> FinancePlan:
    plan = db.session.get(FinancePlan, pilot.id)
    if plan is None:
        raise ValueError(gettext("set the finance plan (currency, discount rate, horizon) first"))
    return plan


def _changed(pilot, action, entity, entity_id, summary, actor, user_id) -> None:
    """Raise the pilot's version (so cached returns are redone) and record the change."""
    pilot.touch()
    db.session.flush()
    record(
        action,
        entity,
        actor=actor,
        user_id=user_id,
        entity_id=entity_id,
        pilot_id=pilot.id,
        summary=summary,
    )


def add_programme(
    *, name: str, roi: float, description: str = "", actor: str, user_id: int | None = None
) -> Programme:
    """Add an existing programme with its stated ROI over the horizon, as a fraction."""
    programme = Programme()
    _set_programme(programme, name, roi, description)
    db.session.add(programme)
    db.session.flush()
    _programme_changed("created", programme, actor, user_id)
    return programme


def update_programme(
    programme: Programme,
    *,
    name: str,
    roi: float,
    description: str = "",
    actor: str,
    user_id: int | None = None,
) -> None:
    _set_programme(programme, name, roi, description)
    db.session.flush()
    _programme_changed("updated", programme, actor, user_id)


def delete_programme(programme: Programme, *, actor: str, user_id: int | None = None) -> None:
    db.session.delete(programme)
    db.session.flush()
    _programme_changed("deleted", programme, actor, user_id)


def programme_named(name: str, except_id: int | None = None) -> Programme | None:
    """The programme of that name, ignoring case and surrounding spaces."""
    query = select(Programme).where(func.lower(Programme.name) == name.strip().lower())
    if except_id is not None:
        query = query.where(Programme.id != except_id)
    return db.session.scalar(query)


def _set_programme(programme: Programme, name: str, roi: float, description: str) -> None:
    name = name.strip()
    if not name:
        raise ValueError(gettext("give the programme a name"))
    if programme_named(name, programme.id) is not None:
        raise ValueError(gettext("a programme called '%(name)s' exists already", name=name))
    # A programme can lose at most what it cost: an ROI below −100% is a typing error.
    if not (math.isfinite(roi) and roi >= -1):
        raise ValueError(
            gettext("the stated ROI must be a number of %(least)s or more", least=figure("−100%"))
        )
    programme.name, programme.roi, programme.description = name, roi, description.strip()


def _programme_changed(action: str, programme: Programme, actor: str, user_id) -> None:
    """Record the change, and drop stored results: they compared with the old programmes."""
    # Their keys name the programmes, so they would never be read again: this only frees space.
    forget_all()
    record(
        action,
        "programme",
        actor=actor,
        user_id=user_id,
        entity_id=programme.id,
        summary=f"{programme.name}: stated ROI {programme.roi:.1%}",
    )
