"""What finance reads: each pilot's returns beside the existing programmes, and the portfolio's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from analysis.returns import Cost, annual_benefit, yearly_cashflows
from testbed.extensions import db
from testbed.finance import poor_service
from testbed.finance.models import Benefit, CostItem, FinancePlan, PoorServiceClaim, Programme
from testbed.finance.services import benefits_of, costs_of, measured_effect, pilot_returns
from testbed.pilots.models import Pilot
from testbed.results import summaries
from testbed.results.decision import standing
from testbed.results.services import measure, programmes_digest, report_for, reports_for

# A programme counts as beaten when the pilot's ROI exceeds its stated ROI this often.
BEATEN_PROBABILITY = 0.8

# Returns are kept in memory by pilot version and programmes, the least recently used
# going first. They are small, so more are kept than reports.
_RETURNS: dict[tuple, dict | None] = {}
_RETURNS_SIZE = 4096


def programmes_by_roi() -> list[Programme]:
    """Existing programmes, highest stated ROI first."""
    return list(
        db.session.scalars(select(Programme).order_by(Programme.roi.desc(), Programme.name))
    )


def returns_for(pilot: Pilot, programmes: dict[str, float]) -> dict | None:
    """The pilot's returns against ``programmes`` (name → stated ROI)."""
    return returns_of([pilot], programmes)[pilot.id]


def returns_of(pilots: list[Pilot], programmes: dict[str, float]) -> dict[int, dict | None]:
    """Each pilot's returns by id: kept in memory, stored for every process, else computed.

    Computing them analyses only the hypotheses the benefit lines take their
    effects from, without the planning and tails a report adds.
    """
    # In order of name, as reports have them, so that both give the same returns.
    programmes = dict(sorted(programmes.items()))
    # A claim counts the model's figures: a changed model gives new returns.
    name = f"returns:{programmes_digest(programmes)}:{poor_service.model_digest()}"
    return summaries.kept(
        pilots,
        name,
        lambda pilot: measured_returns(pilot, programmes),
        _RETURNS,
        _RETURNS_SIZE,
    )


def measured_returns(pilot: Pilot, programmes: dict[str, float]) -> dict | None:
    """The pilot's returns, from the effects on the metrics its benefit lines count."""
    counted = {benefit.metric_id for benefit in benefits_of(pilot)}
    counted |= {claim.metric_id for claim in poor_service.claims_of(pilot)}
    results = [measure(h) for h in pilot.hypotheses if h.metric_id in counted]
    return pilot_returns(pilot, results, programmes)


def best_beaten(returns: dict | None, programmes: dict[str, float]) -> dict | None:
    """The programme with the highest stated ROI the pilot beats with probability ≥ 0.8."""
    if not returns or returns["error"]:
        return None
    beaten = [
        {**b, "roi": programmes[b["programme"]]}
        for b in returns["beats"]
        if b["probability"] >= BEATEN_PROBABILITY and b["programme"] in programmes
    ]
    return max(beaten, key=lambda b: b["roi"], default=None)


def portfolio() -> dict:
    """Every pilot with a financial case, best ROI first, and the existing programmes.

    Two queries when every pilot's returns and report are in memory, and one
    more each to read those stored by another process; only the others are
    computed.
    """
    programmes = programmes_by_roi()
    rois = {p.name: p.roi for p in programmes}
    pilots = list(
        db.session.scalars(
            select(Pilot).join(FinancePlan, FinancePlan.pilot_id == Pilot.id).order_by(Pilot.name)
        )
    )
    returns = returns_of(pilots, rois)
    # Returns alone would show a gamed metric as a good investment: each row also
    # carries the pilot's decision and guardrails, from its kept report.
    reports = reports_for(pilots)
    rows = [
        {
            "pilot": p,
            "returns": returns[p.id],
            "beaten": best_beaten(returns[p.id], rois),
            "standing": standing(reports[p.id]),
        }
        for p in pilots
    ]
    rows.sort(key=_by_roi)
    return {
        "rows": rows,
        "programmes": programmes,
        "poor_service": poor_service.overview(claimed_by_line(pilots, returns)),
    }


def poor_service_model() -> dict:
    """The model's page: every line, and the claims of the pilots that count on it."""
    query = (
        select(Pilot)
        .join(PoorServiceClaim, PoorServiceClaim.pilot_id == Pilot.id)
        .distinct()
        .order_by(Pilot.name)
    )
    pilots = list(db.session.scalars(query))
    returns = returns_of(pilots, {p.name: p.roi for p in programmes_by_roi()})
    return poor_service.overview(claimed_by_line(pilots, returns))


def claimed_by_line(pilots: list[Pilot], returns: dict[int, dict | None]) -> dict[int, list]:
    """Each line's claims with the effects the pilots' returns counted, by the line's id."""
    counted = {
        entry["claim"]: entry
        for result in returns.values()
        if result
        for entry in result.get("claims", [])
    }
    by_pilot = {pilot.id: pilot for pilot in pilots}
    claimed: dict[int, list] = {}
    query = (
        select(PoorServiceClaim)
        .options(joinedload(PoorServiceClaim.line), joinedload(PoorServiceClaim.metric))
        .order_by(PoorServiceClaim.id)
    )
    for claim in db.session.scalars(query):
        pilot = by_pilot.get(claim.pilot_id)
        if pilot is None:
            continue
        claimed.setdefault(claim.line_id, []).append(claim_row(claim, pilot, counted.get(claim.id)))
    return claimed


def claim_row(claim: PoorServiceClaim, pilot: Pilot, counted: dict | None) -> dict:
    """A claim with the effect its pilot's returns counted and what it removes a year.

    ``yearly`` is the claim's own Monte Carlo (the same draws as the returns:
    the effect and the line's ranges); without a measured effect it is None.
    """
    row = {"claim": claim, "pilot": pilot, "line": claim.line, "metric": claim.metric}
    row.update(counted=counted, benefit=None, yearly=None)
    row["reached"] = poor_service.line_cost(claim.line).estimate * claim.share
    if counted is not None:
        benefit = poor_service.claim_line(claim, counted["effect"], counted["se"])
        row["benefit"] = benefit
        row["yearly"] = annual_benefit([benefit], seed=0).as_dict()
    return row


def _by_roi(row: dict):
    returns = row["returns"]
    if not returns or returns["error"]:
        return (1, 0.0)
    return (0, -returns["roi"]["estimate"])


def pilot_case(pilot: Pilot) -> dict:
    """All the pilot's finance page shows: plan, returns, benefit lines, costs, programmes."""
    plan = db.session.get(FinancePlan, pilot.id)
    if plan is None:
        return {"plan": None}
    programmes = programmes_by_roi()
    returns = returns_for(pilot, {p.name: p.roi for p in programmes})
    report = report_for(pilot)
    results = report["results"]
    costs = costs_of(pilot)
    return {
        "plan": plan,
        "returns": returns,
        "standing": standing(report),
        "benefits": [benefit_row(benefit, results) for benefit in benefits_of(pilot)],
        "claims": pilot_claims(pilot, returns, results),
        "costs": costs,
        "years": year_rows(plan, costs, returns),
        "ladder": ladder(returns, programmes),
    }


def pilot_claims(pilot: Pilot, returns: dict | None, results: list[dict]) -> list[dict]:
    """The pilot's claims on the cost of poor service, each with the result it counts."""
    counted = {entry["claim"]: entry for entry in (returns or {}).get("claims", [])}
    rows = []
    for claim in poor_service.claims_of(pilot):
        row = claim_row(claim, pilot, counted.get(claim.id))
        row["result"] = poor_service.measured_relative(claim.metric.key, results)
        rows.append(row)
    return rows


def benefit_row(benefit: Benefit, results: list[dict]) -> dict:
    """A benefit line with the effect it is derived from and its yearly benefit.

    The yearly benefit is improvement × value per unit × volume a year; being
    linear in the effect, its interval is the effect's interval scaled the same way.
    """
    metric = benefit.metric
    result = measured_effect(metric.key, results)
    row = {"benefit": benefit, "metric": metric, "result": result, "yearly": None}
    if result is None:
        return row
    worth = (1 if metric.direction == "increase" else -1) * (
        benefit.value_per_unit * benefit.volume_per_year
    )
    effect = result["absolute"]
    ends = (worth * effect["ci_low"], worth * effect["ci_high"])
    row["yearly"] = {
        "estimate": worth * effect["estimate"],
        "ci_low": min(ends),
        "ci_high": max(ends),
        "level": poor_service.interval_level(result),
    }
    return row


def year_rows(plan: FinancePlan, costs: list[CostItem], returns: dict | None) -> list[dict]:
    """Costs, benefit and net cash flow of each year from 0 to the horizon, with the running sum."""
    try:
        outlays = [
            -flow
            for flow in yearly_cashflows(
                [Cost(c.amount, c.year, c.recurring) for c in costs], 0.0, plan.horizon_years
            )
        ]
    except ValueError:
        return []
    flows = returns["cashflows"] if returns and not returns["error"] else None
    rows, cumulative = [], 0.0
    for year, cost in enumerate(outlays):
        row = {"year": year, "cost": cost, "benefit": None, "net": None, "cumulative": None}
        if flows:
            cumulative += flows[year]
            row.update(benefit=flows[year] + cost, net=flows[year], cumulative=cumulative)
        rows.append(row)
    return rows


def ladder(returns: dict | None, programmes: list[Programme]) -> list[dict]:
    """Programmes by stated ROI, highest first, with the pilot's ROI placed among them."""
    has_roi = bool(returns) and not returns["error"]
    chances = {b["programme"]: b["probability"] for b in returns["beats"]} if has_roi else {}
    roi = returns["roi"] if has_roi else None
    rows = [
        {
            "kind": "programme",
            "name": p.name,
            "description": p.description,
            "roi": p.roi,
            "probability": chances.get(p.name),
            "within": roi is not None and roi["ci_low"] <= p.roi <= roi["ci_high"],
        }
        for p in programmes
    ]
    if roi is not None:
        place = next((i for i, row in enumerate(rows) if row["roi"] < roi["estimate"]), len(rows))
        rows.insert(place, {"kind": "pilot", "name": "This pilot", "roi": roi["estimate"], **roi})
    _place_on_scale(rows)
    return rows


def _place_on_scale(rows: list[dict]) -> None:
    """Positions (0–100) on one ROI axis that includes zero, for the page's bars."""
    ends = [0.0] + [row["roi"] for row in rows]
    ends += [row[k] for row in rows if row["kind"] == "pilot" for k in ("ci_low", "ci_high")]
    low, high = min(ends), max(ends)
    span = (high - low) or 1.0
    for row in rows:
        row["zero_at"] = 100 * (0 - low) / span
        row["at"] = 100 * (row["roi"] - low) / span
        if row["kind"] == "pilot":
            row["from"] = 100 * (row["ci_low"] - low) / span
            row["to"] = 100 * (row["ci_high"] - low) / span
