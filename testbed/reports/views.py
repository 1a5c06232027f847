"""The reports: a pilot's one-page summary (page, print, PDF) and the workbooks for spreadsheets."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from testbed.auth.access import can, requires
from testbed.finance import comparison
from testbed.finance.export import file_name
from testbed.pilots.services import pilot_or_404
from testbed.reports.formats import report_formats
from testbed.reports.pdf import summary_pdf as draw_summary_pdf
from testbed.reports.summary import pilot_summary

blueprint = Blueprint("reports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# WeasyPrint and openpyxl are imported by the views that need them, so that the
# application starts (and `testbed serve` answers) without loading either.


@blueprint.get("/pilots/<slug>/summary")
@requires("pilot.view")
def summary(slug: str):
    pilot = pilot_or_404(slug)
    content = pilot_summary(pilot, with_returns=can("finance.view"))
    return render_template("reports/summary.html", fmt=report_formats(), **content)


@blueprint.get("/pilots/<slug>/summary.pdf")
@requires("pilot.view")
def summary_pdf(slug: str):
    pilot = pilot_or_404(slug)
    pdf, _pages = draw_summary_pdf(pilot, with_returns=can("finance.view"))
    return attachment(pdf, "application/pdf", file_name("summary", pilot.slug, suffix=".pdf"))


@blueprint.get("/pilots/<slug>/results.xlsx")
@requires("pilot.view")
def pilot_workbook(slug: str):
    from testbed.reports import workbook  # openpyxl loads with the first download, not the app

    pilot = pilot_or_404(slug)
    book = workbook.pilot_workbook(pilot, with_returns=can("finance.view"))
    return attachment(book, XLSX, file_name("results", pilot.slug, suffix=".xlsx"))


@blueprint.get("/finance/portfolio.xlsx")
@requires("finance.view")
def portfolio_workbook():
    from testbed.reports import workbook

    book = workbook.portfolio_workbook(comparison.portfolio())
    return attachment(book, XLSX, file_name("finance-portfolio", suffix=".xlsx"))


def attachment(body: bytes, mimetype: str, name: str) -> Response:
    # The name is letters, digits and dashes only (file_name), so it needs no quoting rules;
    # like every private answer it is sent with no-store (testbed/security.py).
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
