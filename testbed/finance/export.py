"""Finance's tables as CSV that a spreadsheet opens safely.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage
return before one) as a formula, so text that starts so is prefixed with a
single quote. Whether a cell is text is decided by its type here, never by
its look: the figures we compute are written as numbers and stay numbers,
negative ones included, while anything a person typed (an item, a name, a
description) is text and is neutralised even when it looks like a number,
since "-1+1" or "+1" typed as a name is meant to be read, not calculated.

Spreadsheets may fold compatibility forms to plain ones before reading a
cell (the fullwidth ＝ ＋ － ＠ of East Asian keyboards, the small ﹦, the
superscript ⁼), so a cell counts as a formula when its NFKC form starts so.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """The cell as written: text that a spreadsheet would run is prefixed with a quote."""
    if isinstance(cell, str) and reads_as_formula(cell):
        return "'" + cell
    return cell


def reads_as_formula(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula, as typed or once folded.

    The first character is folded on its own as well as with the rest: a mark
    after it can combine with it into something else (＝ and U+0338 fold to ≠),
    which a spreadsheet folding one character at a time would not see.
    """
    forms = (text, unicodedata.normalize("NFKC", text[:1]), unicodedata.normalize("NFKC", text))
    return any(form.startswith(FORMULA_STARTS) for form in forms)


def csv_text(header: list[str], rows: list[list]) -> str:
    """The table as CSV text, every text cell neutralised and missing values left empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    return buffer.getvalue()


def file_name(*parts: str, suffix: str = ".csv") -> str:
    """A download name of letters, digits, dashes and underscores only, dated today."""
    stem = "-".join(["testbed", *parts, date.today().isoformat()])
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem) + suffix


PORTFOLIO_HEADER = [
    "Pilot",
    "Slug",
    "Status",
    "Currency",
    "ROI",
    "ROI low",
    "ROI high",
    "NPV",
    "NPV low",
    "NPV high",
    "Payback years",
    "Payback low",
    "Payback high",
    "P(ROI > 0)",
    "Best programme beaten (P >= 0.8)",
    "Its stated ROI",
    "Chance of beating it",
    "Note",
    "Decision",
    "Decision rule",
    "Guardrails",
]


def portfolio_rows(rows: list[dict]) -> list[list]:
    """One line per pilot with a financial case; ROI and probabilities as fractions."""
    return [_portfolio_row(row) for row in rows]


def _portfolio_row(row: dict) -> list:
    return _returns_cells(row) + _standing_cells(row["standing"])


def _standing_cells(standing: dict) -> list:
    """The decision beside the returns, so that a spreadsheet never shows a return without it."""
    decision, guardrails = standing["decision"], standing["guardrails"]
    state = guardrails["state"]
    named = ", ".join(guardrails.get(state, []))
    return [decision["recommendation"], decision["rule"], f"{state}: {named}" if named else state]


def _returns_cells(row: dict) -> list:
    pilot, returns, beaten = row["pilot"], row["returns"], row["beaten"]
    start = [pilot.name, pilot.slug, pilot.status, returns["currency"] if returns else None]
    if not returns or returns["error"]:
        note = returns["error"] if returns else "no finance plan"
        return start + [None] * 13 + [note]
    payback = returns["payback_years"] or {}
    return [
        *start,
        *_interval(returns["roi"], 4),
        *_interval(returns["npv"], 2),
        *_interval(payback, 2),
        _round(returns["probability_roi_positive"], 4),
        beaten["programme"] if beaten else None,
        _round(beaten["roi"], 4) if beaten else None,
        _round(beaten["probability"], 4) if beaten else None,
        "; ".join(returns["notes"]),
    ]


PILOT_HEADER = ["Section", "Name", "Detail", "Year", "Estimate", "Low", "High", "Probability"]


def pilot_rows(case: dict) -> list[list]:
    """The pilot's case as one table, a section per kind of line (filter on the first column)."""
    plan, returns = case["plan"], case["returns"]
    rows = _summary_rows(plan, returns)
    rows += [
        _line(
            "programme",
            line["name"],
            "stated ROI; Probability: chance the pilot's ROI is higher",
            estimate=line["roi"],
            probability=_round(line["probability"], 4),
        )
        for line in case["ladder"]
        if line["kind"] == "programme"
    ]
    rows += [_benefit_line(line, plan) for line in case["benefits"]]
    rows += [_claim_line(row) for row in case.get("claims", [])]
    rows += [
        _line(
            "cost",
            cost.item,
            f"{plan.currency}, {'recurring to the horizon' if cost.recurring else 'one-off'}",
            year=cost.year,
            estimate=cost.amount,
        )
        for cost in case["costs"]
    ]
    rows += [
        _line(
            "cash flow",
            f"Year {year['year']}",
            f"{plan.currency}, net",
            year=year["year"],
            estimate=_round(year["net"], 2),
        )
        for year in case["years"]
    ]
    return rows


def _summary_rows(plan, returns) -> list[list]:
    if not returns or returns["error"]:
        return [_line("summary", "Returns", returns["error"] if returns else "")]
    probability = returns["probability_roi_positive"], returns["probability_npv_positive"]
    return [
        _line(
            "summary",
            "ROI",
            f"fraction over {plan.horizon_years} years, undiscounted",
            *_interval(returns["roi"], 4),
        ),
        _line(
            "summary",
            "NPV",
            f"{plan.currency} at a discount rate of {plan.discount_rate:.2%}",
            *_interval(returns["npv"], 2),
        ),
        _line("summary", "IRR", "fraction a year", estimate=_round(returns["irr"], 4)),
        _line("summary", "Yearly benefit", plan.currency, *_interval(returns["annual_benefit"], 2)),
        _line("summary", "Payback", "years", *_interval(returns["payback_years"] or {}, 2)),
        _line("summary", "ROI above zero", "", probability=_round(probability[0], 4)),
        _line("summary", "NPV above zero", "", probability=_round(probability[1], 4)),
    ]


def _benefit_line(line: dict, plan) -> list:
    benefit, result = line["benefit"], line["result"]
    detail = (
        f"{plan.currency} a year = improvement x {benefit.value_per_unit:g} per unit "
        f"x {benefit.volume_per_year:g} a year"
    )
    if result is None:
        return _line("benefit", line["metric"].name, detail + "; no measured effect yet")
    detail += f"; effect from {result['hypothesis']}"
    return _line("benefit", line["metric"].name, detail, *_interval(line["yearly"], 2))


def _claim_line(row: dict) -> list:
    """A claim on the cost of poor service: what it removes a year, with its interval."""
    line, claim = row["line"], row["claim"]
    detail = (
        f"{line.currency} a year = {line.volume:g} a year x {claim.share:g} reached "
        f"x {line.unit_cost:g} per unit x relative fall in {row['metric'].key}; "
        f"line {line.key} ({line.segment}), source: {line.source or 'not stated'}, "
        f"period: {line.period or 'not stated'}"
    )
    if line.volume_range or line.unit_cost_range:
        detail += "; interval carries the line's stated ranges"
    if row["counted"] is None:
        return _line("poor-service claim", line.name, detail + "; no measured effect yet")
    counted = row["counted"]
    detail += (
        f"; effect from {counted['hypothesis']}: {counted['effect']:+.4f} (se {counted['se']:.4f})"
    )
    return _line("poor-service claim", line.name, detail, *_interval(row["yearly"], 2))


def _line(
    section, name, detail, estimate=None, low=None, high=None, *, year=None, probability=None
):
    return [section, name, detail, year, estimate, low, high, probability]


def _interval(estimate: dict, digits: int) -> list:
    return [_round(estimate.get(k), digits) for k in ("estimate", "ci_low", "ci_high")]


def _round(value, digits: int):
    return None if value is None else round(value, digits)
