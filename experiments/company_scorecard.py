"""Write the demo company scorecard in experiments/company/: indicators, links, a year of data.

Simulated from a fixed seed, so running it again rewrites the same bytes:

    python experiments/company_scorecard.py

What the data was made to show (so the pages can be checked against it):
- NPS and Customer Effort Score are monthly survey means per department, with
  n and sd, so each department's change from January has a Welch interval.
  Customer Service starts lowest on NPS and improves most (it runs the
  knowledge-base and occupancy pilots); Sales starts highest and barely moves;
  Operations improves a little; Supply Chain has only two months (it joined the
  survey late) and is left out of the ranking with the reason.
- First-contact resolution rises in Customer Service from April (the knowledge
  base), and cost per contact falls a little after it: leading drives lagging.
- Training hours rise, occupancy falls from about 82 % towards 72 %, and agent
  satisfaction rises after them; turnover among top performers is quarterly.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import tomli_w

HERE = Path(__file__).resolve().parent
FOLDER = HERE / "company"
SEED = 20250101
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
QUARTERS = [f"2025-Q{q}" for q in range(1, 5)]
DEPARTMENTS = ["Customer Service", "Sales", "Operations", "Supply Chain"]

INDICATORS = [
    {
        "key": "nps",
        "name": "Net Promoter Score",
        "perspective": "customer",
        "direction": "increase",
        "cadence": "monthly",
        "unit": "points",
        "target": 45.0,
        "department": "Customer Service",
        "description": "Share of promoters (9–10) minus share of detractors (0–6) in the "
        "monthly relationship survey, per department that served the customer.",
    },
    {
        "key": "ces",
        "name": "Customer Effort Score",
        "perspective": "customer",
        "direction": "decrease",
        "cadence": "monthly",
        "unit": "points (1–7)",
        "target": 2.5,
        "department": "Customer Service",
        "description": "Mean answer to 'How much effort did it take to get your issue "
        "handled?' from 1 (very little) to 7 (a great deal), asked after each contact.",
    },
    {
        "key": "cost-per-contact",
        "name": "Cost per inbound contact",
        "perspective": "financial",
        "direction": "decrease",
        "cadence": "monthly",
        "unit": "EUR",
        "target": 5.5,
        "department": "Finance",
        "description": "Customer-service operating cost divided by inbound contacts.",
    },
    {
        "key": "fcr",
        "name": "First-contact resolution",
        "perspective": "internal",
        "direction": "increase",
        "cadence": "monthly",
        "unit": "%",
        "target": 80.0,
        "department": "Customer Service",
        "description": "Share of contacts resolved without a further contact within 7 days.",
    },
    {
        "key": "occupancy",
        "name": "Agent occupancy",
        "perspective": "internal",
        "direction": "decrease",
        "cadence": "monthly",
        "unit": "%",
        "target": 72.0,
        "department": "Workforce Planning",
        "description": "Time agents spend handling contacts over their time logged in; "
        "turnover rises sharply past about 70 %.",
    },
    {
        "key": "training-hours",
        "name": "Training hours per agent",
        "perspective": "learning",
        "direction": "increase",
        "cadence": "monthly",
        "unit": "hours",
        "target": 6.0,
        "department": "Training",
    },
    {
        "key": "agent-satisfaction",
        "name": "Agent satisfaction",
        "perspective": "learning",
        "direction": "increase",
        "cadence": "monthly",
        "unit": "points (1–5)",
        "target": 4.0,
        "department": "HR",
        "description": "Mean answer of the monthly agent pulse survey, 1 to 5.",
    },
    {
        "key": "top-performer-turnover",
        "name": "Turnover among top performers",
        "perspective": "learning",
        "direction": "decrease",
        "cadence": "quarterly",
        "unit": "% per quarter",
        "target": 3.0,
        "department": "HR",
    },
]
LINKS = [
    ("fcr", "cost-per-contact", "Contacts solved the first time are not paid for twice."),
    ("fcr", "ces", "One contact instead of two is less effort for the customer."),
    ("ces", "nps", "Customers remember the effort of their worst contacts."),
    ("training-hours", "fcr", "Trained agents solve more on the first contact."),
    ("training-hours", "agent-satisfaction", "Agents who feel able to help are happier."),
    ("occupancy", "agent-satisfaction", "Little slack between contacts wears agents out."),
    ("agent-satisfaction", "top-performer-turnover", "Unhappy top performers leave first."),
]
# The demo pilots and the company indicators each is meant to move.
PILOT_INDICATORS = {
    "callcentre-occupancy": ["agent-satisfaction", "occupancy", "top-performer-turnover"],
    "dental-reminders": ["ces", "nps"],
    "handle-time-targets": ["ces", "cost-per-contact"],
    "knowledge-base-contacts": ["ces", "cost-per-contact", "fcr"],
    "vmi-community-hospital": ["nps"],
}


def _survey(rng, start: float, end: float, sd: float, n_range, months: list[str], scale=None):
    """Monthly survey means moving from ``start`` to ``end``, each from n simulated answers."""
    rows = []
    for index, month in enumerate(months):
        share = index / max(len(months) - 1, 1)
        centre = start + (end - start) * share
        n = int(rng.integers(*n_range))
        answers = rng.normal(centre, sd, n)
        if scale is not None:
            answers = np.clip(np.rint(answers), *scale)
        rows.append((month, float(answers.mean()), n, float(answers.std(ddof=1))))
    return rows


def _level(rng, start: float, end: float, noise: float, periods: list[str], from_index=0):
    """A level that holds until ``from_index``, then moves to ``end`` by the last period."""
    rows = []
    for index, period in enumerate(periods):
        if index < from_index:
            centre = start
        else:
            share = (index - from_index + 1) / (len(periods) - from_index)
            centre = start + (end - start) * share
        rows.append((period, float(centre + rng.normal(0, noise))))
    return rows


def measurements() -> list[list]:
    rng = np.random.default_rng(SEED)
    out = []
    # NPS: answers are -100 (detractor), 0 (passive) or 100 (promoter); a mean of them is the score.
    nps_paths = {
        "Customer Service": (12, 34),
        "Sales": (36, 36.5),
        "Operations": (24, 29),
        "Supply Chain": (30, 31),
    }
    for department, (start, end) in nps_paths.items():
        months = MONTHS[-2:] if department == "Supply Chain" else MONTHS
        for index, month in enumerate(months):
            share = index / max(len(months) - 1, 1)
            score = start + (end - start) * share
            promoters = 0.45 + score / 200 - 0.05
            detractors = promoters - score / 100
            passive = 1 - promoters - detractors
            n = int(rng.integers(900, 1400))
            answers = rng.choice([100, 0, -100], size=n, p=[promoters, passive, detractors])
            out.append(
                ["nps", month, department, round(float(answers.mean()), 3), n,
                 round(float(answers.std(ddof=1)), 3)]
            )  # fmt: skip
    ces_paths = {
        "Customer Service": (3.9, 2.8),
        "Sales": (3.0, 3.0),
        "Operations": (3.4, 3.1),
        "Supply Chain": (3.2, 3.2),
    }
    for department, (start, end) in ces_paths.items():
        months = MONTHS[-2:] if department == "Supply Chain" else MONTHS
        for month, mean, n, sd in _survey(rng, start, end, 1.4, (150, 260), months, (1, 7)):
            out.append(["ces", month, department, round(mean, 4), n, round(sd, 4)])
    for period, value in _level(rng, 68.0, 79.0, 0.8, MONTHS, from_index=3):
        out.append(["fcr", period, "Customer Service", round(value, 2), "", ""])
    for period, value in _level(rng, 6.4, 5.8, 0.08, MONTHS, from_index=4):
        out.append(["cost-per-contact", period, "", round(value, 3), "", ""])
    for period, value in _level(rng, 2.5, 6.4, 0.3, MONTHS, from_index=1):
        out.append(["training-hours", period, "Customer Service", round(value, 2), "", ""])
    for period, value in _level(rng, 82.0, 74.0, 0.7, MONTHS, from_index=2):
        out.append(["occupancy", period, "Customer Service", round(value, 2), "", ""])
    for month, mean, n, sd in _survey(rng, 3.1, 3.7, 0.9, (80, 120), MONTHS, (1, 5)):
        out.append(
            ["agent-satisfaction", month, "Customer Service", round(mean, 4), n, round(sd, 4)]
        )
    for period, value in _level(rng, 6.5, 4.0, 0.3, QUARTERS, from_index=1):
        out.append(["top-performer-turnover", period, "Customer Service", round(value, 2), "", ""])
    return out


def write() -> Path:
    """(Re)write experiments/company/scorecard.toml and indicator-measurements.csv."""
    FOLDER.mkdir(exist_ok=True)
    owners = sorted({i["department"] for i in INDICATORS} | set(DEPARTMENTS))
    definition = {
        "departments": owners,
        "indicators": INDICATORS,
        "links": [{"leading": a, "lagging": b, "note": note} for a, b, note in LINKS],
    }
    (FOLDER / "scorecard.toml").write_text(tomli_w.dumps(definition), encoding="utf-8")
    with (FOLDER / "indicator-measurements.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["indicator", "period", "department", "value", "n", "sd"])
        writer.writerows(measurements())
    return FOLDER


if __name__ == "__main__":
    print(f"written: {write()}")
