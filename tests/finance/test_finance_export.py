"""CSV exports: numbers stay numbers, text a spreadsheet would run is neutralised."""

from __future__ import annotations

import csv
import io
import re

import pytest
from numpy.testing import assert_allclose

from testbed.extensions import db
from testbed.finance.export import csv_text, file_name, neutralise
from testbed.results.services import report_for


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        # Typed text that looks like a number is still text: it is neutralised too.
        ("-5", "'-5"),
        ("Waiting time", "Waiting time"),
        ("", ""),
        # Figures computed by the application are numbers and are written as they are.
        (-5, -5),
        (-1234.5, -1234.5),
        (0.25, 0.25),
        (None, None),
    ],
)
def test_neutralise_prefixes_only_text_a_spreadsheet_would_run(cell, written):
    assert neutralise(cell) == written


def test_csv_text_quotes_and_keeps_negative_numbers_bare():
    text = csv_text(["Name", "Net"], [["=1+1, then", -9500.0], ["plain", None]])
    assert text.splitlines() == ["Name,Net", '"\'=1+1, then",-9500.0', "plain,"]


def test_file_names_keep_only_safe_characters():
    name = file_name("finance", 'a"b/../c d;\r\nx')
    assert re.fullmatch(r"testbed-finance-a-b-c-d-x-\d{4}-\d{2}-\d{2}\.csv", name)


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_pilot_csv_neutralises_typed_text_and_keeps_the_reports_numbers(
    client, login, finance_pilot
):
    login("finance")
    response = client.get("/pilots/reminders/finance.csv")

    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(
        r'attachment; filename="testbed-finance-reminders-[\d-]+\.csv"', disposition
    )
    rows = read_csv(response)
    assert rows[0] == [
        "Section",
        "Name",
        "Detail",
        "Year",
        "Estimate",
        "Low",
        "High",
        "Probability",
    ]
    names = {row[1] for row in rows[1:]}
    assert {'\'=HYPERLINK("http://evil.example","click")', "'+1", "'-cmd", "'@SUM(1+1)"} <= names
    assert not any(cell[:1] in "=+-@\t\r" and cell for row in rows for cell in row[1:3])

    returns = report_for(finance_pilot)["returns"]
    roi = next(row for row in rows if row[:2] == ["summary", "ROI"])
    assert_allclose([float(v) for v in roi[4:7]], list(returns["roi"].values()), atol=1e-4)
    year_zero = next(row for row in rows if row[:2] == ["cash flow", "Year 0"])
    # A negative figure stays a bare number that a spreadsheet reads as a number.
    assert year_zero[4] == "-450.0"
    assert float(year_zero[4]) == returns["cashflows"][0]
    chance = next(row for row in rows if row[:2] == ["summary", "ROI above zero"])
    assert float(chance[7]) == pytest.approx(returns["probability_roi_positive"], abs=1e-4)


def test_the_portfolio_csv_has_a_row_per_pilot_with_numbers_and_neutralised_names(
    client, login, finance_pilot
):
    finance_pilot.name = "=cmd|' /C calc'!A0"
    db.session.commit()
    login("admin")
    response = client.get("/finance/export.csv")

    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="testbed-finance-portfolio-[\d-]+\.csv"',
        response.headers["Content-Disposition"],
    )
    header, row = read_csv(response)
    record = dict(zip(header, row, strict=True))
    assert record["Pilot"] == "'=cmd|' /C calc'!A0"
    returns = report_for(finance_pilot)["returns"]
    assert float(record["ROI low"]) == pytest.approx(returns["roi"]["ci_low"], abs=1e-4)
    assert record["ROI low"].startswith("-")
    assert float(record["NPV"]) == pytest.approx(returns["npv"]["estimate"], abs=0.01)
    assert record["Best programme beaten (P >= 0.8)"] == "Replace old switches"
    assert record["Payback high"] == ""  # may not pay back within the horizon: see the note
    assert "does not pay back within 3 years" in record["Note"]


def test_a_pilot_without_a_case_has_no_csv(client, login, loaded_pilot):
    login("finance")
    assert client.get("/pilots/reminders/finance.csv").status_code == 404
