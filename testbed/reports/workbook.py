"""Results and returns as Excel workbooks: one sheet per table, numbers as numbers, text as text.

Figures are written as numeric cells with a number format (percent, money,
decimals), so a spreadsheet sums and charts them as they are. Text is always
written as a text cell: openpyxl would store a string that starts with "=" as
a formula, so every text cell has its type set to string, and text that a
spreadsheet could take for a formula (testbed.finance.export.reads_as_formula,
the rule of the CSV downloads) is also marked with Excel's quote prefix, which
keeps it text when someone edits the cell. Unlike the CSV, the text itself is
kept exactly as typed: the cell's type, not a leading quote, makes it safe.

Sheet names, headings, notes and the names of stored values are in the reader's language
(a workbook is made during a request); number formats stay Excel's, which the spreadsheet
shows in its own locale.
"""

from __future__ import annotations

import io
import math
import numbers
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from testbed.finance import comparison
from testbed.finance.export import reads_as_formula
from testbed.finance.labels import guardrails_text, named, returns_note
from testbed.i18n import figure
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
    title: str  # or a lazy string: written in the language of the request
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
    sheet = book.create_sheet(str(title))
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
    label, asks = RECOMMENDATIONS[decision["recommendation"]]
    rows = [
        [gettext("Pilot"), pilot.name],
        [gettext("Slug"), pilot.slug],
        [gettext("Partner"), pilot.partner.name],
        [gettext("Status"), named(pilot.status, "status")],
        [gettext("Start date"), pilot.start_date],
        [gettext("Figures of pilot version"), (pilot.version, WHOLE)],
        [gettext("Made on"), date.today()],
        [gettext("Decision"), label],
        [gettext("Rule"), decision["rule"]],
        [gettext("What it asks"), asks],
        [gettext("Guardrails"), guardrails_text(charts.guardrail_status(report))],
        [gettext("Correction for several tests"), CORRECTIONS.get(report["correction"])],
    ]
    columns = [Column(_l("Item"), 28), Column(_l("Value"), 90)]
    add_sheet(book, gettext("Summary"), columns, rows)


HYPOTHESIS_COLUMNS = [
    Column(_l("Key"), 8),
    Column(_l("Role"), 11),
    Column(_l("Registration"), 14),
    Column(_l("Statement"), 50),
    Column(_l("Metric"), 28),
    Column(_l("Kind"), 11),
    Column(_l("Unit"), 12),
    Column(_l("Better when"), 12),
    Column(_l("Design"), 26),
    Column(_l("Method"), 22),
    Column(_l("Verdict"), 26),
    Column(_l("Verdict sentence"), 70),
    Column(_l("Change"), 12),
    Column(_l("Change low"), 12),
    Column(_l("Change high"), 12),
    Column(_l("Interval level"), 10, PERCENT),
    Column(_l("Relative change"), 12, PERCENT),
    Column(_l("Relative low"), 12, PERCENT),
    Column(_l("Relative high"), 12, PERCENT),
    Column(_l("p"), 10, P_VALUE),
    Column(_l("p adjusted"), 10, P_VALUE),
    Column(_l("Chance to beat baseline"), 12, PERCENT),
    Column(_l("n baseline"), 11, WHOLE),
    Column(_l("n pilot"), 11, WHOLE),
    Column(_l("Baseline mean or share"), 14),
    Column(_l("Pilot mean or share"), 14),
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
                named(r["role"], "role"),
                named(r["registration"], "registration"),
                r["statement"],
                m.name,
                named(m.kind, "metric_kind"),
                gettext("share") if m.kind == "proportion" else m.unit,
                gettext("higher") if m.direction == "increase" else gettext("lower"),
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
    add_sheet(book, gettext("Hypotheses"), HYPOTHESIS_COLUMNS, rows)


def guardrails_sheet(book: Workbook, cards: list) -> None:
    """Each guardrail's state, change, interval and margin (non-inferiority)."""
    columns = [
        Column(_l("Key"), 8),
        Column(_l("Statement"), 50),
        Column(_l("Metric"), 28),
        Column(_l("Unit"), 12),
        Column(_l("State"), 28),
        Column(_l("Change"), 12),
        Column(_l("Change low"), 12),
        Column(_l("Change high"), 12),
        Column(_l("Interval level"), 10, PERCENT),
        Column(_l("Margin (may be worse by at most)"), 16),
        Column(_l("p (non-inferiority)"), 12, P_VALUE),
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
                gettext("share") if m.kind == "proportion" else m.unit,
                card.outcome.label,
                (absolute.get("estimate"), change),
                (absolute.get("ci_low"), change),
                (absolute.get("ci_high"), change),
                1 - r["alpha"],
                (abs(r["minimum_effect"] or 0.0), change),
                r["p_value"],
            ]
        )
    add_sheet(book, gettext("Guardrails"), columns, rows)


def returns_sheets(book: Workbook, case: dict) -> None:
    """Returns, programmes, benefit lines, costs and cash flows: finance's page, table by table."""
    plan, returns = case["plan"], case.get("returns")
    if plan is None:
        add_sheet(
            book,
            gettext("Returns"),
            [Column(_l("Note"), 60)],
            [[gettext("No financial case yet.")]],
        )
        return
    cash = money(plan.currency)
    returns_sheet(book, plan, returns, cash)
    programmes_sheet(book, case["ladder"])
    benefits_sheet(book, case["benefits"], case.get("claims", []), returns, plan, cash)
    costs_sheet(book, case["costs"], cash)
    cash_flows_sheet(book, case["years"], cash)


def returns_sheet(book: Workbook, plan, returns: dict | None, cash: str) -> None:
    columns = [Column(_l("Measure"), 30), Column(_l("Estimate"), 16), Column(_l("Low"), 16)]
    columns += [Column(_l("High"), 16), Column(_l("Meaning"), 60)]
    if not returns or returns["error"]:
        note = returns_note(returns["error"]) if returns else gettext("no returns")
        add_sheet(book, gettext("Returns"), columns, [[gettext("Returns"), None, None, None, note]])
        return
    payback = returns["payback_years"] or {}

    def line(name, estimate, number_format, meaning):
        estimate = estimate or {}
        return [
            name,
            *((estimate.get(k), number_format) for k in ("estimate", "ci_low", "ci_high")),
            meaning,
        ]

    draws = gettext("share of 20 000 draws of the measured effects")
    rows = [
        line(
            gettext("ROI"),
            returns["roi"],
            PERCENT,
            ngettext(
                "(benefit − cost) / cost over %(num)d years",
                "(benefit − cost) / cost over %(num)d years",
                plan.horizon_years,
            ),
        ),
        line(
            gettext("NPV"),
            returns["npv"],
            cash,
            gettext("discounted at %(rate)s a year", rate=figure(f"{plan.discount_rate:.2%}")),
        ),
        line(
            gettext("IRR"),
            {"estimate": returns["irr"]},
            PERCENT,
            gettext("the rate at which the NPV is zero"),
        ),
        line(
            gettext("Yearly benefit"),
            returns["annual_benefit"],
            cash,
            gettext("all benefit lines together"),
        ),
        line(
            gettext("Payback"),
            payback,
            YEARS,
            gettext("years until the cumulative net cash flow turns positive"),
        ),
        line(
            gettext("Chance the ROI is positive"),
            {"estimate": returns["probability_roi_positive"]},
            PERCENT,
            draws,
        ),
        line(
            gettext("Chance the NPV is positive"),
            {"estimate": returns["probability_npv_positive"]},
            PERCENT,
            draws,
        ),
    ]
    add_sheet(book, gettext("Returns"), columns, rows)


def programmes_sheet(book: Workbook, ladder: list[dict]) -> None:
    columns = [
        Column(_l("Programme"), 40),
        Column(_l("Kind"), 11),
        Column(_l("ROI"), 10, PERCENT),
        Column(_l("Chance the pilot beats it"), 14, PERCENT),
        Column(_l("Inside the pilot's interval"), 14),
        Column(_l("Description"), 60),
    ]
    rows = [
        [
            gettext("This pilot") if row["kind"] == "pilot" else row["name"],
            named(row["kind"], "ladder_kind"),
            row["roi"],
            row.get("probability"),
            (gettext("yes") if row["within"] else gettext("no"))
            if row["kind"] == "programme"
            else None,
            row.get("description"),
        ]
        for row in ladder
    ]
    add_sheet(book, gettext("Programmes"), columns, rows)


def benefits_sheet(
    book: Workbook, lines: list[dict], claims: list[dict], returns, plan, cash: str
) -> None:
    columns = [
        Column(_l("Metric"), 28),
        Column(_l("Effect from"), 11),
        Column(_l("Effect used"), 12),
        Column(_l("Effect low"), 12),
        Column(_l("Effect high"), 12),
        Column(_l("Value per unit"), 14, "#,##0.00"),
        Column(_l("Volume a year"), 14, WHOLE),
        Column(_l("Yearly benefit"), 16, cash),
        Column(_l("Yearly benefit low"), 16, cash),
        Column(_l("Yearly benefit high"), 16, cash),
        Column(_l("Description"), 50),
    ]
    rows = []
    for line in lines:
        benefit, result, yearly = line["benefit"], line["result"], line["yearly"] or {}
        effect = (result or {}).get("absolute") or {}
        change = effect_format(line["metric"].kind)
        rows.append(
            [
                line["metric"].name,
                result["hypothesis"] if result else gettext("no measured effect yet"),
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
        rows.append(
            [gettext("Total"), *[None] * 6, total["estimate"], total["ci_low"], total["ci_high"]]
        )
        rows[-1].append(
            gettext(
                "in %(currency)s a year; the interval comes from the joint draws",
                currency=plan.currency,
            )
        )
    sheet = add_sheet(book, gettext("Benefits"), columns, rows)
    if total:
        mark_totals(sheet)


def claim_cells(row: dict) -> list:
    """A claim's row of the Benefits sheet: its relative fall, the line's unit cost and
    the volume the roll-out reaches."""
    line, result, yearly = row["line"], row["result"], row["yearly"] or {}
    relative = (result or {}).get("relative") or {}
    source = gettext(
        "cost of poor service: %(line)s, %(segment)s", line=line.key, segment=line.segment
    )
    return [
        gettext("%(metric)s: cut in %(line)s", metric=row["metric"].name, line=line.name),
        result["hypothesis"] if result else gettext("no measured effect yet"),
        *((relative.get(k), PERCENT) for k in ("estimate", "ci_low", "ci_high")),
        line.unit_cost,
        line.volume * row["claim"].share,
        *(yearly.get(k) for k in ("estimate", "ci_low", "ci_high")),
        f"{source}; {row['claim'].description or ''}".strip("; "),
    ]


def costs_sheet(book: Workbook, costs: list, cash: str) -> None:
    columns = [
        Column(_l("Item"), 40),
        Column(_l("When"), 12),
        Column(_l("From year"), 10, WHOLE),
        Column(_l("Amount"), 16, cash),
    ]
    rows = [
        [
            cost.item,
            gettext("every year") if cost.recurring else gettext("once"),
            cost.year,
            cost.amount,
        ]
        for cost in costs
    ]
    add_sheet(book, gettext("Costs"), columns, rows)


def cash_flows_sheet(book: Workbook, years: list[dict], cash: str) -> None:
    columns = [
        Column(_l("Year"), 8, WHOLE),
        Column(_l("Costs"), 16, cash),
        Column(_l("Benefit"), 16, cash),
        Column(_l("Net cash flow"), 16, cash),
        Column(_l("Cumulative"), 16, cash),
    ]
    rows = [[y["year"], y["cost"], y["benefit"], y["net"], y["cumulative"]] for y in years]
    if years:
        known = all(y["net"] is not None for y in years)
        rows.append(
            [
                gettext("Total"),
                sum(y["cost"] for y in years),
                sum(y["benefit"] for y in years) if known else None,
                sum(y["net"] for y in years) if known else None,
                None,
            ]
        )
    sheet = add_sheet(book, gettext("Cash flows"), columns, rows)
    if years:
        mark_totals(sheet)


# ---------------------------------------------------------------- the portfolio


def portfolio_workbook(portfolio: dict) -> bytes:
    """Every pilot with a financial case, best ROI first, beside the existing programmes."""
    book = Workbook()
    book.remove(book.active)
    columns = [
        Column(_l("Pilot"), 32),
        Column(_l("Slug"), 24),
        Column(_l("Status"), 11),
        Column(_l("Decision"), 22),
        Column(_l("Guardrails"), 30),
        Column(_l("Currency"), 9),
        Column(_l("ROI"), 10, PERCENT),
        Column(_l("ROI low"), 10, PERCENT),
        Column(_l("ROI high"), 10, PERCENT),
        Column(_l("NPV"), 16),
        Column(_l("NPV low"), 16),
        Column(_l("NPV high"), 16),
        Column(_l("Payback years"), 10, YEARS),
        Column(_l("Chance the ROI is positive"), 12, PERCENT),
        Column(_l("Best programme beaten (chance ≥ 80%)"), 32),
        Column(_l("Its stated ROI"), 10, PERCENT),
        Column(_l("Chance of beating it"), 12, PERCENT),
        Column(_l("Decision rule"), 70),
        Column(_l("Note"), 40),
    ]
    rows = [portfolio_row(row) for row in portfolio["rows"]]
    add_sheet(book, gettext("Portfolio"), columns, rows)
    programmes = [[p.name, p.roi, p.description] for p in portfolio["programmes"]]
    add_sheet(
        book,
        gettext("Programmes"),
        [
            Column(_l("Programme"), 40),
            Column(_l("Stated ROI"), 10, PERCENT),
            Column(_l("Description"), 60),
        ],
        programmes,
    )
    return save(book)


def portfolio_row(row: dict) -> list:
    pilot, returns, beaten, standing = row["pilot"], row["returns"], row["beaten"], row["standing"]
    decision = standing["decision"]
    start = [
        pilot.name,
        pilot.slug,
        named(pilot.status, "status"),
        RECOMMENDATIONS[decision["recommendation"]][0],
        guardrails_text(standing["guardrails"]),
        returns["currency"] if returns else None,
    ]
    if not returns or returns["error"]:
        note = returns_note(returns["error"]) if returns else gettext("no finance plan")
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
        "; ".join(returns_note(note) for note in returns["notes"]),
    ]
