"""Results and returns as Excel workbooks: one sheet per table, numbers as numbers, text as text.

Figures are written as numeric cells with a number format (percent, money,
decimals), so a spreadsheet sums and charts them as they are. Text is always
written as a text cell: openpyxl would store a string that starts with "=" as
a formula, so every text cell has its type set to string, and text that a
spreadsheet could take for a formula (testbed.finance.export.reads_as_formula,
the rule of the CSV downloads) is also marked with Excel's quote prefix, which
keeps it text when someone edits the cell. Unlike the CSV, the text itself is
kept exactly as typed: the cell's type, not a leading quote, makes it safe.
"""

from __future__ import annotations

import io
import math
import numbers
import re
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from testbed.finance import comparison
from testbed.finance.export import reads_as_formula
from testbed.pilots.models import Pilot
from testbed.results import charts
from testbed.results.decision import RECOMMENDATIONS
from testbed.results.services import report_for
from testbed.results.views import CORRECTIONS, DESIGNS, METHODS

PERCENT = "0.0%"
PERCENT_FINE = "0.00%"
DECIMAL = "#,##0.000"
P_VALUE = "0.0000"
WHOLE = "#,##0"
YEARS = "0.0"
DATE = "yyyy-mm-dd"
TEXT_LIMIT = 32767  # the most characters a cell holds
BOLD = Font(bold=True)


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    number_format: str | None = None


def money(currency: str | None) -> str:
    """Whole amounts with the plan's three-letter code; the code is checked, never trusted."""
    if currency and re.fullmatch(r"[A-Z]{3}", currency):
        return f'#,##0 "{currency}";-#,##0 "{currency}"'
    return WHOLE


def effect_format(kind: str) -> str:
    """A proportion's change is a share (shown as percentage points), other changes decimals."""
    return PERCENT_FINE if kind == "proportion" else DECIMAL


def save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def add_sheet(book: Workbook, title: str, columns: list[Column], rows: list[list]):
    """A sheet of one table: a bold header row kept in view, widths, a filter, typed cells.

    A cell of a row may be a ``(value, number_format)`` pair where its format
    depends on the row (a metric's kind, a plan's currency).
    """
    sheet = book.create_sheet(title)
    for number, column in enumerate(columns, start=1):
        write(sheet.cell(row=1, column=number), column.title).font = BOLD
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    for row_number, row in enumerate(rows, start=2):
        for number, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            value, number_format = value if isinstance(value, tuple) else (value, None)
            cell = sheet.cell(row=row_number, column=number)
            write(cell, value, number_format or column.number_format)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 1)}"
    return sheet


def write(cell, value, number_format: str | None = None):
    """Put ``value`` in ``cell`` as a number, a date, or text that is never run."""
    if value is None:
        return cell
    if isinstance(value, bool):
        cell.value = value
    elif isinstance(value, numbers.Number):
        # Decimal and numpy numbers too, written as plain numbers.
        if not math.isfinite(value):
            return cell
        cell.value = value if isinstance(value, int) else float(value)
        if number_format:
            cell.number_format = number_format
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE
    else:
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))[:TEXT_LIMIT]
        cell.value = text
        cell.data_type = "s"
        if reads_as_formula(text):
            cell.quotePrefix = True
    return cell


def mark_totals(sheet, rows: int = 1) -> None:
    """Bold the last ``rows`` rows: the totals under a table."""
    for row in sheet.iter_rows(min_row=sheet.max_row - rows + 1):
        for cell in row:
            cell.font = BOLD


# ---------------------------------------------------------------- one pilot


def pilot_workbook(pilot: Pilot, with_returns: bool) -> bytes:
    """The pilot's results (and, for a reader of finance's figures, its returns) as a workbook."""
    report = report_for(pilot)
    cards = charts.hypothesis_cards(pilot, report)
    book = Workbook()
    book.remove(book.active)
    summary_sheet(book, pilot, report)
    hypotheses_sheet(book, cards)
    guardrails_sheet(book, [c for c in cards if c.result["role"] == "guardrail"])
    if with_returns:
        returns_sheets(book, comparison.pilot_case(pilot))
    return save(book)


def summary_sheet(book: Workbook, pilot: Pilot, report: dict) -> None:
    decision = report["decision"]
    guardrails = charts.guardrail_status(report)
    named = ", ".join(guardrails.get(guardrails["state"], []))
    label, asks = RECOMMENDATIONS[decision["recommendation"]]
    rows = [
        ["Pilot", pilot.name],
        ["Slug", pilot.slug],
        ["Partner", pilot.partner.name],
        ["Status", pilot.status],
        ["Start date", pilot.start_date],
        ["Figures of pilot version", (pilot.version, WHOLE)],
        ["Made on", date.today()],
        ["Decision", label],
        ["Rule", decision["rule"]],
        ["What it asks", asks],
        ["Guardrails", f"{guardrails['state']}: {named}" if named else guardrails["state"]],
        ["Correction for several tests", CORRECTIONS.get(report["correction"])],
    ]
    add_sheet(book, "Summary", [Column("Item", 28), Column("Value", 90)], rows)


HYPOTHESIS_COLUMNS = [
    Column("Key", 8),
    Column("Role", 11),
    Column("Registration", 14),
    Column("Statement", 50),
    Column("Metric", 28),
    Column("Kind", 11),
    Column("Unit", 12),
    Column("Better when", 12),
    Column("Design", 26),
    Column("Method", 22),
    Column("Verdict", 26),
    Column("Verdict sentence", 70),
    Column("Change", 12),
    Column("Change low", 12),
    Column("Change high", 12),
    Column("Interval level", 10, PERCENT),
    Column("Relative change", 12, PERCENT),
    Column("Relative low", 12, PERCENT),
    Column("Relative high", 12, PERCENT),
    Column("p", 10, P_VALUE),
    Column("p adjusted", 10, P_VALUE),
    Column("Chance to beat baseline", 12, PERCENT),
    Column("n baseline", 11, WHOLE),
    Column("n pilot", 11, WHOLE),
    Column("Baseline mean or share", 14),
    Column("Pilot mean or share", 14),
]


def hypotheses_sheet(book: Workbook, cards: list) -> None:
    """Every hypothesis: its change and interval in the metric's unit, relative change, p-values."""
    rows = []
    for card in cards:
        r, m = card.result, card.metric
        absolute, relative = r["absolute"] or {}, r["relative"] or {}
        change = effect_format(m.kind)
        level = PERCENT if m.kind == "proportion" else DECIMAL
        rows.append(
            [
                r["hypothesis"],
                r["role"],
                r["registration"],
                r["statement"],
                m.name,
                m.kind,
                "share" if m.kind == "proportion" else m.unit,
                "higher" if m.direction == "increase" else "lower",
                DESIGNS.get(r["design"], r["design"]),
                METHODS.get(r["method"], r["method"]),
                card.outcome.label,
                r["verdict"],
                (absolute.get("estimate"), change),
                (absolute.get("ci_low"), change),
                (absolute.get("ci_high"), change),
                1 - r["alpha"],
                relative.get("estimate"),
                relative.get("ci_low"),
                relative.get("ci_high"),
                r["p_value"],
                r["p_value_adjusted"],
                r.get("chance_to_beat_baseline"),
                r["baseline"]["n"],
                r["pilot"]["n"],
                (r["baseline"]["mean"], level),
                (r["pilot"]["mean"], level),
            ]
        )
    add_sheet(book, "Hypotheses", HYPOTHESIS_COLUMNS, rows)


def guardrails_sheet(book: Workbook, cards: list) -> None:
    """Each guardrail's state, change, interval and margin (non-inferiority)."""
    columns = [
        Column("Key", 8),
        Column("Statement", 50),
        Column("Metric", 28),
        Column("Unit", 12),
        Column("State", 28),
        Column("Change", 12),
        Column("Change low", 12),
        Column("Change high", 12),
        Column("Interval level", 10, PERCENT),
        Column("Margin (may be worse by at most)", 16),
        Column("p (non-inferiority)", 12, P_VALUE),
    ]
    rows = []
    for card in cards:
        r, m = card.result, card.metric
        absolute = r["absolute"] or {}
        change = effect_format(m.kind)
        rows.append(
            [
                r["hypothesis"],
                r["statement"],
                m.name,
                "share" if m.kind == "proportion" else m.unit,
                card.outcome.label,
                (absolute.get("estimate"), change),
                (absolute.get("ci_low"), change),
                (absolute.get("ci_high"), change),
                1 - r["alpha"],
                (abs(r["minimum_effect"] or 0.0), change),
                r["p_value"],
            ]
        )
    add_sheet(book, "Guardrails", columns, rows)


def returns_sheets(book: Workbook, case: dict) -> None:
    """Returns, programmes, benefit lines, costs and cash flows: finance's page, table by table."""
    plan, returns = case["plan"], case.get("returns")
    if plan is None:
        add_sheet(book, "Returns", [Column("Note", 60)], [["No financial case yet."]])
        return
    cash = money(plan.currency)
    returns_sheet(book, plan, returns, cash)
    programmes_sheet(book, case["ladder"])
    benefits_sheet(book, case["benefits"], case.get("claims", []), returns, plan, cash)
    costs_sheet(book, case["costs"], cash)
    cash_flows_sheet(book, case["years"], cash)


def returns_sheet(book: Workbook, plan, returns: dict | None, cash: str) -> None:
    columns = [Column("Measure", 30), Column("Estimate", 16), Column("Low", 16)]
    columns += [Column("High", 16), Column("Meaning", 60)]
    if not returns or returns["error"]:
        note = returns["error"] if returns else "no returns"
        add_sheet(book, "Returns", columns, [["Returns", None, None, None, note]])
        return
    payback = returns["payback_years"] or {}

    def line(name, estimate, number_format, meaning):
        estimate = estimate or {}
        return [
            name,
            *((estimate.get(k), number_format) for k in ("estimate", "ci_low", "ci_high")),
            meaning,
        ]

    horizon = f"{plan.horizon_years} years"
    rows = [
        line("ROI", returns["roi"], PERCENT, f"(benefit − cost) / cost over {horizon}"),
        line("NPV", returns["npv"], cash, f"discounted at {plan.discount_rate:.2%} a year"),
        line("IRR", {"estimate": returns["irr"]}, PERCENT, "the rate at which the NPV is zero"),
        line("Yearly benefit", returns["annual_benefit"], cash, "all benefit lines together"),
        line("Payback", payback, YEARS, "years until the cumulative net cash flow turns positive"),
        line(
            "Chance the ROI is positive",
            {"estimate": returns["probability_roi_positive"]},
            PERCENT,
            "share of 20 000 draws of the measured effects",
        ),
        line(
            "Chance the NPV is positive",
            {"estimate": returns["probability_npv_positive"]},
            PERCENT,
            "share of 20 000 draws of the measured effects",
        ),
    ]
    add_sheet(book, "Returns", columns, rows)


def programmes_sheet(book: Workbook, ladder: list[dict]) -> None:
    columns = [
        Column("Programme", 40),
        Column("Kind", 11),
        Column("ROI", 10, PERCENT),
        Column("Chance the pilot beats it", 14, PERCENT),
        Column("Inside the pilot's interval", 14),
        Column("Description", 60),
    ]
    rows = [
        [
            row["name"],
            row["kind"],
            row["roi"],
            row.get("probability"),
            ("yes" if row["within"] else "no") if row["kind"] == "programme" else None,
            row.get("description"),
        ]
        for row in ladder
    ]
    add_sheet(book, "Programmes", columns, rows)


def benefits_sheet(
    book: Workbook, lines: list[dict], claims: list[dict], returns, plan, cash: str
) -> None:
    columns = [
        Column("Metric", 28),
        Column("Effect from", 11),
        Column("Effect used", 12),
        Column("Effect low", 12),
        Column("Effect high", 12),
        Column("Value per unit", 14, "#,##0.00"),
        Column("Volume a year", 14, WHOLE),
        Column("Yearly benefit", 16, cash),
        Column("Yearly benefit low", 16, cash),
        Column("Yearly benefit high", 16, cash),
        Column("Description", 50),
    ]
    rows = []
    for line in lines:
        benefit, result, yearly = line["benefit"], line["result"], line["yearly"] or {}
        effect = (result or {}).get("absolute") or {}
        change = effect_format(line["metric"].kind)
        rows.append(
            [
                line["metric"].name,
                result["hypothesis"] if result else "no measured effect yet",
                *((effect.get(k), change) for k in ("estimate", "ci_low", "ci_high")),
                benefit.value_per_unit,
                benefit.volume_per_year,
                *(yearly.get(k) for k in ("estimate", "ci_low", "ci_high")),
                benefit.description,
            ]
        )
    # The returns count a claim on the cost of poor service as a benefit line: so does the
    # sheet, or its lines would not add up to the total.
    rows.extend(claim_cells(claim) for claim in claims)
    total = (returns or {}).get("annual_benefit") if returns and not returns["error"] else None
    if total:
        # The interval of a sum is not the sum of intervals: it comes from the draws.
        rows.append(["Total", *[None] * 6, total["estimate"], total["ci_low"], total["ci_high"]])
        rows[-1].append(f"in {plan.currency} a year; the interval comes from the joint draws")
    sheet = add_sheet(book, "Benefits", columns, rows)
    if total:
        mark_totals(sheet)


def claim_cells(row: dict) -> list:
    """A claim's row of the Benefits sheet: its relative fall, the line's unit cost and
    the volume the roll-out reaches."""
    line, result, yearly = row["line"], row["result"], row["yearly"] or {}
    relative = (result or {}).get("relative") or {}
    return [
        f"{row['metric'].name}: cut in {line.name}",
        result["hypothesis"] if result else "no measured effect yet",
        *((relative.get(k), PERCENT) for k in ("estimate", "ci_low", "ci_high")),
        line.unit_cost,
        line.volume * row["claim"].share,
        *(yearly.get(k) for k in ("estimate", "ci_low", "ci_high")),
        f"cost of poor service: {line.key}, {line.segment}; {row['claim'].description or ''}".strip(
            "; "
        ),
    ]


def costs_sheet(book: Workbook, costs: list, cash: str) -> None:
    columns = [
        Column("Item", 40),
        Column("When", 12),
        Column("From year", 10, WHOLE),
        Column("Amount", 16, cash),
    ]
    rows = [
        [cost.item, "every year" if cost.recurring else "once", cost.year, cost.amount]
        for cost in costs
    ]
    add_sheet(book, "Costs", columns, rows)


def cash_flows_sheet(book: Workbook, years: list[dict], cash: str) -> None:
    columns = [
        Column("Year", 8, WHOLE),
        Column("Costs", 16, cash),
        Column("Benefit", 16, cash),
        Column("Net cash flow", 16, cash),
        Column("Cumulative", 16, cash),
    ]
    rows = [[y["year"], y["cost"], y["benefit"], y["net"], y["cumulative"]] for y in years]
    if years:
        known = all(y["net"] is not None for y in years)
        rows.append(
            [
                "Total",
                sum(y["cost"] for y in years),
                sum(y["benefit"] for y in years) if known else None,
                sum(y["net"] for y in years) if known else None,
                None,
            ]
        )
    sheet = add_sheet(book, "Cash flows", columns, rows)
    if years:
        mark_totals(sheet)


# ---------------------------------------------------------------- the portfolio


def portfolio_workbook(portfolio: dict) -> bytes:
    """Every pilot with a financial case, best ROI first, beside the existing programmes."""
    book = Workbook()
    book.remove(book.active)
    columns = [
        Column("Pilot", 32),
        Column("Slug", 24),
        Column("Status", 11),
        Column("Decision", 22),
        Column("Guardrails", 30),
        Column("Currency", 9),
        Column("ROI", 10, PERCENT),
        Column("ROI low", 10, PERCENT),
        Column("ROI high", 10, PERCENT),
        Column("NPV", 16),
        Column("NPV low", 16),
        Column("NPV high", 16),
        Column("Payback years", 10, YEARS),
        Column("Chance the ROI is positive", 12, PERCENT),
        Column("Best programme beaten (chance ≥ 80%)", 32),
        Column("Its stated ROI", 10, PERCENT),
        Column("Chance of beating it", 12, PERCENT),
        Column("Decision rule", 70),
        Column("Note", 40),
    ]
    rows = [portfolio_row(row) for row in portfolio["rows"]]
    add_sheet(book, "Portfolio", columns, rows)
    programmes = [[p.name, p.roi, p.description] for p in portfolio["programmes"]]
    add_sheet(
        book,
        "Programmes",
        [Column("Programme", 40), Column("Stated ROI", 10, PERCENT), Column("Description", 60)],
        programmes,
    )
    return save(book)


def portfolio_row(row: dict) -> list:
    pilot, returns, beaten, standing = row["pilot"], row["returns"], row["beaten"], row["standing"]
    decision, guardrails = standing["decision"], standing["guardrails"]
    named = ", ".join(guardrails.get(guardrails["state"], []))
    start = [
        pilot.name,
        pilot.slug,
        pilot.status,
        RECOMMENDATIONS[decision["recommendation"]][0],
        f"{guardrails['state']}: {named}" if named else guardrails["state"],
        returns["currency"] if returns else None,
    ]
    if not returns or returns["error"]:
        note = returns["error"] if returns else "no finance plan"
        return [*start, *[None] * 11, decision["rule"], note]
    cash = money(returns["currency"])
    payback = returns["payback_years"] or {}
    return [
        *start,
        *(returns["roi"][k] for k in ("estimate", "ci_low", "ci_high")),
        *((returns["npv"][k], cash) for k in ("estimate", "ci_low", "ci_high")),
        payback.get("estimate"),
        returns["probability_roi_positive"],
        beaten["programme"] if beaten else None,
        beaten["roi"] if beaten else None,
        beaten["probability"] if beaten else None,
        decision["rule"],
        "; ".join(returns["notes"]),
    ]
