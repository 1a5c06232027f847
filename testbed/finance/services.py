"""A pilot's returns, derived from its measured effects, beside existing programmes."""

from __future__ import annotations

from scipy import stats
from sqlalchemy import select

from analysis.returns import BenefitLine, Cost, combined_returns_summary
from testbed.extensions import db
from testbed.finance.models import Benefit, CostItem, FinancePlan, Programme
from testbed.pilots.models import Pilot

ROLE_PREFERENCE = ("primary", "secondary", "guardrail")


def pilot_returns(pilot: Pilot, results: list[dict]) -> dict | None:
    """ROI, NPV, IRR and payback with intervals, and the chance of beating each programme.

    Each benefit line takes its effect from the hypothesis on the same metric
    (primary first); lines whose metric has no measured effect are left out
    and named in ``notes``.
    """
    plan = db.session.get(FinancePlan, pilot.id)
    if plan is None:
        return None
    notes, lines = [], []
    for benefit in _benefits(pilot):
        result = _measured_effect(benefit.metric.key, results)
        if result is None:
            notes.append(f"no measured effect on '{benefit.metric.key}' yet: benefit left out")
            continue
        lines.append(_benefit_line(benefit, result))
    programmes = {p.name: p.roi for p in db.session.scalars(select(Programme))}
    costs = [Cost(c.amount, c.year, c.recurring) for c in _costs(pilot)]
    summary = {
        "currency": plan.currency,
        "discount_rate": plan.discount_rate,
        "horizon_years": plan.horizon_years,
        "programmes": programmes,
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


def _benefits(pilot: Pilot) -> list[Benefit]:
    return list(db.session.scalars(select(Benefit).where(Benefit.pilot_id == pilot.id)))


def _costs(pilot: Pilot) -> list[CostItem]:
    return list(db.session.scalars(select(CostItem).where(CostItem.pilot_id == pilot.id)))


def _measured_effect(metric_key: str, results: list[dict]) -> dict | None:
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
    z = stats.norm.ppf(1 - result["alpha"] / 2)
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
