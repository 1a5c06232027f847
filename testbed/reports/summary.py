"""What a pilot's one-page summary shows: decision, verdicts, guardrails, returns, forest plot."""

from __future__ import annotations

from datetime import date

from testbed.finance import comparison
from testbed.pilots.models import Pilot
from testbed.results import charts, decision
from testbed.results.services import report_for
from testbed.results.views import CORRECTIONS

# How much each hypothesis' statement may take on the page before it is shortened.
STATEMENT_LIMIT = 160


def pilot_summary(pilot: Pilot, with_returns: bool) -> dict:
    """The summary's content; the returns only for a reader who may see finance's figures."""
    report = report_for(pilot)
    cards = charts.hypothesis_cards(pilot, report)
    forest, skipped = charts.forest_rows(pilot, report)
    case = comparison.pilot_case(pilot) if with_returns else None
    return {
        "pilot": pilot,
        "report": report,
        "standing": decision.standing(report),
        "guardrail_state": charts.guardrail_status(report),
        "primary": [c for c in cards if c.result["role"] == "primary"],
        "secondary": [c for c in cards if c.result["role"] == "secondary"],
        "guardrails": [c for c in cards if c.result["role"] == "guardrail"],
        "forest": forest,
        "skipped": skipped,
        "correction_name": CORRECTIONS.get(report["correction"], report["correction"]),
        "case": case,
        "with_returns": with_returns,
        "made_on": date.today(),
        "statement_limit": STATEMENT_LIMIT,
    }
