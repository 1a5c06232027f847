"""Write the demo pilots in experiments/ (definition and data), then check them.

Every pilot is simulated from a fixed seed, so running this again rewrites the
same files byte for byte:

    /tmp/venv/bin/python experiments/generate.py

The effects built into each simulation are described in experiments/README.md,
so the statistics can be checked against what the data was made to show.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import tomllib
from collections import defaultdict
from pathlib import Path

import company_poor_service
import company_scorecard
import numpy as np
import tomli_w

HERE = Path(__file__).resolve().parent

OBSERVATION_COLUMNS = (
    "metric",
    "group",
    "period",
    "unit",
    "date",
    "iteration",
    "value",
    "denominator",
    "covariate",
)
SUMMARY_COLUMNS = ("metric", "group", "period", "n", "mean", "sd")
MAX_CSV_BYTES = 4_000_000

# The company's existing operational programmes, with the returns finance states for
# them. Programmes are shared by every pilot, so each is described once, here.
PROGRAMMES = {
    "Replace old switches": (0.18, "Network and telephony switch replacement, 2025 plan."),
    "Warehouse automation": (0.22, "Automated order-picking line in the distribution centre."),
    "Billing system upgrade": (0.15, "Electronic invoicing and usage-based billing."),
    "Delivery fleet renewal": (0.12, "Replacing twelve diesel vans with electric ones."),
    "IVR self-service upgrade": (0.28, "Meter readings and payment plans in the phone menu."),
    "Workforce-management software renewal": (0.2, "Forecasting and scheduling, five years."),
    "Online booking portal": (0.21, "Customers book and rebook appointments online."),
    "Digital X-ray upgrade": (0.14, "Replacing film X-ray in the partner practices."),
    "Field-service route planning": (0.24, "Route optimisation for field engineers."),
}


# --------------------------------------------------------------------------- helpers


def mondays(first: dt.date, count: int) -> list[dt.date]:
    """``count`` consecutive week starts from ``first`` (a Monday)."""
    return [first + dt.timedelta(weeks=i) for i in range(count)]


def weekdays(first: dt.date, last: dt.date, closed: frozenset | set = frozenset()) -> list[dt.date]:
    """Monday to Friday from ``first`` to ``last`` inclusive, without ``closed`` days."""
    days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in closed]


def all_days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def iteration_on(iterations: list[dict], day: dt.date) -> int | None:
    """The number of the iteration running on ``day``; None before the pilot started."""
    running = [it["number"] for it in iterations if it["start_date"] <= day]
    return running[-1] if running else None


def observation(metric, group, value, **columns) -> dict:
    """One observations.csv row; columns left out stay empty."""
    return {"metric": metric, "group": group, "value": value, **columns}


def score(rng: np.random.Generator, mean: float, sd: float, low: int = 0, high: int = 10) -> int:
    """A survey answer on a bounded integer scale."""
    return int(np.clip(round(rng.normal(mean, sd)), low, high))


def programmes(*names: str) -> list[dict]:
    """The [[finance.programmes]] tables finance compares a pilot with."""
    return [
        {"name": name, "roi": PROGRAMMES[name][0], "description": PROGRAMMES[name][1]}
        for name in names
    ]


def write_csv(path: Path, rows: list[dict], columns: tuple[str, ...]) -> None:
    """Write ``rows`` with those of ``columns`` that any row uses, in that order."""
    used = [c for c in columns if any(row.get(c) is not None for row in rows)]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(used)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in used])


def sort_rows(rows: list[dict], metric_order: list[str]) -> list[dict]:
    """Group rows by metric (in the order the pilot declares them), then by time and unit."""
    rank = {key: i for i, key in enumerate(metric_order)}
    return sorted(
        rows,
        key=lambda r: (
            rank[r["metric"]],
            r.get("period") == "post",
            str(r.get("date") or ""),
            r["group"],
            str(r.get("unit") or ""),
        ),
    )


def with_indicators(definition: dict) -> dict:
    """The definition with the company indicators the pilot is meant to move, after departments."""
    keys = company_scorecard.PILOT_INDICATORS.get(definition["slug"])
    if not keys:
        return definition
    ordered = {}
    for name, value in definition.items():
        ordered[name] = value
        if name == "departments":
            ordered["indicators"] = sorted(keys)
    return ordered


def write_pilot(
    definition: dict,
    observations: dict[str, list[dict]],
    summary: list[dict] | None = None,
) -> Path:
    """(Re)write one pilot folder: pilot.toml, observations*.csv and summary.csv."""
    folder = HERE / definition["slug"]
    folder.mkdir(exist_ok=True)
    definition = with_indicators(definition)
    for stale in folder.glob("*.csv"):
        stale.unlink()
    (folder / "pilot.toml").write_text(tomli_w.dumps(definition), encoding="utf-8")
    metric_order = [m["key"] for m in definition["metrics"]]
    for filename, rows in observations.items():
        write_csv(folder / filename, sort_rows(rows, metric_order), OBSERVATION_COLUMNS)
    if summary:
        write_csv(folder / "summary.csv", summary, SUMMARY_COLUMNS)
    return folder


# ------------------------------------------------------------ 1. vendor-managed inventory


def vmi_community_hospital() -> Path:
    """Vendor-managed inventory at a small, newly built community hospital.

    Pilot: the six wards of Larchfield; baseline: the six wards of each of three
    comparable hospitals that still order by hand. Twelve weeks before the start,
    thirty-nine after.
    """
    rng = np.random.default_rng(20250331)
    start = dt.date(2025, 3, 31)
    end = dt.date(2025, 12, 28)
    iterations = [
        {
            "number": 1,
            "start_date": start,
            "end_date": dt.date(2025, 5, 25),
            "title": "Par levels and twice-weekly top-up on two wards",
            "changes": (
                "Our replenishment staff count the medical and surgical wards' stock rooms "
                "twice a week against agreed par levels and raise the orders themselves."
            ),
            "reason": (
                "Start where consumption is steady, so that early mistakes are cheap and the "
                "nurses see the benefit before the other wards join."
            ),
        },
        {
            "number": 2,
            "start_date": dt.date(2025, 5, 26),
            "end_date": dt.date(2025, 7, 27),
            "title": "Two-bin scanning on all six wards",
            "changes": (
                "Two-bin system on every ward; ward clerks scan the empty bin and the order "
                "is generated overnight. Manual counts stopped."
            ),
            "reason": (
                "Counting took three hours per ward visit and could not scale to six wards; "
                "the nursing liaison asked that clerks, not nurses, do the scanning."
            ),
        },
        {
            "number": 3,
            "start_date": dt.date(2025, 7, 28),
            "end_date": dt.date(2025, 10, 5),
            "title": "Par levels from consumption; orders picked automatically",
            "changes": (
                "Par levels are recalculated every week from the last eight weeks of "
                "consumption, and Larchfield's orders go to the automated picking line in "
                "the distribution centre."
            ),
            "reason": (
                "Fixed par levels left surgery overstocked and maternity short after the "
                "summer change in case mix; supply chain wanted a live customer to prove "
                "the picking line."
            ),
        },
        {
            "number": 4,
            "start_date": dt.date(2025, 10, 6),
            "end_date": end,
            "title": "Shared stock view and substitution list",
            "changes": (
                "Our customer service desk sees each ward's stock and calls before a likely "
                "stock-out; every ward has a list of approved substitutes on the stock-room "
                "door."
            ),
            "reason": (
                "The remaining stock-outs were mostly items with an approved substitute the "
                "nurses did not know about, and nobody at the supplier was watching the "
                "stock between deliveries."
            ),
        },
    ]
    definition = {
        "slug": "vmi-community-hospital",
        "name": "Vendor-managed inventory at Larchfield Community Hospital",
        "status": "scaled",
        "start_date": start,
        "end_date": end,
        "summary": (
            "Can we keep a small hospital's wards stocked without the nurses ordering? "
            "A joint team replaces ward ordering with vendor-managed inventory and compares "
            "Larchfield with three hospitals that still order by hand."
        ),
        "departments": ["Supply Chain", "Sales", "Nursing liaison", "Finance", "IT"],
        "partner": {
            "name": "Larchfield Community Hospital",
            "segment": "healthcare",
            "size": "small",
            "key_account": False,
        },
        "metrics": [
            {
                "key": "stockouts",
                "name": "Stock-out events per ward-week",
                "kind": "mean",
                "direction": "decrease",
                "unit": "events per ward-week",
                "indicator": "lagging",
                "perspective": "customer",
            },
            {
                "key": "cycle_time",
                "name": "Order cycle time",
                "kind": "mean",
                "direction": "decrease",
                "unit": "hours",
                "indicator": "leading",
                "perspective": "internal",
            },
            {
                "key": "fill_rate",
                "name": "Order lines filled complete",
                "kind": "proportion",
                "direction": "increase",
                "unit": "order lines",
                "indicator": "lagging",
                "perspective": "customer",
            },
            {
                "key": "revenue",
                "name": "Revenue from the customer",
                "kind": "mean",
                "direction": "increase",
                "unit": "EUR per week",
                "indicator": "lagging",
                "perspective": "financial",
            },
            {
                "key": "emergency_orders",
                "name": "Emergency orders per ward-week",
                "kind": "mean",
                "direction": "decrease",
                "unit": "orders per ward-week",
                "indicator": "lagging",
                "perspective": "internal",
            },
        ],
        "hypotheses": [
            {
                "key": "H1",
                "statement": (
                    "Vendor-managed inventory cuts stock-outs by at least half an event per "
                    "ward-week, compared with the change at hospitals that order by hand."
                ),
                "metric": "stockouts",
                "role": "primary",
                "design": "did",
                "method": "fixed",
                "alpha": 0.05,
                "minimum_effect": -0.5,
            },
            {
                "key": "H2",
                "statement": (
                    "Order cycle time drops by at least eight hours when the pilot starts "
                    "and keeps falling as the team iterates."
                ),
                "metric": "cycle_time",
                "role": "secondary",
                "design": "its",
                "method": "fixed",
                "minimum_effect": -8.0,
            },
            {
                "key": "H3",
                "statement": (
                    "More order lines arrive complete at Larchfield than at the baseline "
                    "hospitals (at least two points)."
                ),
                "metric": "fill_rate",
                "role": "secondary",
                "design": "concurrent",
                "method": "bayesian",
                "minimum_effect": 0.02,
            },
            {
                "key": "H4",
                "statement": (
                    "Weekly revenue from Larchfield rises by at least EUR 4,000 against its "
                    "own weeks before the pilot, as the hospital buys more lines from us."
                ),
                "metric": "revenue",
                "role": "secondary",
                "design": "pre_post",
                "method": "fixed",
                "minimum_effect": 4000.0,
            },
            {
                "key": "G1",
                "statement": (
                    "Larchfield's wards place no more emergency orders than the baseline "
                    "wards while they switch over: at most 0.2 more per ward-week."
                ),
                "metric": "emergency_orders",
                "role": "guardrail",
                "design": "concurrent",
                "method": "fixed",
                "minimum_effect": 0.2,
            },
        ],
        "iterations": iterations,
        "suggestions": [
            {
                "author": "Grace Okafor",
                "department": "Nursing liaison",
                "text": "Let ward clerks scan the empty bins; nurses should not lose time to it.",
                "status": "incorporated",
                "iteration": 2,
                "date": dt.date(2025, 5, 6),
            },
            {
                "author": "Marta Lindqvist",
                "department": "Supply Chain",
                "text": "Recompute par levels every week from consumption instead of fixing "
                "them at go-live.",
                "status": "incorporated",
                "iteration": 3,
                "date": dt.date(2025, 7, 9),
            },
            {
                "author": "Dev Malhotra",
                "department": "Supply Chain",
                "text": "Route Larchfield's orders through the automated picking line.",
                "status": "incorporated",
                "iteration": 3,
                "date": dt.date(2025, 7, 14),
            },
            {
                "author": "Grace Okafor",
                "department": "Nursing liaison",
                "text": "Put the list of approved substitutes on each stock-room door.",
                "status": "incorporated",
                "iteration": 4,
                "date": dt.date(2025, 9, 22),
            },
            {
                "author": "Tom Becker",
                "department": "Sales",
                "text": "Show the pilot dashboard at a quarterly review with Larchfield's CEO.",
                "status": "accepted",
                "date": dt.date(2025, 8, 18),
            },
            {
                "author": "Henrik Sato",
                "department": "Finance",
                "text": "Report the carrying cost of ward stock each month next to the stock-outs.",
                "status": "accepted",
                "date": dt.date(2025, 10, 13),
            },
            {
                "author": "Priya Raman",
                "department": "IT",
                "text": "Let clerks scan with the hospital's own phones instead of our scanners.",
                "status": "under_review",
                "date": dt.date(2025, 11, 3),
            },
            {
                "author": "Owen Fairley",
                "department": "IT",
                "text": "Single sign-on from the hospital network into the shared stock view.",
                "status": "new",
                "date": dt.date(2025, 12, 1),
            },
            {
                "author": "Tom Becker",
                "department": "Sales",
                "text": "Offer vendor-managed inventory to Ashby Cottage Hospital now.",
                "status": "declined",
                "reason": (
                    "Ashby is one of the baseline hospitals; switching it during the pilot "
                    "would remove the comparison. Offered in the roll-out instead."
                ),
                "date": dt.date(2025, 6, 2),
            },
            {
                "author": "Henrik Sato",
                "department": "Finance",
                "text": "Charge Larchfield a monthly fee for the service during the pilot.",
                "status": "declined",
                "reason": (
                    "A fee would muddy the revenue comparison while the pilot runs; pricing "
                    "is set for the roll-out."
                ),
                "date": dt.date(2025, 4, 28),
            },
        ],
        "finance": {
            "currency": "EUR",
            "discount_rate": 0.08,
            "horizon_years": 3,
            "costs": [
                {
                    "item": "Scanners, bins and labels for six wards",
                    "amount": 14000,
                    "year": 0,
                    "recurring": False,
                },
                {
                    "item": "Order interface between the hospital's ERP and ours",
                    "amount": 38000,
                    "year": 0,
                    "recurring": False,
                },
                {
                    "item": "Replenishment staff on site, half a full-time post",
                    "amount": 31000,
                    "year": 1,
                    "recurring": True,
                },
                {
                    "item": "Scanning software licences",
                    "amount": 4200,
                    "year": 1,
                    "recurring": True,
                },
            ],
            "benefits": [
                {
                    "metric": "stockouts",
                    "value_per_unit": 140.0,
                    "volume_per_year": 312,
                    "description": (
                        "Each avoided stock-out saves about EUR 140 of nurse time and courier "
                        "cost; six wards make 312 ward-weeks a year."
                    ),
                },
                {
                    "metric": "revenue",
                    "value_per_unit": 0.21,
                    "volume_per_year": 52,
                    "description": "Gross margin of 21 % on each extra euro of weekly revenue.",
                },
                {
                    "metric": "fill_rate",
                    "value_per_unit": 9.0,
                    "volume_per_year": 16000,
                    "description": (
                        "An incomplete order line costs about EUR 9 in follow-up and a second "
                        "delivery; Larchfield orders about 16,000 lines a year."
                    ),
                },
            ],
            "programmes": programmes(
                "Warehouse automation", "Delivery fleet renewal", "Billing system upgrade"
            ),
            "poor_service": company_poor_service.claims("vmi-community-hospital"),
        },
    }

    hospitals = {"LCH": "pilot", "ASH": "baseline", "FER": "baseline", "COL": "baseline"}
    wards = ("MED", "SUR", "MAT", "CHI", "DAY", "REH")
    first_wards = {"LCH-MED", "LCH-SUR"}  # on vendor-managed inventory from iteration 1
    # Wards differ, but each hospital's wards average out to its stated rate.
    ward_level = {}
    for hospital in hospitals:
        level = rng.gamma(8.0, 1 / 8, len(wards))
        ward_level |= {
            f"{hospital}-{w}": x for w, x in zip(wards, level / level.mean(), strict=True)
        }
    pilot_stockout_factor = {1: 0.5, 2: 0.5, 3: 0.38, 4: 0.3}
    pilot_fill_rate = {None: 0.895, 1: 0.92, 2: 0.945, 3: 0.96, 4: 0.97}
    revenue_factor = {None: 1.0, 1: 1.08, 2: 1.22, 3: 1.36, 4: 1.45}

    rows = []
    for monday in mondays(dt.date(2025, 1, 6), 51):
        period = "pre" if monday < start else "post"
        it = iteration_on(iterations, monday)
        winter = 1.15 if monday.month in (1, 2, 12) else 1.0
        for hospital, group in hospitals.items():
            for ward in wards:
                unit = f"{hospital}-{ward}"
                on_vmi = group == "pilot" and it is not None and (it > 1 or unit in first_wards)
                if group == "pilot":
                    rate = 1.9 * (pilot_stockout_factor[it] if on_vmi else 1.0)
                else:
                    rate = 1.6 if period == "pre" else 1.5
                stockouts = int(rng.poisson(rate * winter * ward_level[unit]))
                # Par levels set wrong in the first weeks on the new process cause rush orders.
                switching = group == "pilot" and on_vmi and it == (1 if unit in first_wards else 2)
                emergency = int(rng.poisson(0.3 + 0.35 * stockouts + (0.35 if switching else 0)))
                common = {"period": period, "unit": unit, "date": monday, "iteration": it}
                rows.append(observation("stockouts", group, stockouts, **common))
                rows.append(observation("emergency_orders", group, emergency, **common))
            # A weekly audit of thirty order lines per hospital.
            p_complete = pilot_fill_rate[it] if group == "pilot" else 0.92
            for _ in range(30):
                day = monday + dt.timedelta(days=int(rng.integers(0, 5)))
                ward = wards[int(rng.integers(len(wards)))]
                complete = int(rng.random() < p_complete)
                rows.append(
                    observation(
                        "fill_rate",
                        group,
                        complete,
                        period=period,
                        unit=f"{hospital}-{ward}",
                        date=day,
                        iteration=it,
                    )
                )
        revenue = 21400 * revenue_factor[it] * rng.normal(1.0, 0.06)
        rows.append(
            observation(
                "revenue",
                "pilot",
                round(revenue, 2),
                period=period,
                unit="LCH",
                date=monday,
                iteration=it,
            )
        )

    # Larchfield's daily order cycle time: a level drop at the start, then a slow decline.
    noise = 0.0
    for day in weekdays(dt.date(2025, 1, 6), dt.date(2025, 12, 26)):
        t = (day - dt.date(2025, 1, 6)).days
        hours = 46.0 - 0.01 * t + (4.0 if day.weekday() == 0 else 0.0)
        if day >= start:
            hours += -13.0 - 0.025 * (day - start).days
        noise = 0.5 * noise + rng.normal(0.0, 2.5)
        rows.append(
            observation(
                "cycle_time",
                "pilot",
                round(hours + noise, 1),
                period="pre" if day < start else "post",
                unit="LCH",
                date=day,
                iteration=iteration_on(iterations, day),
            )
        )

    return write_pilot(definition, {"observations.csv": rows})


# --------------------------------------------------------------- 2. call-centre occupancy


def callcentre_occupancy() -> Path:
    """Occupancy, knowledge base and training in four of ten call-centre teams.

    150 seats in ten teams answer the partner's customer line. Four pilot teams are
    staffed to a lower occupancy and get the new knowledge base and more training;
    six teams carry on as before. An agent who leaves is replaced by a new hire with
    a new agent id.
    """
    rng = np.random.default_rng(20250106)
    start = dt.date(2025, 1, 6)
    iterations = [
        {
            "number": 1,
            "start_date": start,
            "end_date": dt.date(2025, 3, 30),
            "title": "Occupancy target of 75 % in four teams",
            "changes": (
                "Workforce planning schedules five extra part-time agents across the four "
                "pilot teams to bring their occupancy target from 85 % to 75 %."
            ),
            "reason": (
                "Industry reports say turnover rises sharply above about 70 % occupancy; "
                "75 % is a first step whose cost finance can see."
            ),
        },
        {
            "number": 2,
            "start_date": dt.date(2025, 3, 31),
            "end_date": dt.date(2025, 6, 29),
            "title": "New knowledge base and monthly training",
            "changes": (
                "Articles for the sixty most common call reasons are rewritten with the "
                "agents, and every pilot agent gets two extra hours of training a month."
            ),
            "reason": (
                "Agents said a quieter queue did not help when they could not find answers; "
                "a better knowledge base and training should lower the load by themselves."
            ),
        },
        {
            "number": 3,
            "start_date": dt.date(2025, 6, 30),
            "end_date": dt.date(2025, 9, 28),
            "title": "Occupancy cap of 70 % and mentoring of new hires",
            "changes": (
                "The target becomes a hard cap of 70 %; top performers spend two hours a "
                "week mentoring agents in their first two months."
            ),
            "reason": (
                "The pulse survey showed intent to leave still high in weeks above 72 %, and "
                "new hires were the ones who called colleagues for help most."
            ),
        },
        {
            "number": 4,
            "start_date": dt.date(2025, 9, 29),
            "title": "Handle time off the individual scorecards",
            "changes": (
                "Average handle time is no longer on individual scorecards; teams get a "
                "first-contact resolution target instead."
            ),
            "reason": (
                "In a baseline team agents transferred calls to each other to keep their "
                "handle time green; a pilot that lowers handle time must not invite the same."
            ),
        },
    ]
    definition = {
        "slug": "callcentre-occupancy",
        "name": "Agent occupancy and turnover on the Greenvale line",
        "status": "active",
        "start_date": start,
        "summary": (
            "Does lower agent occupancy, with a better knowledge base and training, keep "
            "agents from leaving without hurting the customer? Four of ten teams on the "
            "Greenvale Energy line run at lower occupancy; six carry on as before."
        ),
        "departments": ["Customer Service", "HR", "Training", "Workforce Planning", "Finance"],
        "partner": {
            "name": "Greenvale Energy Co-operative",
            "segment": "utilities",
            "size": "medium",
            "key_account": False,
        },
        "metrics": [
            {
                "key": "occupancy",
                "name": "Agent occupancy",
                "kind": "mean",
                "direction": "decrease",
                "unit": "share of logged-in time on calls",
                "indicator": "leading",
                "perspective": "internal",
            },
            {
                "key": "intent_to_leave",
                "name": "Agents planning to leave within three months",
                "kind": "proportion",
                "direction": "decrease",
                "unit": "pulse-survey answers",
                "indicator": "lagging",
                "perspective": "learning",
            },
            {
                "key": "fcr",
                "name": "First-contact resolution",
                "kind": "proportion",
                "direction": "increase",
                "unit": "audited calls",
                "indicator": "lagging",
                "perspective": "customer",
            },
            {
                "key": "aht",
                "name": "Average handle time",
                "kind": "mean",
                "direction": "decrease",
                "unit": "minutes per call",
                "indicator": "lagging",
                "perspective": "internal",
            },
            {
                "key": "training_hours",
                "name": "Training hours",
                "kind": "mean",
                "direction": "increase",
                "unit": "hours per agent-month",
                "indicator": "leading",
                "perspective": "learning",
            },
            {
                "key": "agent_satisfaction",
                "name": "Agent satisfaction",
                "kind": "mean",
                "direction": "increase",
                "unit": "score 0-10",
                "indicator": "lagging",
                "perspective": "learning",
                "scale": [0, 10],
            },
            {
                "key": "transferred",
                "name": "Calls transferred",
                "kind": "proportion",
                "direction": "decrease",
                "unit": "audited calls",
                "indicator": "lagging",
                "perspective": "customer",
            },
        ],
        "hypotheses": [
            {
                "key": "H4",
                "statement": (
                    "Intent to leave stays flat at moderate occupancy and rises sharply once "
                    "occupancy passes about 70 %."
                ),
                "metric": "intent_to_leave",
                "role": "primary",
                "design": "threshold",
                "method": "fixed",
                "predictor": "occupancy",
            },
            {
                "key": "H1",
                "statement": (
                    "Happy agents at low occupancy produce better results: pilot teams resolve "
                    "at least three points more calls at first contact. (The competing view, "
                    "H2, is that high occupancy does not hurt results much.)"
                ),
                "metric": "fcr",
                "role": "secondary",
                "design": "concurrent",
                "method": "bayesian",
                "minimum_effect": 0.03,
            },
            {
                "key": "H3",
                "statement": (
                    "A better knowledge base and training lower the load by themselves: "
                    "average handle time falls by at least 0.3 minutes."
                ),
                "metric": "aht",
                "role": "secondary",
                "design": "concurrent",
                "method": "sequential",
                "minimum_effect": -0.3,
                "planned_sample_size": 3900,
                "quantiles": [0.5, 0.9, 0.95],
            },
            {
                "key": "H5",
                "statement": "Agents in pilot teams are more satisfied, by at least half a point.",
                "metric": "agent_satisfaction",
                "role": "secondary",
                "design": "concurrent",
                "method": "fixed",
                "minimum_effect": 0.5,
            },
            {
                "key": "G1",
                "statement": (
                    "Pilot agents do not transfer more calls to keep handle time down: the "
                    "share of calls transferred rises by no more than two points."
                ),
                "metric": "transferred",
                "role": "guardrail",
                "design": "concurrent",
                "method": "fixed",
                "minimum_effect": 0.02,
            },
        ],
        "iterations": iterations,
        "suggestions": [
            {
                "author": "Laila Nasser",
                "department": "Customer Service",
                "text": "Write the knowledge-base articles with the agents who take the calls.",
                "status": "incorporated",
                "iteration": 2,
                "date": dt.date(2025, 3, 10),
            },
            {
                "author": "Rob Whitcombe",
                "department": "Training",
                "text": "Two hours of training a month for every pilot agent, on the top "
                "call reasons.",
                "status": "incorporated",
                "iteration": 2,
                "date": dt.date(2025, 3, 17),
            },
            {
                "author": "Sunita Chauhan",
                "department": "HR",
                "text": "Pair every new hire with a top performer for their first two months.",
                "status": "incorporated",
                "iteration": 3,
                "date": dt.date(2025, 6, 9),
            },
            {
                "author": "Laila Nasser",
                "department": "Customer Service",
                "text": "Take handle time off individual scorecards; it invites transfers.",
                "status": "incorporated",
                "iteration": 4,
                "date": dt.date(2025, 9, 8),
            },
            {
                "author": "Marek Novak",
                "department": "Workforce Planning",
                "text": "Schedule off-phone time in blocks of 30 minutes rather than 10.",
                "status": "accepted",
                "date": dt.date(2025, 10, 20),
            },
            {
                "author": "Ingrid Solberg",
                "department": "Finance",
                "text": "Count the hiring and training cost of every leaver in the pilot report.",
                "status": "under_review",
                "date": dt.date(2025, 11, 10),
            },
            {
                "author": "Rob Whitcombe",
                "department": "Training",
                "text": "A monthly quiz on new articles, with the team's score on the board.",
                "status": "new",
                "date": dt.date(2025, 12, 8),
            },
            {
                "author": "Marek Novak",
                "department": "Workforce Planning",
                "text": "Lower occupancy by cutting breaks in the pilot teams' peak hours "
                "instead of adding staff.",
                "status": "declined",
                "reason": (
                    "Shorter breaks work against the point of the pilot: agents' load would "
                    "rise while the occupancy figure fell."
                ),
                "date": dt.date(2025, 2, 3),
            },
            {
                "author": "Sunita Chauhan",
                "department": "HR",
                "text": "Exit interviews for every leaver in both pilot and baseline teams.",
                "status": "accepted",
                "date": dt.date(2025, 4, 14),
            },
        ],
        "finance": {
            "currency": "EUR",
            "discount_rate": 0.08,
            "horizon_years": 3,
            "costs": [
                {
                    "item": "Rewriting sixty call-reason articles",
                    "amount": 21000,
                    "year": 0,
                    "recurring": False,
                },
                {
                    "item": "Extra agent hours to hold pilot teams at 70 % occupancy",
                    "amount": 186000,
                    "year": 1,
                    "recurring": True,
                },
                {
                    "item": "Knowledge-base tool licence",
                    "amount": 14400,
                    "year": 1,
                    "recurring": True,
                },
                {
                    "item": "Training and mentoring time",
                    "amount": 28000,
                    "year": 1,
                    "recurring": True,
                },
            ],
            "benefits": [
                {
                    "metric": "fcr",
                    "value_per_unit": 4.1,
                    "volume_per_year": 620000,
                    "description": (
                        "Every call resolved first time avoids a repeat call costing EUR 4.10; "
                        "the line takes about 620,000 calls a year."
                    ),
                },
                {
                    "metric": "aht",
                    "value_per_unit": 0.62,
                    "volume_per_year": 620000,
                    "description": "An agent minute costs EUR 0.62 fully loaded.",
                },
            ],
            "programmes": programmes(
                "Replace old switches",
                "IVR self-service upgrade",
                "Workforce-management software renewal",
            ),
        },
    }

    teams, seats_per_team = 10, 15
    pilot_teams = {2, 5, 7, 8}
    pilot_target = {1: 0.755, 2: 0.735, 3: 0.685, 4: 0.675}
    knowledge_base_minutes = {1: 0.0, 2: -0.35, 3: -0.5, 4: -0.55}
    pilot_training = {1: 2.0, 2: 4.0, 3: 4.5, 4: 4.5}
    survey_weeks = {
        dt.date(2025, 3, 24),
        dt.date(2025, 6, 23),
        dt.date(2025, 9, 22),
        dt.date(2025, 12, 15),
    }
    season = {1: 0.04, 2: 0.04, 3: 0.02, 6: -0.03, 7: -0.03, 8: -0.03, 11: 0.02, 12: 0.04}
    team_level = rng.normal(0.0, 0.02, teams)
    next_id = 1

    def hire(team: int, tenure: int) -> dict:
        nonlocal next_id
        agent = {
            "id": f"A{next_id:03d}",
            "team": team,
            "skill": rng.normal(),
            "occupancy": rng.normal(0.0, 0.035),
            "tenure": tenure,
        }
        next_id += 1
        return agent

    seats = [
        hire(t, int(rng.integers(10, 400))) for t in range(teams) for _ in range(seats_per_team)
    ]
    rows = []
    for week, monday in enumerate(mondays(start, 52)):
        it = iteration_on(iterations, monday)
        peak = season.get(monday.month, 0.0)
        level = [
            (pilot_target[it] + 0.3 * peak if t in pilot_teams else 0.82 + peak)
            + team_level[t]
            + rng.normal(0.0, 0.015)
            for t in range(teams)
        ]
        for s, agent in enumerate(seats):
            pilot = agent["team"] in pilot_teams
            group = "pilot" if pilot else "baseline"
            new_hire = agent["tenure"] < 8
            common = {"unit": agent["id"], "date": monday, "iteration": it}
            occupancy = float(
                np.clip(level[agent["team"]] + agent["occupancy"] + rng.normal(0, 0.025), 0.5, 0.95)
            )
            rows.append(observation("occupancy", group, round(occupancy, 3), **common))
            over = max(0.0, occupancy - 0.70)
            if (week + s) % 2 == 0:
                # Fortnightly pulse survey: flat below 70 % occupancy, steep above it.
                p_leave = 0.07 + 0.1 * (occupancy - 0.70) + 1.5 * over
                rows.append(
                    observation("intent_to_leave", group, int(rng.random() < p_leave), **common)
                )
            else:
                # Fortnightly scorecard and one audited call.
                minutes = 7.6 - 0.45 * agent["skill"] + (1.4 if new_hire else 0.0)
                minutes += (knowledge_base_minutes[it] if pilot else 0.0) + rng.normal(0, 0.35)
                rows.append(observation("aht", group, round(minutes, 2), **common))
                logit = 0.85 + 0.3 * agent["skill"] - (0.5 if new_hire else 0.0)
                logit += -1.2 * (occupancy - 0.75) + (0.1 if pilot and it >= 2 else 0.0)
                call = {**common, "date": monday + dt.timedelta(days=int(rng.integers(0, 5)))}
                resolved = int(rng.random() < 1 / (1 + math.exp(-logit)))
                p_transfer = 0.105 + (0.04 if new_hire else 0.0)
                rows.append(observation("fcr", group, resolved, **call))
                rows.append(
                    observation("transferred", group, int(rng.random() < p_transfer), **call)
                )
            if monday.day <= 7:
                hours = pilot_training[it] if pilot else 2.0
                hours = rng.gamma(4.0, hours / 4) + (6.0 if new_hire else 0.0)
                rows.append(observation("training_hours", group, round(hours * 2) / 2, **common))
            if monday in survey_weeks and rng.random() < 0.8:
                mean = 8.0 - 6.0 * max(0.0, occupancy - 0.68) + (0.3 if pilot and it >= 2 else 0)
                rows.append(
                    observation("agent_satisfaction", group, score(rng, mean, 1.6), **common)
                )
            agent["tenure"] += 1
            if rng.random() < 0.002 + 0.06 * over:
                seats[s] = hire(agent["team"], 0)

    return write_pilot(definition, {"observations.csv": rows})


# ------------------------------------------------------------- 3. appointment reminders


def dental_reminders() -> Path:
    """SMS reminders at a two-site dental practice, randomised per appointment.

    At the main site every appointment is assigned to the reminder arm with
    probability one half. The branch's booking system only exports daily summaries,
    which go to summary.csv.
    """
    rng = np.random.default_rng(20250110)
    start, end = dt.date(2025, 1, 6), dt.date(2025, 11, 28)
    closed = {dt.date(2025, 4, 18), dt.date(2025, 4, 21), dt.date(2025, 5, 26)}
    closed |= set(weekdays(dt.date(2025, 8, 11), dt.date(2025, 8, 22)))
    iterations = [
        {
            "number": 1,
            "start_date": start,
            "end_date": dt.date(2025, 3, 2),
            "title": "SMS reminder 48 hours before",
            "changes": "One SMS with date, time and clinician 48 hours before the appointment.",
            "reason": "The simplest reminder first, to see how much it does on its own.",
        },
        {
            "number": 2,
            "start_date": dt.date(2025, 3, 3),
            "end_date": dt.date(2025, 5, 25),
            "title": "Two-step reminder with reply to confirm",
            "changes": (
                "An SMS three days before asking the patient to reply C to confirm or R to "
                "rebook, and a second one the day before if there was no reply."
            ),
            "reason": (
                "Patients who missed appointments in iteration 1 often said 48 hours was too "
                "late to rearrange work; a reply lets reception refill the slot."
            ),
        },
        {
            "number": 3,
            "start_date": dt.date(2025, 5, 26),
            "end_date": dt.date(2025, 8, 31),
            "title": "Patient's own language; freed slots offered to the waiting list",
            "changes": (
                "Reminders go out in the language recorded in the patient's file; slots "
                "released by an R reply are offered by SMS to the waiting list."
            ),
            "reason": (
                "Most remaining misses were among patients whose first language is not "
                "English; rebooked slots were going unused."
            ),
        },
        {
            "number": 4,
            "start_date": dt.date(2025, 9, 1),
            "end_date": end,
            "title": "Reception calls patients with two or more misses",
            "changes": (
                "Patients who missed two or more appointments in the past year get a call "
                "from reception in addition to the SMS."
            ),
            "reason": (
                "A small group of repeat non-attenders caused a third of all misses and did "
                "not respond to SMS."
            ),
        },
    ]
    definition = {
        "slug": "dental-reminders",
        "name": "Appointment reminders at Kestrel Lane Dental",
        "status": "concluded",
        "start_date": start,
        "end_date": end,
        "summary": (
            "Does a reminder system lower the failure-to-attend rate? Each appointment at "
            "the main site is randomly assigned to get reminders or not."
        ),
        "departments": ["Operations", "Reception", "Clinical", "IT", "Finance"],
        "pilot_share": 0.5,
        "partner": {
            "name": "Kestrel Lane Dental Practice",
            "segment": "healthcare",
            "size": "small",
            "key_account": False,
        },
        "metrics": [
            {
                "key": "fta",
                "name": "Failure-to-attend rate",
                "kind": "proportion",
                "direction": "decrease",
                "unit": "appointments",
                "indicator": "lagging",
                "perspective": "customer",
            },
            {
                "key": "late_arrival",
                "name": "Patients more than ten minutes late",
                "kind": "proportion",
                "direction": "decrease",
                "unit": "attended appointments",
                "indicator": "lagging",
                "perspective": "internal",
            },
            {
                "key": "patient_nps",
                "name": "Patient likelihood to recommend",
                "kind": "mean",
                "direction": "increase",
                "unit": "score 0-10",
                "indicator": "lagging",
                "perspective": "customer",
                "scale": [0, 10],
            },
            {
                "key": "minutes_lost",
                "name": "Specialist time lost to missed appointments",
                "kind": "mean",
                "direction": "decrease",
                "unit": "minutes per clinic day",
                "indicator": "lagging",
                "perspective": "financial",
            },
        ],
        "hypotheses": [
            {
                "key": "H1",
                "statement": (
                    "Reminders lower the failure-to-attend rate by at least two points "
                    "(from about 12 %)."
                ),
                "metric": "fta",
                "role": "primary",
                "design": "concurrent",
                "method": "fixed",
                "alpha": 0.05,
                "minimum_effect": -0.02,
                "planned_sample_size": 7800,
            },
            {
                "key": "H2",
                "statement": (
                    "Reminders also lower the share of patients arriving more than ten "
                    "minutes late, by at least two points."
                ),
                "metric": "late_arrival",
                "role": "secondary",
                "design": "concurrent",
                "method": "sequential",
                "minimum_effect": -0.02,
                "planned_sample_size": 9000,
            },
            {
                "key": "H3",
                "statement": (
                    "At the Millbrook branch, reminders save at least ten minutes of "
                    "specialist time a day."
                ),
                "metric": "minutes_lost",
                "role": "secondary",
                "design": "concurrent",
                "method": "fixed",
                "minimum_effect": -10.0,
            },
            {
                "key": "G1",
                "statement": (
                    "Reminders do not annoy patients: their score drops by no more than 0.3."
                ),
                "metric": "patient_nps",
                "role": "guardrail",
                "design": "concurrent",
                "method": "fixed",
                "minimum_effect": 0.3,
            },
        ],
        "iterations": iterations,
        "suggestions": [
            {
                "author": "Dr. Amira Haddad",
                "department": "Clinical",
                "text": "Send the reminder in the patient's own language.",
                "status": "incorporated",
                "iteration": 3,
                "date": dt.date(2025, 5, 12),
            },
            {
                "author": "Jess Morgan",
                "department": "Reception",
                "text": "Let patients reply to rebook instead of having to ring us.",
                "status": "incorporated",
                "iteration": 2,
                "date": dt.date(2025, 2, 17),
            },
            {
                "author": "Jess Morgan",
                "department": "Reception",
                "text": "Phone the patients who have missed twice; SMS does not reach them.",
                "status": "incorporated",
                "iteration": 4,
                "date": dt.date(2025, 8, 4),
            },
            {
                "author": "Callum Reid",
                "department": "IT",
                "text": "Offer slots freed by a rebooking to the waiting list automatically.",
                "status": "incorporated",
                "iteration": 3,
                "date": dt.date(2025, 5, 19),
            },
            {
                "author": "Naomi Fischer",
                "department": "Operations",
                "text": "Run the same reminders at the Millbrook branch.",
                "status": "accepted",
                "date": dt.date(2025, 10, 6),
            },
            {
                "author": "Dr. Paul Osei",
                "department": "Clinical",
                "text": "Add pre-appointment instructions (no food before sedation) to the "
                "reminder.",
                "status": "under_review",
                "date": dt.date(2025, 10, 27),
            },
            {
                "author": "Tariq Aziz",
                "department": "Finance",
                "text": "Report the cost of misses per clinician each month.",
                "status": "new",
                "date": dt.date(2025, 11, 17),
            },
            {
                "author": "Tariq Aziz",
                "department": "Finance",
                "text": "Charge a fee for appointments missed without notice.",
                "status": "declined",
                "reason": (
                    "It would change patients' behaviour in both arms at once and hide the "
                    "reminders' effect; to be decided after the pilot."
                ),
                "date": dt.date(2025, 3, 24),
            },
        ],
        "finance": {
            "currency": "EUR",
            "discount_rate": 0.06,
            "horizon_years": 3,
            "costs": [
                {"item": "Reminder service set-up", "amount": 3500, "year": 0, "recurring": False},
                {
                    "item": "Booking-system integration",
                    "amount": 6000,
                    "year": 0,
                    "recurring": False,
                },
                {
                    "item": "SMS messages, two per appointment",
                    "amount": 2400,
                    "year": 1,
                    "recurring": True,
                },
                {
                    "item": "Reception time for calls to repeat non-attenders",
                    "amount": 4200,
                    "year": 1,
                    "recurring": True,
                },
            ],
            "benefits": [
                {
                    "metric": "fta",
                    "value_per_unit": 102.0,
                    "volume_per_year": 14500,
                    "description": (
                        "A missed appointment costs EUR 38 of lost contract income plus 40 "
                        "minutes of specialist time at EUR 1.60 a minute; the practice books "
                        "about 14,500 appointments a year."
                    ),
                },
            ],
            "programmes": programmes(
                "Online booking portal", "Digital X-ray upgrade", "Billing system upgrade"
            ),
        },
    }

    # About 6 % of patients miss often and barely respond to an SMS; a phone call helps.
    occasional_factor = {1: 0.72, 2: 0.62, 3: 0.58, 4: 0.58}
    repeat_factor = {1: 0.9, 2: 0.85, 3: 0.85, 4: 0.55}
    rows = []
    for day in weekdays(start, end, closed):
        it = iteration_on(iterations, day)
        season = 1.12 if day.month in (7, 8) else 1.0
        for _ in range(int(rng.poisson(48))):
            reminded = rng.random() < 0.5
            group = "pilot" if reminded else "baseline"
            repeat = rng.random() < 0.06
            p_miss = (0.45 if repeat else 0.0995) * season
            if reminded:
                p_miss *= repeat_factor[it] if repeat else occasional_factor[it]
            missed = int(rng.random() < p_miss)
            rows.append(observation("fta", group, missed, date=day, iteration=it))
            if missed:
                continue
            late = int(rng.random() < (0.083 if reminded else 0.085))
            rows.append(observation("late_arrival", group, late, date=day, iteration=it))
            if rng.random() < 0.2:
                answer = score(rng, 8.5 if reminded else 8.45, 1.7)
                rows.append(observation("patient_nps", group, answer, date=day, iteration=it))

    # Millbrook branch: four clinic days a week, daily minutes lost per arm.
    lost = {"baseline": [], "pilot": []}
    for day in weekdays(start, end, closed):
        if day.weekday() == 2:
            continue
        for group, p_miss in (("baseline", 0.13), ("pilot", 0.085)):
            booked = int(rng.binomial(int(rng.poisson(26)), 0.5))
            missed = int(rng.binomial(booked, p_miss))
            lost[group].append(float(rng.choice([20, 30, 40, 60], size=missed).sum()))
    summary = [
        {
            "metric": "minutes_lost",
            "group": group,
            "period": "post",
            "n": len(values),
            "mean": round(float(np.mean(values)), 2),
            "sd": round(float(np.std(values, ddof=1)), 2),
        }
        for group, values in lost.items()
    ]
    return write_pilot(definition, {"observations.csv": rows}, summary)


# -------------------------------------------------------------- 4. knowledge base


def knowledge_base_contacts() -> Path:
    """A knowledge base for the service desk that supports a supermarket chain's stores.

    Eight of the partner's twenty stores get the new knowledge base (for our
    agents) and a self-service portal (for store staff); twelve carry on as
    before. Contact-level samples go to observations.csv; the daily cost and
    resolution-time figures per store come from the finance export in
    observations-site-days.csv.
    """
    rng = np.random.default_rng(20250428)
    pre_start, start, last = dt.date(2025, 2, 3), dt.date(2025, 4, 28), dt.date(2025, 11, 30)
    iterations = [
        {
            "number": 1,
            "start_date": start,
            "end_date": dt.date(2025, 6, 15),
            "title": "Agent knowledge base for the forty most common faults",
            "changes": (
                "First-line agents answering the pilot stores use step-by-step articles for "
                "the forty most frequent till, card-terminal and label-printer faults."
            ),
            "reason": "Two in five contacts were escalated for faults first line could fix.",
        },
        {
            "number": 2,
            "start_date": dt.date(2025, 6, 16),
            "end_date": dt.date(2025, 8, 10),
            "title": "Self-service portal for store staff",
            "changes": (
                "The same articles open for store staff through a QR code on each device; "
                "a contact is raised only if the guide does not solve the problem."
            ),
            "reason": (
                "Store managers said staff would fix simple faults themselves if they could "
                "find the steps at the till."
            ),
        },
        {
            "number": 3,
            "start_date": dt.date(2025, 8, 11),
            "end_date": dt.date(2025, 10, 5),
            "title": "Articles written from closed escalations",
            "changes": (
                "First-line agents draft an article from every closed escalation; second "
                "line reviews the drafts weekly."
            ),
            "reason": (
                "Articles written by the product team were too technical for store staff; "
                "the agents knew which words store staff actually use."
            ),
        },
        {
            "number": 4,
            "start_date": dt.date(2025, 10, 6),
            "title": "No firmware release without its articles",
            "changes": (
                "Searches in the portal that find nothing feed a weekly gap list, and R&D "
                "ships release notes as knowledge-base articles before a firmware roll-out."
            ),
            "reason": (
                "The September card-terminal firmware update flooded the service desk for "
                "two weeks because nobody had told first line what changed."
            ),
        },
    ]
    definition = {
        "slug": "knowledge-base-contacts",
        "name": "Knowledge base and self-service for Brightwater stores",
        "status": "active",
        "start_date": start,
        "summary": (
            "Does a knowledge base lower the cost of each inbound contact from the partner's "
            "stores? Eight pilot stores against twelve baseline stores, with twelve weeks "
            "before the start for comparison."
        ),
        "departments": [
            "Customer Service",
            "Second-line Support",
            "R&D",
            "Account Management",
            "Finance",
        ],
        "partner": {
            "name": "Brightwater Supermarkets",
            "segment": "retail",
            "size": "medium",
            "key_account": False,
        },
        "metrics": [
            {
                "key": "cost_per_contact",
                "name": "Cost per inbound contact",
                "kind": "ratio",
                "direction": "decrease",
                "unit": "EUR per contact",
                "indicator": "lagging",
                "perspective": "financial",
            },
            {
                "key": "first_line_resolution",
                "name": "First-line resolution rate",
                "kind": "proportion",
                "direction": "increase",
                "unit": "contacts",
                "indicator": "leading",
                "perspective": "internal",
            },
            {
                "key": "self_service_completion",
                "name": "Self-service completion rate",
                "kind": "proportion",
                "direction": "increase",
                "unit": "self-service sessions",
                "indicator": "leading",
                "perspective": "customer",
            },
            {
                "key": "resolution_time",
                "name": "Average resolution time",
                "kind": "mean",
                "direction": "decrease",
                "unit": "hours",
                "indicator": "lagging",
                "perspective": "internal",
            },
            {
                "key": "csat",
                "name": "Satisfaction with service (CSAT)",
                "kind": "proportion",
                "direction": "increase",
                "unit": "survey answers",
                "indicator": "lagging",
                "perspective": "customer",
            },
        ],
        "hypotheses": [
            {
                "key": "H1",
                "statement": (
                    "The knowledge base lowers the cost per inbound contact by at least EUR 1 "
                    "in pilot stores."
                ),
                "metric": "cost_per_contact",
                "role": "primary",
                "design": "concurrent",
                "method": "fixed",
                "alpha": 0.05,
                "minimum_effect": -1.0,
            },
            {
                "key": "H2",
                "statement": (
                    "First line resolves at least three points more contacts from pilot "
                    "stores; it is the leading indicator that drives cost per contact."
                ),
                "metric": "first_line_resolution",
                "role": "secondary",
                "design": "concurrent",
                "method": "bayesian",
                "minimum_effect": 0.03,
            },
            {
                "key": "H3",
                "statement": (
                    "Store staff finish at least ten points more self-service sessions "
                    "without raising a contact than before the pilot."
                ),
                "metric": "self_service_completion",
                "role": "secondary",
                "design": "pre_post",
                "method": "fixed",
                "minimum_effect": 0.1,
            },
            {
                "key": "H4",
                "statement": "Contacts from pilot stores are resolved at least an hour sooner.",
                "metric": "resolution_time",
                "role": "secondary",
                "design": "concurrent",
                "method": "fixed",
                "minimum_effect": -1.0,
                "quantiles": [0.5, 0.9, 0.95],
            },
            {
                "key": "G1",
                "statement": (
                    "Store staff are not less satisfied with the service: CSAT falls by no "
                    "more than three points."
                ),
                "metric": "csat",
                "role": "guardrail",
                "design": "concurrent",
                "method": "fixed",
                "minimum_effect": 0.03,
            },
        ],
        "iterations": iterations,
        "suggestions": [
            {
                "author": "Beatriz Costa",
                "department": "Account Management",
                "text": "Put a QR code on every till and terminal that opens its guide.",
                "status": "incorporated",
                "iteration": 2,
                "date": dt.date(2025, 5, 26),
            },
            {
                "author": "Jonas Weber",
                "department": "Second-line Support",
                "text": "Have first line write an article from every escalation we close.",
                "status": "incorporated",
                "iteration": 3,
                "date": dt.date(2025, 7, 21),
            },
            {
                "author": "Aisha Bello",
                "department": "Customer Service",
                "text": "Make R&D publish firmware changes as articles before the roll-out.",
                "status": "incorporated",
                "iteration": 4,
                "date": dt.date(2025, 9, 24),
            },
            {
                "author": "Lena Hoffmann",
                "department": "R&D",
                "text": "Show the top failed portal searches on the R&D team board.",
                "status": "accepted",
                "date": dt.date(2025, 10, 20),
            },
            {
                "author": "Pieter de Vries",
                "department": "Finance",
                "text": "Split cost per contact into first-line and second-line cost.",
                "status": "under_review",
                "date": dt.date(2025, 11, 3),
            },
            {
                "author": "Aisha Bello",
                "department": "Customer Service",
                "text": "A chat button in the portal when a guide does not help.",
                "status": "new",
                "date": dt.date(2025, 11, 24),
            },
            {
                "author": "Beatriz Costa",
                "department": "Account Management",
                "text": "Open the portal to all twenty stores straight away.",
                "status": "declined",
                "reason": (
                    "The twelve baseline stores are the comparison for cost per contact; they "
                    "join when the pilot concludes."
                ),
                "date": dt.date(2025, 7, 7),
            },
        ],
        "finance": {
            "currency": "EUR",
            "discount_rate": 0.08,
            "horizon_years": 3,
            "costs": [
                {
                    "item": "Writing the first 120 articles",
                    "amount": 24000,
                    "year": 0,
                    "recurring": False,
                },
                {
                    "item": "Self-service portal and QR labels for twenty stores",
                    "amount": 8500,
                    "year": 0,
                    "recurring": False,
                },
                {
                    "item": "Knowledge-base software licence",
                    "amount": 9600,
                    "year": 1,
                    "recurring": True,
                },
                {
                    "item": "Article upkeep, a third of a full-time post",
                    "amount": 19500,
                    "year": 1,
                    "recurring": True,
                },
            ],
            "benefits": [
                {
                    "metric": "cost_per_contact",
                    "value_per_unit": 1.0,
                    "volume_per_year": 36000,
                    "description": "Each euro saved per contact, on about 36,000 contacts a year "
                    "from the partner's stores.",
                },
                {
                    "metric": "self_service_completion",
                    "value_per_unit": 16.0,
                    "volume_per_year": 12000,
                    "description": (
                        "A self-service session that ends without a contact avoids one, at "
                        "about EUR 16; about 12,000 sessions a year once all stores use it."
                    ),
                },
            ],
            "programmes": programmes(
                "Replace old switches", "Billing system upgrade", "Field-service route planning"
            ),
        },
    }

    stores = [f"BW{i:02d}" for i in range(1, 21)]
    pilot_stores = {"BW03", "BW05", "BW08", "BW11", "BW12", "BW15", "BW17", "BW19"}
    contacts_per_day = dict(zip(stores, rng.uniform(2.5, 8.0, len(stores)), strict=True))
    store_cost = dict(zip(stores, rng.normal(0.0, 1.8, len(stores)), strict=True))
    store_resolution = dict(zip(stores, rng.normal(0.0, 0.04, len(stores)), strict=True))
    flr_gain = {None: 0.0, 1: 0.04, 2: 0.05, 3: 0.09, 4: 0.11}
    sessions_per_day = {None: 1.2, 1: 1.3, 2: 3.0, 3: 3.4, 4: 3.8}
    completion = {None: 0.36, 1: 0.37, 2: 0.50, 3: 0.55, 4: 0.59}
    weekday_load = (1.25, 1.1, 1.0, 1.0, 1.05, 0.9, 0.6)
    firmware_flood = (dt.date(2025, 9, 8), dt.date(2025, 9, 21))

    contact_rows, site_days = [], []
    for day in all_days(pre_start, last):
        period = "pre" if day < start else "post"
        it = iteration_on(iterations, day)
        flood = firmware_flood[0] <= day <= firmware_flood[1]
        for store in stores:
            pilot = store in pilot_stores and it is not None
            group = "pilot" if store in pilot_stores else "baseline"
            common = {"period": period, "unit": store, "date": day, "iteration": it}
            load = contacts_per_day[store] * weekday_load[day.weekday()] * (1.5 if flood else 1)
            if pilot and it >= 2:
                load *= 0.85  # simple faults now fixed in the store
            p_first_line = 0.61 + store_resolution[store] - (0.08 if flood else 0.0)
            p_first_line += flr_gain[it] if pilot else 0.0
            cost = hours = 0.0
            contacts = int(rng.poisson(load))
            for _ in range(contacts):
                first_line = rng.random() < p_first_line
                minutes = rng.gamma(6.0, 14.0 / 6) * (0.9 if pilot else 1.0)
                cost += 0.75 * minutes + store_cost[store]
                if first_line:
                    hours += rng.lognormal(math.log(0.4), 0.5)
                else:
                    cost += rng.lognormal(math.log(24.0), 0.3)
                    second_line_hours = 15.0 if pilot and it >= 3 else 19.0
                    hours += rng.lognormal(math.log(second_line_hours), 0.6)
                if rng.random() < 0.2:
                    contact_rows.append(
                        observation("first_line_resolution", group, int(first_line), **common)
                    )
                if rng.random() < 0.2:
                    # Resolved first time pleases; so do the consistent answers of the articles.
                    p_satisfied = 0.8 + (0.08 if first_line else 0.0) + (0.01 if pilot else 0.0)
                    satisfied = rng.random() < p_satisfied
                    contact_rows.append(observation("csat", group, int(satisfied), **common))
            if contacts:
                site_days.append(
                    observation(
                        "cost_per_contact",
                        group,
                        round(cost, 2),
                        denominator=contacts,
                        **common,
                    )
                )
                site_days.append(
                    observation("resolution_time", group, round(hours / contacts, 2), **common)
                )
            if store in pilot_stores:
                for _ in range(int(rng.poisson(sessions_per_day[it]))):
                    done = int(rng.random() < completion[it])
                    contact_rows.append(
                        observation("self_service_completion", "pilot", done, **common)
                    )

    # CUPED: each post row carries its store's value over the twelve weeks before the start.
    totals = defaultdict(lambda: [0.0, 0.0])
    for row in site_days:
        if row["period"] == "pre":
            key = (row["metric"], row["unit"])
            totals[key][0] += row["value"]
            totals[key][1] += row.get("denominator") or 1
    for row in site_days:
        if row["period"] == "post":
            value, weight = totals[(row["metric"], row["unit"])]
            row["covariate"] = round(value / weight, 2)

    return write_pilot(
        definition,
        {"observations.csv": contact_rows, "observations-site-days.csv": site_days},
    )


# ------------------------------------------------------------ 5. handle-time targets


def handle_time_targets() -> Path:
    """Team handle-time targets on an insurer's claims line: the gamed metric.

    Three of eight teams get a handle-time target, then a bonus for meeting it,
    then an hourly wallboard. Handle time falls, but agents meet the target by
    passing hard calls on and closing calls early, so more customers have to
    call again within a week: the guardrail that was registered to catch
    exactly this is breached. Each agent-week gives the agent's handle-time
    scorecard and one audited call, followed up for seven days.
    """
    rng = np.random.default_rng(20250505)
    start = dt.date(2025, 5, 5)
    iterations = [
        {
            "number": 1,
            "start_date": start,
            "end_date": dt.date(2025, 6, 29),
            "title": "Team handle-time target of 6.5 minutes",
            "changes": (
                "Three of the eight teams get a team target of 6.5 minutes' average handle "
                "time, shown on the team's scorecard every week."
            ),
            "reason": (
                "Handle time drives most of the claims line's staffing cost, and the "
                "partner's board asked for shorter calls."
            ),
        },
        {
            "number": 2,
            "start_date": dt.date(2025, 6, 30),
            "end_date": dt.date(2025, 8, 24),
            "title": "A monthly bonus for teams under the target",
            "changes": "Pilot teams under 6.5 minutes in a month share a bonus pool.",
            "reason": (
                "Handle time fell less than hoped in iteration 1; team leaders said a target "
                "without a reward was easy to ignore."
            ),
        },
        {
            "number": 3,
            "start_date": dt.date(2025, 8, 25),
            "title": "Each team's handle time on the wallboard, every hour",
            "changes": (
                "The wallboard shows each pilot team's running average handle time, "
                "refreshed every hour."
            ),
            "reason": "Team leaders wanted agents to see during the day how the team stood.",
        },
    ]
    definition = {
        "slug": "handle-time-targets",
        "name": "Handle-time targets on the Fernhill claims line",
        "status": "paused",
        "start_date": start,
        "summary": (
            "Do team targets and a bonus shorten calls on Fernhill Mutual's claims line "
            "without making customers call again? Three of eight teams take part; paused "
            "while the team works out why repeat calls rose."
        ),
        "departments": ["Customer Service", "Workforce Planning", "Quality", "Finance"],
        "partner": {
            "name": "Fernhill Mutual",
            "segment": "insurance",
            "size": "small",
            "key_account": False,
        },
        "metrics": [
            {
                "key": "aht",
                "name": "Average handle time",
                "kind": "mean",
                "direction": "decrease",
                "unit": "minutes per call",
                "indicator": "leading",
                "perspective": "internal",
            },
            {
                "key": "transferred",
                "name": "Calls transferred",
                "kind": "proportion",
                "direction": "decrease",
                "unit": "audited calls",
                "indicator": "leading",
                "perspective": "internal",
            },
            {
                "key": "repeat_contact",
                "name": "Customers calling again within seven days",
                "kind": "proportion",
                "direction": "decrease",
                "unit": "audited calls",
                "indicator": "lagging",
                "perspective": "customer",
            },
        ],
        "hypotheses": [
            {
                "key": "H1",
                "statement": (
                    "Team targets cut average handle time by at least half a minute "
                    "(from about 7.4 minutes)."
                ),
                "metric": "aht",
                "role": "primary",
                "design": "concurrent",
                "method": "fixed",
                "alpha": 0.05,
                "minimum_effect": -0.5,
            },
            {
                "key": "H2",
                "statement": (
                    "Shorter calls come from agents who know the answers, not from passing "
                    "callers on: pilot teams transfer at least one point fewer calls."
                ),
                "metric": "transferred",
                "role": "secondary",
                "design": "concurrent",
                "method": "fixed",
                "minimum_effect": -0.01,
            },
            {
                "key": "G1",
                "statement": (
                    "Customers do not have to call again: the share who call back within "
                    "seven days rises by no more than two points."
                ),
                "metric": "repeat_contact",
                "role": "guardrail",
                "design": "concurrent",
                "method": "fixed",
                "minimum_effect": 0.02,
            },
        ],
        "iterations": iterations,
        "suggestions": [
            {
                "author": "Hannah Brookes",
                "department": "Workforce Planning",
                "text": "Reward the team rather than the agent, so that agents help each other.",
                "status": "incorporated",
                "iteration": 2,
                "date": dt.date(2025, 6, 16),
            },
            {
                "author": "Yusuf Demir",
                "department": "Quality",
                "text": "Listen to ten transferred calls a week from each pilot team.",
                "status": "accepted",
                "date": dt.date(2025, 9, 15),
            },
            {
                "author": "Carys Lloyd",
                "department": "Customer Service",
                "text": "Take handle time off the wallboard and show repeat calls instead.",
                "status": "under_review",
                "date": dt.date(2025, 10, 6),
            },
            {
                "author": "Oliver Grant",
                "department": "Finance",
                "text": "Count the cost of every repeat call in the finance case.",
                "status": "new",
                "date": dt.date(2025, 10, 13),
            },
            {
                "author": "Hannah Brookes",
                "department": "Workforce Planning",
                "text": "Give all eight teams the target now.",
                "status": "declined",
                "reason": (
                    "The five other teams are the comparison, and nobody should copy the "
                    "targets before the rise in repeat calls is understood."
                ),
                "date": dt.date(2025, 7, 21),
            },
        ],
        "finance": {
            "currency": "EUR",
            "discount_rate": 0.08,
            "horizon_years": 3,
            "costs": [
                {
                    "item": "Wallboards and team reporting",
                    "amount": 6000,
                    "year": 0,
                    "recurring": False,
                },
                {"item": "Monthly team bonus pool", "amount": 30000, "year": 1, "recurring": True},
            ],
            "benefits": [
                {
                    "metric": "aht",
                    "value_per_unit": 0.58,
                    "volume_per_year": 210000,
                    "description": (
                        "An agent minute costs EUR 0.58 fully loaded; the claims line takes "
                        "about 210,000 calls a year. Repeat calls are not counted."
                    ),
                },
            ],
            "programmes": programmes(
                "Replace old switches",
                "IVR self-service upgrade",
                "Workforce-management software renewal",
            ),
        },
    }

    teams, seats_per_team = 8, 10
    pilot_teams = {1, 4, 6}
    # What the targets do in pilot teams, by iteration: shorter calls, bought with
    # transfers and calls closed before the claim is settled.
    shorter = {1: -0.45, 2: -0.8, 3: -1.0}
    transfer = {1: 0.11, 2: 0.14, 3: 0.16}
    repeat = {1: 0.15, 2: 0.19, 3: 0.21}
    team_level = rng.normal(0.0, 0.25, teams)
    skill = rng.normal(0.0, 1.0, (teams, seats_per_team))
    rows = []
    for monday in mondays(start, 24):
        it = iteration_on(iterations, monday)
        for team in range(teams):
            pilot = team in pilot_teams
            group = "pilot" if pilot else "baseline"
            for seat in range(seats_per_team):
                agent = f"F{team + 1}{seat:02d}"
                common = {"unit": agent, "date": monday, "iteration": it}
                minutes = 7.4 + team_level[team] - 0.35 * skill[team, seat] + rng.normal(0, 0.4)
                minutes += shorter[it] if pilot else 0.0
                rows.append(observation("aht", group, round(minutes, 2), **common))
                call = {**common, "date": monday + dt.timedelta(days=int(rng.integers(0, 5)))}
                moved = int(rng.random() < (transfer[it] if pilot else 0.09))
                again = int(rng.random() < (repeat[it] if pilot else 0.13))
                rows.append(observation("transferred", group, moved, **call))
                rows.append(observation("repeat_contact", group, again, **call))

    return write_pilot(definition, {"observations.csv": rows})


# --------------------------------------------------------------------------- checks

ALLOWED_KEYS = {
    "pilot": {
        "slug",
        "name",
        "status",
        "start_date",
        "end_date",
        "summary",
        "departments",
        "indicators",
        "pilot_share",
        "partner",
        "metrics",
        "hypotheses",
        "iterations",
        "suggestions",
        "finance",
    },
    "partner": {"name", "segment", "size", "key_account", "key_account_reason"},
    "metrics": {"key", "name", "kind", "direction", "unit", "indicator", "perspective", "scale"},
    "hypotheses": {
        "key",
        "statement",
        "metric",
        "role",
        "design",
        "method",
        "alpha",
        "minimum_effect",
        "planned_sample_size",
        "predictor",
        "quantiles",
    },
    "iterations": {"number", "start_date", "end_date", "title", "changes", "reason"},
    "suggestions": {"author", "department", "text", "status", "iteration", "reason", "date"},
    "finance": {
        "currency",
        "discount_rate",
        "horizon_years",
        "costs",
        "benefits",
        "programmes",
        "poor_service",
    },
    "costs": {"item", "amount", "year", "recurring"},
    "benefits": {"metric", "value_per_unit", "volume_per_year", "description"},
    "programmes": {"name", "roi", "description"},
    "poor_service": {"line", "metric", "share", "description"},
}
CHOICES = {
    "status": {"draft", "active", "paused", "concluded", "scaled", "abandoned"},
    "size": {"small", "medium", "large"},
    "kind": {"mean", "proportion", "ratio"},
    "direction": {"increase", "decrease"},
    "indicator": {"leading", "lagging"},
    "perspective": {"financial", "customer", "internal", "learning"},
    "role": {"primary", "secondary", "guardrail"},
    "design": {"concurrent", "pre_post", "did", "its", "threshold"},
    "method": {"fixed", "sequential", "bayesian"},
    "suggestion": {"new", "under_review", "accepted", "incorporated", "declined"},
}


class PilotError(ValueError):
    """A generated pilot breaks the file format in docs/experiments.md."""


def require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise PilotError(f"{where}: {message}")


def check_keys(table: dict, allowed: str, where: str) -> None:
    unknown = set(table) - ALLOWED_KEYS[allowed]
    require(not unknown, where, f"unknown keys {sorted(unknown)}")


def check_choice(value, choices: str, where: str) -> None:
    require(value in CHOICES[choices], where, f"{value!r} is not one of {sorted(CHOICES[choices])}")


def check_definition(pilot: dict, where: str) -> None:
    """The pilot.toml rules: keys, choices, and references between tables."""
    check_keys(pilot, "pilot", where)
    check_choice(pilot["status"], "status", where)
    require(isinstance(pilot["start_date"], dt.date), where, "start_date is not a TOML date")
    if "pilot_share" in pilot:
        require(0 < pilot["pilot_share"] < 1, where, "pilot_share must lie between 0 and 1")
    partner = pilot["partner"]
    check_keys(partner, "partner", f"{where} [partner]")
    check_choice(partner["size"], "size", f"{where} [partner]")
    if partner["key_account"]:
        require(partner.get("key_account_reason"), where, "key account without a reason")

    metrics = {}
    for m in pilot["metrics"]:
        at = f"{where} metric {m['key']}"
        check_keys(m, "metrics", at)
        require(m["key"].replace("_", "").replace("-", "").isalnum(), at, "bad key")
        require(m["key"] not in metrics, at, "duplicate key")
        for field in ("kind", "direction", "indicator", "perspective"):
            check_choice(m[field], field, at)
        if "scale" in m:
            low, high = m["scale"]
            require(m["kind"] == "mean" and low < high, at, "scale needs a mean metric, low < high")
        metrics[m["key"]] = m

    iterations = [it["number"] for it in pilot["iterations"]]
    require(iterations == list(range(1, len(iterations) + 1)), where, "iterations not 1..n")
    require(3 <= len(iterations) <= 5, where, "expected 3-5 iterations")
    for it in pilot["iterations"]:
        check_keys(it, "iterations", f"{where} iteration {it['number']}")
        require(it["changes"] and it["reason"], where, f"iteration {it['number']} unexplained")

    for h in pilot["hypotheses"]:
        at = f"{where} hypothesis {h['key']}"
        check_keys(h, "hypotheses", at)
        for field in ("role", "design", "method"):
            check_choice(h[field], field, at)
        require(h["metric"] in metrics, at, f"unknown metric {h['metric']!r}")
        if h["design"] == "threshold":
            require(h.get("predictor") in metrics, at, "threshold needs a declared predictor")
        else:
            require("predictor" not in h, at, "predictor is for threshold designs only")
        if h["design"] in ("did", "its", "threshold"):
            require(h["method"] == "fixed", at, f"the {h['design']} design has a fixed test only")
        if h["role"] == "guardrail":
            require(h["design"] in ("concurrent", "pre_post"), at, "a guardrail compares groups")
            require(h.get("minimum_effect", 0) >= 0, at, "a guardrail's margin is not negative")

    for s in pilot["suggestions"]:
        at = f"{where} suggestion by {s['author']}"
        check_keys(s, "suggestions", at)
        check_choice(s["status"], "suggestion", at)
        if s["status"] == "incorporated":
            require(s.get("iteration") in iterations, at, "incorporated without an iteration")
        if s["status"] == "declined":
            require(s.get("reason"), at, "declined without a reason")
    statuses = {s["status"] for s in pilot["suggestions"]}
    require(statuses == CHOICES["suggestion"], where, "not every suggestion status is shown")

    finance = pilot["finance"]
    check_keys(finance, "finance", f"{where} [finance]")
    for part in ("costs", "benefits", "programmes", "poor_service"):
        for item in finance.get(part, []):
            check_keys(item, part, f"{where} [[finance.{part}]]")
    for benefit in finance["benefits"]:
        require(benefit["metric"] in metrics, where, f"benefit of unknown {benefit['metric']!r}")
    for cost in finance["costs"]:
        require(0 <= cost["year"] <= finance["horizon_years"], where, f"year of {cost['item']}")
    require({c["recurring"] for c in finance["costs"]} == {True, False}, where, "cost mix")


def check_observations(path: Path, pilot: dict, metrics: dict, rows_by_metric: dict) -> None:
    """One observations*.csv file: header, metric keys, and each value against its metric."""
    iterations = pilot["iterations"]
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = set(reader.fieldnames or ())
        unknown = header - set(OBSERVATION_COLUMNS)
        require(not unknown, str(path), f"unknown columns {sorted(unknown)}")
        missing = {"metric", "group", "value"} - header
        require(not missing, str(path), f"missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            at = f"{path}:{line}"
            metric = metrics.get(row["metric"])
            require(metric is not None, at, f"undeclared metric {row['metric']!r}")
            require(row["group"] in ("baseline", "pilot"), at, "group")
            period = row.get("period") or "post"
            require(period in ("pre", "post"), at, "period")
            value = float(row["value"])
            require(math.isfinite(value), at, "value is not a finite number")
            if metric["kind"] == "proportion":
                require(row["value"] in ("0", "1"), at, "a proportion's value must be 0 or 1")
            if metric["kind"] == "ratio":
                require(float(row.get("denominator") or 0) > 0, at, "ratio without denominator")
            else:
                require(not row.get("denominator"), at, "denominator on a non-ratio metric")
            if "scale" in metric:
                low, high = metric["scale"]
                require(value.is_integer() and low <= value <= high, at, "score outside scale")
            if row.get("covariate"):
                require(math.isfinite(float(row["covariate"])), at, "covariate")
            if row.get("date"):
                day = dt.date.fromisoformat(row["date"])
                before = day < pilot["start_date"]
                require(before == (period == "pre"), at, "period does not match the date")
                expected = iteration_on(iterations, day)
                actual = int(row["iteration"]) if row.get("iteration") else None
                require(actual == expected, at, f"iteration {actual}, expected {expected}")
            rows_by_metric[row["metric"]].append({**row, "period": period})


def check_summary(path: Path, metrics: dict) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = set(reader.fieldnames or ())
        require(header <= set(SUMMARY_COLUMNS), str(path), "unknown columns")
        require({"metric", "group", "n", "mean", "sd"} <= header, str(path), "missing columns")
        for line, row in enumerate(reader, start=2):
            at = f"{path}:{line}"
            metric = metrics.get(row["metric"])
            require(metric is not None, at, f"undeclared metric {row['metric']!r}")
            require(metric["kind"] in ("mean", "proportion"), at, "summary of a ratio metric")
            require(row["group"] in ("baseline", "pilot"), at, "group")
            require(row["n"].isdigit() and int(row["n"]) > 1, at, "n")
            require(float(row["sd"]) >= 0, at, "sd")


def check_designs(pilot: dict, rows_by_metric: dict, summaries: set, where: str) -> None:
    """Each hypothesis has the data its design needs."""
    for h in pilot["hypotheses"]:
        at = f"{where} hypothesis {h['key']}"
        rows = rows_by_metric[h["metric"]]
        cells = {(r["group"], r["period"]) for r in rows}
        if h["metric"] in summaries:
            cells |= {("baseline", "post"), ("pilot", "post")}
        need = {
            "concurrent": {("baseline", "post"), ("pilot", "post")},
            "pre_post": {("pilot", "pre"), ("pilot", "post")},
            "did": {(g, p) for g in ("baseline", "pilot") for p in ("pre", "post")},
            "its": {("pilot", "pre"), ("pilot", "post")},
            "threshold": {("pilot", "post")},
        }[h["design"]]
        require(need <= cells, at, f"{h['design']} needs {sorted(need - cells)}")
        if h["design"] == "its":
            require(all(r.get("date") for r in rows), at, "an interrupted series needs dates")
        if h["design"] == "threshold":
            predictor = {(r["unit"], r["date"]) for r in rows_by_metric[h["predictor"]]}
            unpaired = [r for r in rows if (r["unit"], r["date"]) not in predictor]
            require(not unpaired, at, f"{len(unpaired)} outcome rows without a predictor row")


def check_pilot(folder: Path) -> tuple[dict, int]:
    """Check one pilot folder against docs/experiments.md; return it and its row count."""
    with (folder / "pilot.toml").open("rb") as f:
        pilot = tomllib.load(f)
    where = str(folder / "pilot.toml")
    check_definition(pilot, where)
    metrics = {m["key"]: m for m in pilot["metrics"]}
    rows_by_metric = defaultdict(list)
    files = sorted(folder.glob("observations*.csv"))
    require("observations.csv" in {p.name for p in files}, str(folder), "no observations.csv")
    for path in files:
        check_observations(path, pilot, metrics, rows_by_metric)
    summaries = set()
    for path in sorted(folder.glob("summary*.csv")):
        check_summary(path, metrics)
        with path.open(newline="", encoding="utf-8") as f:
            summaries |= {row["metric"] for row in csv.DictReader(f)}
    check_designs(pilot, rows_by_metric, summaries, where)
    unused = set(metrics) - set(rows_by_metric) - summaries
    require(not unused, where, f"metrics without data {sorted(unused)}")
    return pilot, sum(len(rows) for rows in rows_by_metric.values())


def check_all(folders: list[Path]) -> None:
    """Check every pilot, and that together they show every part of the format."""
    pilots = []
    for folder in folders:
        pilot, rows = check_pilot(folder)
        print(f"{folder.name}: {rows} rows")
        pilots.append(pilot)
    hypotheses = [h for p in pilots for h in p["hypotheses"]]
    metrics = [m for p in pilots for m in p["metrics"]]
    for field in ("role", "design", "method"):
        shown = {h[field] for h in hypotheses}
        require(shown == CHOICES[field], "experiments", f"{field}s not all shown: {shown}")
    require({m["kind"] for m in metrics} == CHOICES["kind"], "experiments", "metric kinds")
    require(any(m.get("scale") == [0, 10] for m in metrics), "experiments", "no 0-10 score")
    # Programmes are company-wide: a name means the same programme in every pilot.
    stated = {
        (g["name"], g["roi"], g["description"]) for p in pilots for g in p["finance"]["programmes"]
    }
    require(len(stated) == len({name for name, _, _ in stated}), "experiments", "programmes differ")
    size = sum(p.stat().st_size for folder in folders for p in folder.glob("*.csv"))
    require(size < MAX_CSV_BYTES, "experiments", f"CSV files take {size} bytes")
    print(f"all checks passed; CSV files take {size / 1e6:.2f} MB")


def main() -> None:
    folders = [
        vmi_community_hospital(),
        callcentre_occupancy(),
        dental_reminders(),
        knowledge_base_contacts(),
        handle_time_targets(),
    ]
    check_all(folders)
    pilots = [tomllib.loads((f / "pilot.toml").read_text(encoding="utf-8")) for f in folders]
    company_poor_service.check_model(company_poor_service.write_model(HERE), pilots)
    company_scorecard.write()


if __name__ == "__main__":
    main()
