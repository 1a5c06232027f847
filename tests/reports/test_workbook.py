"""The workbooks: one sheet per table, numbers as numbers with their formats, totals that add up
to what the finance page shows, and typed text that a spreadsheet never runs."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from html import unescape

import numpy as np
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison
from testbed.finance import services as finance
from testbed.pilots.models import Pilot
from testbed.reports import workbook
from testbed.results.services import report_for
from tests.finance.conftest import FINANCE_TOML
from tests.security.test_csv_exports import (
    FOLDED_STARTS,
    FORMULA,
    HOSTILE_OBSERVATIONS,
    HOSTILE_TOML,
    reads_as_formula,
)

PILOT_SHEETS = [
    "Summary",
    "Hypotheses",
    "Guardrails",
    "Returns",
    "Programmes",
    "Benefits",
    "Costs",
    "Cash flows",
]


def table(sheet) -> list[dict]:
    """The sheet's rows as dicts by header, and the cells themselves under '_cells'."""
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    found = []
    for row in rows[1:]:
        cells = dict(zip(header, row, strict=True))
        found.append({**{h: c.value for h, c in cells.items()}, "_cells": cells})
    return found


def money(value) -> str:
    """As the finance page's money macro writes an amount."""
    return f"{value:,.0f}".replace("-", "−")


def test_every_demo_pilot_workbook_has_a_sheet_per_table_with_real_numbers(
    demo_pilots, client, login
):
    login("finance")
    for pilot in demo_pilots:
        response = client.get(f"/pilots/{pilot.slug}/results.xlsx")
        assert response.mimetype.endswith("spreadsheetml.sheet")
        book = load_workbook(io.BytesIO(response.data))
        assert book.sheetnames == PILOT_SHEETS, pilot.slug
        for sheet in book.worksheets:
            assert sheet.freeze_panes == "A2", sheet.title
            assert all(cell.font.bold for cell in sheet[1]), sheet.title
            assert sheet.column_dimensions["A"].width > 5, sheet.title
        report = report_for(pilot)
        rows = {row["Key"]: row for row in table(book["Hypotheses"])}
        assert list(rows) == [r["hypothesis"] for r in report["results"]]
        for result in report["results"]:
            row = rows[result["hypothesis"]]
            if result["absolute"]:
                for column, key in (("Change", "estimate"), ("Change low", "ci_low")):
                    assert isinstance(row[column], float), (pilot.slug, column)
                    # Excel keeps 15 significant digits; openpyxl writes about 16.
                    assert row[column] == pytest.approx(result["absolute"][key], rel=1e-14)
                kind = "0.00%" if result["kind"] == "proportion" else "#,##0.000"
                assert row["_cells"]["Change"].number_format == kind
            if result["relative"]:
                expected = result["relative"]["estimate"]
                assert row["Relative change"] == pytest.approx(expected, rel=1e-14)
                assert row["_cells"]["Relative change"].number_format == "0.0%"
            if result["p_value"] is not None:
                assert row["p"] == pytest.approx(result["p_value"], rel=1e-14)
                assert row["_cells"]["p"].number_format == "0.0000"
            assert isinstance(row["n pilot"], int)
        summary = {row["Item"]: row["Value"] for row in table(book["Summary"])}
        assert summary["Rule"] == report["decision"]["rule"]


def test_the_totals_add_up_and_match_the_finance_page(demo_pilots, client, login):
    login("finance")
    checked = 0
    for pilot in demo_pilots:
        case = comparison.pilot_case(pilot)
        if case["plan"] is None or case["returns"]["error"]:
            continue
        book = load_workbook(io.BytesIO(client.get(f"/pilots/{pilot.slug}/results.xlsx").data))
        page = unescape(client.get(f"/pilots/{pilot.slug}/finance").get_data(as_text=True))
        flows = table(book["Cash flows"])
        lines, total = flows[:-1], flows[-1]
        assert total["Year"] == "Total"
        for column in ("Costs", "Benefit", "Net cash flow"):
            assert all(isinstance(line[column], float | int) for line in lines), column
            assert total[column] == pytest.approx(sum(line[column] for line in lines), abs=1e-6)
        assert lines[-1]["Cumulative"] == pytest.approx(total["Net cash flow"], abs=1e-6)
        # Each year as the finance page shows it, in its year-by-year table.
        years = re.findall(
            r'<tr><th scope="row">(\d+)(?: \(start\))?</th>\s*<td class="num">(.*?)</td>'
            r'<td class="num">(.*?)</td>\s*<td class="num">(.*?)</td>',
            page,
        )
        assert len(years) == len(lines)
        for line, (year, cost, benefit, net) in zip(lines, years, strict=True):
            assert line["Year"] == int(year)
            assert (money(line["Costs"]), money(line["Benefit"]), money(line["Net cash flow"])) == (
                cost,
                benefit,
                net,
            )
        benefits = table(book["Benefits"])
        benefit_lines, benefit_total = benefits[:-1], benefits[-1]
        assert benefit_total["Metric"] == "Total"
        yearly = [line["Yearly benefit"] for line in benefit_lines if line["Yearly benefit"]]
        assert benefit_total["Yearly benefit"] == pytest.approx(sum(yearly), rel=1e-9)
        shown = re.search(r"All lines together[^<]*</th>\s*<td class=\"num\">(.*?) [A-Z]{3}", page)
        assert shown.group(1) == money(benefit_total["Yearly benefit"])
        assert book["Benefits"]["H2"].number_format.endswith(f'"{case["plan"].currency}"')
        costs = table(book["Costs"])
        assert sorted(c["Amount"] for c in costs) == sorted(c.amount for c in case["costs"])
        checked += 1
    assert checked >= 3


@pytest.fixture
def hostile_pilot(app, write_pilot) -> Pilot:
    folder = write_pilot(
        "hostile", pilot__toml=HOSTILE_TOML + FINANCE_TOML, observations__csv=HOSTILE_OBSERVATIONS
    )
    load_path(folder)
    for start in FOLDED_STARTS:
        finance.add_programme(name=f"{start}SUM(1+1)", roi=0.1, actor="finance@example.org")
    finance.add_cost(
        db.session.scalar(select(Pilot)),
        item="\uff1dHYPERLINK(1)",
        amount=5,
        year=0,
        recurring=False,
        actor="finance@example.org",
    )
    db.session.commit()
    return db.session.scalar(select(Pilot))


def test_typed_text_that_looks_like_a_formula_stays_text_exactly(client, login, hostile_pilot):
    login("admin")
    for address in (f"/pilots/{hostile_pilot.slug}/results.xlsx", "/finance/portfolio.xlsx"):
        data = client.get(address).data
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
            xml = "".join(archive.read(name).decode() for name in sheets)
        # No cell of any sheet is a formula.
        assert "<f>" not in xml and "<f " not in xml, address
        book = load_workbook(io.BytesIO(data))
        typed = [
            cell
            for sheet in book.worksheets
            for row in sheet.iter_rows(min_row=2)
            for cell in row
            if isinstance(cell.value, str) and reads_as_formula(cell.value)
        ]
        assert typed, f"{address} carried no typed text"
        for cell in typed:
            assert cell.data_type == "s", (address, cell.coordinate, cell.value)
            assert cell.quotePrefix, (address, cell.coordinate, cell.value)
        values = {cell.value for cell in typed}
        if address.endswith("results.xlsx"):
            assert f"{FORMULA} pilot" in values  # the pilot's name, kept exactly as typed
            assert "=statement" in values  # a hypothesis' statement
            assert '=HYPERLINK("http://evil.example","click")' in values  # a cost
            assert "\uff1dHYPERLINK(1)" in values
        assert {f"{start}SUM(1+1)" for start in FOLDED_STARTS} <= values


def test_a_formula_assigned_as_text_is_written_as_a_string_not_a_formula():
    # openpyxl takes a str that starts with "=" for a formula; write() must not.
    sheet = Workbook().active
    assert workbook.write(sheet["A1"], "=1+1").data_type == "s"
    plain = sheet["A2"]
    plain.value = "=1+1"
    assert plain.data_type == "f"  # what openpyxl does on its own
    assert workbook.write(sheet["A3"], "ok\x07bell").value == "ok\ufffdbell"
    assert workbook.write(sheet["A4"], float("nan")).value is None
    assert workbook.write(sheet["A5"], -1.5, "0.0").value == -1.5  # a figure stays a number
    assert not sheet["A5"].quotePrefix
    assert sheet["A5"].data_type == "n" and sheet["A5"].number_format == "0.0"
    assert workbook.write(sheet["A6"], Decimal("2.5")).value == 2.5
    assert workbook.write(sheet["A7"], np.float64(0.25)).data_type == "n"


def test_the_portfolio_workbook_lists_every_pilot_with_a_case(demo_pilots, client, login):
    login("department_head")
    book = load_workbook(io.BytesIO(client.get("/finance/portfolio.xlsx").data))
    assert book.sheetnames == ["Portfolio", "Programmes"]
    portfolio = comparison.portfolio()
    rows = table(book["Portfolio"])
    assert [row["Slug"] for row in rows] == [row["pilot"].slug for row in portfolio["rows"]]
    for row, expected in zip(rows, portfolio["rows"], strict=True):
        returns = expected["returns"]
        if returns and not returns["error"]:
            assert row["ROI"] == pytest.approx(returns["roi"]["estimate"], rel=1e-14)
            assert row["_cells"]["ROI"].number_format == "0.0%"
            assert row["NPV"] == pytest.approx(returns["npv"]["estimate"], rel=1e-14)
            assert row["_cells"]["NPV"].number_format.endswith(f'"{returns["currency"]}"')
    programmes = table(book["Programmes"])
    assert [p["Programme"] for p in programmes] == [p.name for p in portfolio["programmes"]]
    assert all(isinstance(p["Stated ROI"], float) for p in programmes)


def office() -> str:
    """LibreOffice, a real spreadsheet; CI installs it (TESTBED_REQUIRE_OFFICE=1 there)."""
    found = shutil.which("libreoffice") or shutil.which("soffice")
    if found is None:
        if os.environ.get("TESTBED_REQUIRE_OFFICE"):
            pytest.fail("no LibreOffice: install Debian's libreoffice-calc-nogui")
        pytest.skip("LibreOffice is not installed")
    return found


def test_libreoffice_opens_the_workbook_and_keeps_its_numbers(demo_pilots, client, login, tmp_path):
    office_program = office()
    login("finance")
    pilot = demo_pilots[0]
    source = tmp_path / "book.xlsx"
    source.write_bytes(client.get(f"/pilots/{pilot.slug}/results.xlsx").data)
    out = tmp_path / "out"
    subprocess.run(  # noqa: S603 (a fixed program on our own file)
        [office_program, "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(source)],
        check=True,
        timeout=180,
        capture_output=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    again = load_workbook(out / "book.xlsx", data_only=True)
    first = load_workbook(source)
    for name in ("Hypotheses", "Cash flows"):
        for row_a, row_b in zip(first[name].iter_rows(), again[name].iter_rows(), strict=False):
            for a, b in zip(row_a, row_b, strict=False):
                if isinstance(a.value, float):
                    assert b.value == pytest.approx(a.value), (name, a.coordinate)
