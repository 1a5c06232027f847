"""The demo company's cost of poor service, and the demo pilots' claims on it.

``experiments/generate.py`` writes ``experiments/company/poor-service.toml``
from ``LINES`` and adds ``CLAIMS`` to the pilots' finance sections. Figures are
invented but sized to the demo partners: each line says where finance took
it from, the period, and the low and high ends finance would defend.
"""

from __future__ import annotations

from pathlib import Path

import tomli_w

CURRENCY = "EUR"
ORDER_DESK = "Order desk log of urgent deliveries, with courier invoices and picking overtime"

LINES = [
    {
        "key": "healthcare-emergency-orders",
        "segment": "healthcare",
        "kind": "rework",
        "name": "Emergency orders placed because the regular order fell short",
        "volume": 4200.0,
        "volume_range": [3400.0, 5200.0],
        "unit_cost": 95.0,
        "unit_cost_range": [70.0, 130.0],
        "source": ORDER_DESK + " (hospital and clinic accounts)",
        "period": "2024 financial year",
        "description": "Each means a second pick, a courier run and a nurse's call to the desk.",
    },
    {
        "key": "healthcare-lost-accounts",
        "segment": "healthcare",
        "kind": "lost_customers",
        "name": "Clinics and hospitals that moved to another supplier",
        "volume": 14.0,
        "volume_range": [10.0, 20.0],
        "unit_cost": 62000.0,
        "unit_cost_range": [45000.0, 80000.0],
        "source": (
            "CRM churn report, reasons from exit interviews; lifetime value = average yearly "
            "margin × expected years as a customer"
        ),
        "period": "2024 financial year",
        "description": "Only the accounts whose exit interview named service, not price.",
    },
    {
        "key": "healthcare-complaints",
        "segment": "healthcare",
        "kind": "complaints",
        "name": "Complaints from practices and wards",
        "volume": 1900.0,
        "volume_range": [1600.0, 2300.0],
        "unit_cost": 38.0,
        "unit_cost_range": [30.0, 50.0],
        "source": "Complaints system; handling time × loaded staff cost",
        "period": "2024 financial year",
        "description": "",
    },
    {
        "key": "utilities-repeat-calls",
        "segment": "utilities",
        "kind": "rework",
        "name": "Calls from a customer whose question was not answered the first time",
        "volume": 95000.0,
        "volume_range": [80000.0, 110000.0],
        "unit_cost": 4.1,
        "unit_cost_range": [3.5, 5.0],
        "source": "Telephony platform: calls from the same number within seven days",
        "period": "2024 calendar year",
        "description": "",
    },
    {
        "key": "utilities-switching",
        "segment": "utilities",
        "kind": "lost_customers",
        "name": "Households that switched supplier after a service failure",
        "volume": 3800.0,
        "volume_range": [3000.0, 4800.0],
        "unit_cost": 640.0,
        "unit_cost_range": [500.0, 800.0],
        "source": "Switching notices matched to complaints in the 90 days before",
        "period": "2024 calendar year",
        "description": "",
    },
    {
        "key": "retail-repeat-contacts",
        "segment": "retail",
        "kind": "rework",
        "name": "Store contacts handled again because the first answer did not resolve them",
        "volume": 21000.0,
        "volume_range": [17000.0, 25000.0],
        "unit_cost": 16.0,
        "unit_cost_range": [14.0, 19.0],
        "source": "Service desk tickets reopened or repeated within five days",
        "period": "2024 financial year",
        "description": "",
    },
    {
        "key": "retail-lost-chains",
        "segment": "retail",
        "kind": "lost_customers",
        "name": "Store chains that did not renew their service contract",
        "volume": 3.0,
        "volume_range": [2.0, 5.0],
        "unit_cost": 180000.0,
        "unit_cost_range": [120000.0, 250000.0],
        "source": "Contract renewals; lifetime value from the account plans",
        "period": "2022 to 2024, yearly average",
        "description": "",
    },
    {
        "key": "insurance-repeat-calls",
        "segment": "insurance",
        "kind": "rework",
        "name": "Claims callers calling again within seven days",
        "volume": 27000.0,
        "volume_range": [22000.0, 33000.0],
        "unit_cost": 5.8,
        "unit_cost_range": [4.5, 7.5],
        "source": "Claims line telephony; the cost of one call fully loaded",
        "period": "2024 calendar year",
        "description": "",
    },
    {
        "key": "insurance-complaints",
        "segment": "insurance",
        "kind": "complaints",
        "name": "Complaints about claims handling",
        "volume": 3100.0,
        "volume_range": [2600.0, 3800.0],
        "unit_cost": 52.0,
        "unit_cost_range": [40.0, 70.0],
        "source": "Complaints register; handling time and goodwill payments",
        "period": "2024 calendar year",
        "description": "",
    },
]

# Each pilot's claims: its [[finance.poor_service]] tables.
CLAIMS = {
    "vmi-community-hospital": [
        {
            "line": "healthcare-emergency-orders",
            "metric": "emergency_orders",
            "share": 0.35,
            "description": (
                "Emergency orders are the ones the regular order should have covered. The "
                "roll-out plan takes vendor-managed inventory to the hospital accounts that "
                "place about 35 % of the segment's emergency orders."
            ),
        }
    ],
}


def model() -> dict:
    return {"currency": CURRENCY, "lines": sorted(LINES, key=lambda line: line["key"])}


def claims(slug: str) -> list[dict]:
    return CLAIMS.get(slug, [])


def write_model(folder: Path) -> Path:
    """Write ``company/poor-service.toml`` under ``folder``; returns its path."""
    path = folder / "company" / "poor-service.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(tomli_w.dumps(model()), encoding="utf-8")
    return path


def check_model(path: Path, pilots: list[dict]) -> None:
    """The file is what the format allows, and every claim names a line and a falling metric."""
    import tomllib

    with path.open("rb") as f:
        data = tomllib.load(f)
    keys = {line["key"] for line in data["lines"]}
    if len(keys) != len(data["lines"]):
        raise ValueError(f"{path}: duplicate line keys")
    for line in data["lines"]:
        for name in ("volume", "unit_cost"):
            low, high = line[f"{name}_range"]
            if not 0 <= low <= line[name] <= high:
                raise ValueError(f"{path}: the range of {line['key']}.{name} misses its value")
    for pilot in pilots:
        metrics = {m["key"]: m for m in pilot["metrics"]}
        for claim in pilot["finance"].get("poor_service", []):
            if claim["line"] not in keys:
                raise ValueError(f"{pilot['slug']}: no line {claim['line']}")
            if metrics[claim["metric"]]["direction"] != "decrease":
                raise ValueError(f"{pilot['slug']}: {claim['metric']} must be better lower")
    print(f"company/poor-service.toml: {len(keys)} lines")
